"""Words put between a source and its cue in training text (stance.augment)."""

from __future__ import annotations

from typing import Any

import pytest

from stance.augment import (
    ANY_CUE,
    DENIAL,
    PAST_TIME,
    insert_between_source_and_cue,
    insert_text,
    insertion_points,
    phrases_for_cue,
)


def span(text: str, needle: str, after: int = 0) -> dict[str, Any]:
    start = text.index(needle, after)
    return {"start": start, "end": start + len(needle), "text": needle}


def nested_document() -> dict[str, Any]:
    """Two statements, the second inside the first's content, both sources before their cues."""
    text = "The mayor said the police chief denied the report on Friday. Nobody was hurt."
    outer = {
        "source": span(text, "The mayor"),
        "cue": span(text, "said"),
        "content": span(text, "the police chief denied the report on Friday"),
        "label": "assertion",
        "speaker": span(text, "The mayor"),
    }
    inner = {
        "source": span(text, "the police chief"),
        "cue": span(text, "denied"),
        "content": span(text, "the report", text.index("denied")),
        "label": "denial",
        "speaker": None,
    }
    return {"id": "loc-0001", "split": "train", "text": text, "statements": [outer, inner]}


def assert_spans_on_text(doc: dict[str, Any]) -> None:
    for statement in doc["statements"]:
        for part in ("source", "cue", "content", "speaker"):
            value = statement.get(part)
            if value is not None:
                assert doc["text"][value["start"] : value["end"]] == value["text"]


def test_every_span_moves_with_the_inserted_words() -> None:
    doc = nested_document()
    new = insert_between_source_and_cue([doc], rate=1.0, seed=0)[0]
    assert_spans_on_text(new)
    outer, inner = new["statements"]
    old_outer, old_inner = doc["statements"]
    # Sources, cues and speakers keep their words; only the text around them grew.
    for part in ("source", "cue", "speaker"):
        assert outer[part]["text"] == old_outer[part]["text"]
    assert inner["source"]["text"] == old_inner["source"]["text"]
    assert inner["cue"]["text"] == "denied" and inner["content"]["text"] == "the report"
    # The outer content holds the inner statement, so it holds the words put inside it too.
    assert outer["content"]["text"] != old_outer["content"]["text"]
    assert outer["content"]["text"].startswith("the police chief")
    # Both places got words, and none of them joined a span.
    assert new["text"][outer["source"]["end"] : outer["cue"]["start"]].strip(" ,")
    assert new["text"][inner["source"]["end"] : inner["cue"]["start"]].strip(" ,")
    assert doc["text"].startswith("The mayor said")  # the input document is not changed


def test_insertion_is_seeded_and_rate_zero_changes_nothing() -> None:
    docs = [nested_document() for _ in range(20)]
    assert insert_between_source_and_cue(docs, 0.5, 13) == insert_between_source_and_cue(
        docs, 0.5, 13
    )
    assert insert_between_source_and_cue(docs, 0.5, 13) != insert_between_source_and_cue(
        docs, 0.5, 14
    )
    assert insert_between_source_and_cue(docs, 0.0, 13) == docs


def test_a_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="rate must be between 0 and 1"):
        insert_between_source_and_cue([nested_document()], 1.5, 0)


def test_phrases_fit_the_cue() -> None:
    assert set(DENIAL) <= set(phrases_for_cue("denied")) and "later" in phrases_for_cue("told")
    assert not set(DENIAL) & set(phrases_for_cue("said"))
    # "later says" and "on Monday has said" are not news English.
    assert "later" not in phrases_for_cue("says") and phrases_for_cue("has said") == ANY_CUE
    # The sentence names Friday: no second day before its cue.
    ((_, phrases), _) = insertion_points(nested_document())
    assert not set(PAST_TIME) & set(phrases)


def test_only_a_source_right_before_its_cue_is_a_place() -> None:
    text = 'According to the report, prices rose. "No," Reyes said. Lena Marsh, 42, said so.'
    statements = [
        {"source": span(text, "the report"), "cue": span(text, "According to"),
         "content": span(text, "prices rose"), "label": "assertion"},
        {"source": span(text, "Reyes"), "cue": span(text, "said"),
         "content": span(text, "No"), "label": "denial"},
        {"source": span(text, "Lena Marsh"), "cue": span(text, "said", text.index("42")),
         "content": span(text, "so"), "label": "assertion"},
    ]  # fmt: skip
    doc = {"text": text, "statements": statements}
    assert [end for end, _ in insertion_points(doc)] == [text.index(" said")]


def test_inserting_inside_a_span_grows_it() -> None:
    doc = nested_document()
    new = insert_text(doc, doc["text"].index(" denied"), ", however,")
    assert new["statements"][0]["content"]["text"] == (
        "the police chief, however, denied the report on Friday"
    )
    assert_spans_on_text(new)


def test_training_windows_read_the_inserted_words() -> None:
    from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
    from stance.configuration import StanceConfig
    from stance.tokenization import WordPieceTokenizer
    from stance.trainer import TrainingArguments, training_windows

    tokenizer = WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))
    config = StanceConfig(window_length=64, window_overlap=16)
    docs = [nested_document()]
    args = TrainingArguments(insert_between_rate=1.0, seed=13)
    (window,) = training_windows(args, docs, tokenizer, config)
    (plain,) = training_windows(TrainingArguments(), docs, tokenizer, config)
    assert len(window.input_ids) > len(plain.input_ids)
    text = insert_between_source_and_cue(docs, 1.0, 13)[0]["text"]
    words = [text[a:b] for a, b in window.offsets[window.cue_tags > 0]]
    # The cues are tagged where they moved to, and the inserted words carry no cue tag.
    assert words == ["said", "denied"]
