"""The agreement study's sample, comparison and kappa."""

from __future__ import annotations

import pytest

from stance import agreement
from stance.corpus import CorpusError, parse_source

SPANS = (
    "<S1>The ministry</S1> <C1>denied</C1> <P1>the port was closed</P1>. "
    "<S2>Marsh</S2> <C2>said</C2> <P2>talks could resume</P2>."
)
FIRST = f"""### pol-0001
domain: politics
constructions:
{SPANS} <S3>Kask</S3> <C3>said</C3> <P3>it rained</P3>.
@ S1 C1 P1 denial
@ S2 C2 P2 speculation
@ S3 C3 P3 assertion
"""
SECOND = f"""### pol-0001
domain: politics
constructions:
{SPANS} Kask said it rained.
@ S1 C1 P1 denial
@ S2 C2 P2 hedge
"""


def test_cohen_kappa_known_values() -> None:
    assert agreement.cohen_kappa([("a", "a"), ("b", "b")], ["a", "b"]) == 1.0
    # Observed 0.5, expected 0.5: no agreement beyond chance.
    pairs = [("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]
    assert agreement.cohen_kappa(pairs, ["a", "b"]) == pytest.approx(0.0)
    assert agreement.cohen_kappa([("a", "a"), ("a", "a")], ["a", "b"]) == 1.0


def test_compare_finds_label_and_missing_statement_disagreements() -> None:
    result = agreement.compare(parse_source(FIRST), parse_source(SECOND))
    assert (result["statements_first"], result["statements_second"], result["matched"]) == (3, 2, 2)
    assert result["label_agreement"] == 0.5
    assert result["confusion"]["speculation / hedge"] == 1
    assert sorted(d["kind"] for d in result["disagreements"]) == ["first only", "label"]
    assert result["spans"]["content"]["f1"] == pytest.approx(0.8)


def test_sample_is_stratified_and_large_enough(corpus) -> None:
    sample = agreement.select_sample(corpus)
    statements = [s for d in sample for s in d["statements"]]
    assert len(statements) >= 400
    assert {d["domain"] for d in sample} == {d["domain"] for d in corpus}
    assert {s["label"] for s in statements} == {"denial", "speculation", "hedge", "assertion"}
    assert any("full_article" in d["constructions"] for d in sample)
    assert agreement.select_sample(corpus) == sample  # seeded: the same sample every time


def test_second_pass_must_keep_the_text(corpus, tmp_path) -> None:
    doc = corpus[0]
    path = tmp_path / "second.txt"
    path.write_text(
        f"### {doc['id']}\ndomain: {doc['domain']}\nconstructions:\n{doc['text']} Extra.\n",
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match="differs from the corpus text"):
        agreement.read_second_pass(path)
    path.write_text(agreement.blind_source([doc]), encoding="utf-8")
    assert agreement.read_second_pass(path)[0]["annotation_pass"] == "second"
