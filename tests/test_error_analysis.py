"""training/error_analysis.py: how predictions that match no gold statement are told apart."""

from __future__ import annotations

from conftest import load_script

analysis = load_script("training/error_analysis.py")

# Gold: one quote interrupted by its cue (PolNeAR's one content in two pieces) and one clause.
TEXT = (
    '"The port will reopen on Monday once the divers have finished their inspection," Marsh '
    'said, "and that is final." '
    "Officials said the ferry would resume service on Monday after repairs."
)


def span(text: str, part: str) -> dict:
    start = text.index(part)
    return {"start": start, "end": start + len(part), "text": part}


def statement(content: dict, cue: str = "said") -> dict:
    return {"source": None, "cue": span(TEXT, cue), "content": content}


def test_unmatched_predictions_are_sorted_by_how_they_meet_the_gold() -> None:
    quote = [
        span(TEXT, "The port will reopen on Monday once the divers have finished their inspection"),
        span(TEXT, "and that is final"),
    ]
    clause = span(TEXT, "the ferry would resume service on Monday after repairs")
    gold = {
        "id": "d",
        "text": TEXT,
        "statements": [
            statement({"pieces": [[p["start"], p["end"]] for p in quote], "text": "…"}),
            statement(clause, "Officials said"),
        ],
    }
    pred = {
        "id": "d",
        "text": TEXT,
        "statements": [
            statement(clause, "Officials said"),  # matches the clause
            statement(span(TEXT, "the ferry would resume service on Monday")),  # a repeat
            statement(quote[1]),  # one part of the two-piece quote: PolNeAR's convention
            statement(span(TEXT, "Officials")),  # overlaps nothing gold holds
        ],
    }
    result = analysis.analyse([gold], [pred])
    assert result["spurious_total"] == 3
    kinds = result["spurious_kinds"]
    assert list(kinds) == list(analysis.UNMATCHED_KINDS)
    assert kinds["repeats a gold content another prediction matched"] == 1
    assert kinds["lies inside a multi-piece gold content"] == 1
    assert kinds["overlaps no gold content"] == 1
    assert "| prediction matching no gold statement | n |" in analysis.render({"set": result})


def test_a_prediction_cut_from_a_one_piece_content_or_crossing_it() -> None:
    clause = span(TEXT, "the ferry would resume service on Monday after repairs")
    gold = [statement(clause, "Officials said")]
    cut = statement(span(TEXT, "the ferry"))
    crossing = statement({"start": clause["end"] - 7, "end": len(TEXT), "text": "repairs."})
    assert analysis.unmatched_kind(cut, gold, [0.3]) == (
        "lies inside a one-piece gold content (cut short)"
    )
    assert analysis.unmatched_kind(crossing, gold, [0.2]) == "overlaps a gold content partly"
    assert analysis.unmatched_kind(cut, [], []) == "overlaps no gold content"
