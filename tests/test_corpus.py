"""The annotated corpus validates, compiles reproducibly and loads offline."""
# ruff: noqa: E501  (authoring-format fixtures keep their lines whole)

from __future__ import annotations

import json

import pytest

from stance import corpus as c
from stance.types import LABELS

GOOD = """### pol-0001
domain: politics
constructions: said_that, nested
<S1>The minister</S1> <C1>said</C1> <P1><S2>inspectors</S2> <C2>had reported</C2> that <P2>the cargo left</P2></P1>.
"<P3>We will rebuild</P3>," <S3>she</S3> <C3>said</C3>. "<P4>It could take years</P4>."
@ S1 C1 P1 assertion
@ S2 C2 P2 assertion
@ S3 C3 P3 assertion
@ S3 C3 P4 speculation
"""


def test_parse_offsets_nested_and_shared_spans() -> None:
    (doc,) = c.parse_source(GOOD)
    text = doc["text"]
    assert len(doc["statements"]) == 4
    for st in doc["statements"]:
        for part in ("source", "cue", "content"):
            span = st[part]
            assert text[span["start"] : span["end"]] == span["text"]
    outer, inner = doc["statements"][0], doc["statements"][1]
    assert outer["content"]["text"] == "inspectors had reported that the cargo left"
    assert inner["content"]["text"] == "the cargo left"
    assert doc["statements"][3]["label"] == "speculation"
    assert doc["split"] == c.split_for("pol-0001")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace("@ S1 C1 P1 assertion", "@ S1 C1 P1 certain"), "label 'certain'"),
        (GOOD.replace("</S1>", ""), "<S1> is never closed"),
        (GOOD.replace('"<P3>We will rebuild</P3>,"', '<P3>"We will rebuild"</P3>,'), "quote mark"),
        (GOOD.replace("the cargo left</P2>", "the cargo left.</P2>"), "ends with '.'"),
        (GOOD.replace("domain: politics", "domain: gossip"), "domain 'gossip'"),
        (GOOD.replace("said_that, nested", "said_that, rumour"), "unknown construction"),
        (GOOD.replace("@ S3 C3 P4 speculation", "@ S9 C3 P4 speculation"), "'S9' is not"),
        (GOOD + "@ S1 C1 P1 assertion\n", "listed twice"),
        (GOOD.replace("### pol-0001", "### politics1"), "id must look like"),
    ],
)
def test_parse_errors_name_the_problem(broken: str, message: str) -> None:
    with pytest.raises(c.CorpusError, match=message):
        c.parse_source(broken, "x.txt")


def test_near_duplicates_across_splits_are_rejected() -> None:
    (doc,) = c.parse_source(GOOD)
    twin = dict(doc, id="pol-0002", split="test" if doc["split"] != "test" else "train")
    problems = c.find_problems([doc, twin])
    assert any("near duplicates" in p for p in problems)


def test_split_is_a_function_of_the_id_only() -> None:
    ids = [f"pol-{i:04d}" for i in range(2000)]
    splits = [c.split_for(i) for i in ids]
    assert splits == [c.split_for(i) for i in ids]
    share = {s: splits.count(s) / len(splits) for s in c.SPLITS}
    assert 0.75 < share["train"] < 0.85 and 0.07 < share["test"] < 0.13


def test_whole_corpus_validates_and_matches_the_compiled_jsonl() -> None:
    docs = c.compile_corpus()
    assert c.to_jsonl(docs) == c.CORPUS_PATH.read_text(encoding="utf-8"), (
        "corpus.jsonl is stale: run `python -m stance.corpus compile`"
    )


def test_corpus_meets_v1_size_targets(corpus: list[dict]) -> None:
    summary = c.summarize(corpus)
    assert summary["statements"] >= 2000
    assert summary["documents"] >= 600
    assert len(summary["domains_documents"]) >= 10
    assert all(summary["labels"][label] >= 300 for label in LABELS)
    with_plain = summary["constructions_documents"]["no_attribution"]
    assert with_plain / summary["documents"] >= 0.15


def test_dataset_card_is_generated_from_the_data() -> None:
    from stance.dataset_card import main

    assert main(["--check"]) == 0


def test_load_annotations_offline(corpus: list[dict]) -> None:
    from stance.data import load_annotations

    dataset = load_annotations()
    assert sorted(dataset) == ["test", "train", "validation"]
    assert sum(len(split) for split in dataset.values()) == len(corpus)
    first = json.loads(c.CORPUS_PATH.read_text(encoding="utf-8").splitlines()[0])
    row = dataset[first["split"]].filter(lambda r: r["id"] == first["id"])[0]
    assert row["statements"] == first["statements"]
