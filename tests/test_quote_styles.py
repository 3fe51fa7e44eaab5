"""training/measure_quote_styles.py: restyling keeps every span, and normalising undoes it."""

import json

import pytest
from conftest import load_script


@pytest.fixture(scope="module")
def quote_styles():
    return load_script("training/measure_quote_styles.py")


def test_restyled_spans_cover_the_same_words(quote_styles, corpus) -> None:
    from stance.tokenization import normalize_quotes

    def plain(text: str) -> str:
        return normalize_quotes(text.replace("''", '"'))

    docs = [d for d in corpus if d["split"] == "validation"]
    for style in quote_styles.STYLES:
        for doc in docs:
            new = quote_styles.restyle(doc, style)
            assert plain(new["text"]) == plain(doc["text"])
            for before, after in zip(doc["statements"], new["statements"], strict=True):
                for part in ("source", "cue", "content"):
                    if before[part] is None:
                        assert after[part] is None
                        continue
                    start, end = after[part]["start"], after[part]["end"]
                    assert new["text"][start:end] == after[part]["text"]
                    assert plain(after[part]["text"]) == plain(before[part]["text"])
    two = quote_styles.restyle(docs[0], "two apostrophes")
    assert two["text"].count("''") == docs[0]["text"].count('"')


def test_normalised_styles_read_like_straight_quotes(quote_styles, tmp_path) -> None:
    # Normalising gives the model the same tokens whatever the style, so the scores agree.
    output = tmp_path / "styles"
    assert quote_styles.main(["--limit", "6", "--output", str(output)]) == 0
    rows = json.loads(output.with_suffix(".json").read_text())["rows"]
    assert len(rows) == 2 * len(quote_styles.STYLES)
    normalised = {r["style"]: r for r in rows if r["reading"] == "normalised"}
    straight = normalised["straight"]
    for style, row in normalised.items():
        assert row["statement_f1"] == straight["statement_f1"], style
        assert row["content_overlap_f1"] == straight["content_overlap_f1"], style
    assert "| two apostrophes | as is |" in output.with_suffix(".md").read_text()
