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


def test_corpus_meets_v2_size_targets(corpus: list[dict]) -> None:
    summary = c.summarize(corpus)
    assert summary["statements"] >= 6000
    assert summary["documents"] >= 1800
    assert len(summary["domains_documents"]) >= 12
    assert all(summary["labels"][label] >= 0.15 * summary["statements"] for label in LABELS)
    with_plain = summary["constructions_documents"]["no_attribution"]
    assert with_plain / summary["documents"] >= 0.15
    articles = [d for d in corpus if "full_article" in d["constructions"]]
    assert len(articles) >= 150


def test_every_hard_case_has_a_hundred_statements(corpus: list[dict]) -> None:
    from stance.dataset_card import HARD_CASES

    statements = [s for d in corpus for s in d["statements"]]
    counts = {name: sum(1 for s in statements if test(s)) for name, test in HARD_CASES}
    assert min(counts.values()) >= 100, counts


def test_v1_documents_kept_their_ids_and_splits(corpus: list[dict]) -> None:
    # Corpus v1 had 62 documents numbered 0001-0062 per domain prefix; v2 only added documents.
    v1 = [d for d in corpus if int(d["id"].split("-")[1]) <= 62]
    assert len(v1) == 14 * 62
    assert all(d["split"] == c.split_for(d["id"]) for d in corpus)


def test_derived_constructions_follow_the_spans() -> None:
    text = "Officials said on Tuesday, after a long meeting with unions and the mayor, that "
    text += "the port would close. It is believed the ship sank."
    docs = c.parse_source(
        "### pol-0001\ndomain: politics\nconstructions:\n"
        "<S1>Officials</S1> <C1>said</C1> on Tuesday, after a long meeting with unions and the "
        "mayor, that <P1>the port would close</P1>. <P2><C2>It is believed</C2> the ship "
        "sank</P2>.\n@ S1 C1 P1 speculation\n@ - C2 P2 hedge agentless"
    )
    first, second = docs[0]["statements"]
    assert first["constructions"] == ["far_cue"]
    assert second["constructions"] == ["agentless", "no_source"]
    assert docs[0]["text"] == text


@pytest.mark.parametrize(
    ("content", "sentences"),
    [
        ("Mr. Halloran will decide", "one"),
        ("MS. ACHTERBERG has the floor", "one"),
        ("the port closed. Dr. Lyle will reopen it", "several"),
        ("It works! Yes", "several"),
    ],
)
def test_multi_sentence_quote_skips_honorific_periods(content: str, sentences: str) -> None:
    # An honorific's period ends no sentence: "Mr. Halloran" is one sentence's words.
    docs = c.parse_source(
        f"### pol-0001\ndomain: politics\nconstructions:\n<S1>Rivera</S1> <C1>said</C1> "
        f'"<P1>{content}</P1>."\n@ S1 C1 P1 assertion'
    )
    tags = docs[0]["statements"][0]["constructions"]
    assert ("multi_sentence_quote" in tags) == (sentences == "several")


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
