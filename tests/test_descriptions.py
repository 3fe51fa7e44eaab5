"""The source-description rule (stance.descriptions), on statements given by hand."""

from __future__ import annotations

import dataclasses

import pytest

from stance.descriptions import DESCRIPTION_MAX_WORDS, with_source_descriptions
from stance.render import as_table
from stance.types import Span, Speaker, Statement


def span(text: str, needle: str | None, after: int = 0) -> Span | None:
    if needle is None:
        return None
    start = text.index(needle, after)
    return Span.from_offsets(text, start, start + len(needle))


def statement(
    text: str, source: str | None, cue: str, content: str, cue_after: int = 0
) -> Statement:
    return Statement(
        source=span(text, source),
        cue=span(text, cue, cue_after),
        content=span(text, content),
        label="assertion",
        score=0.9,
        scores={},
    )


def description_of(text: str, source: str | None, cue: str, content: str) -> str | None:
    (found,) = with_source_descriptions(text, [statement(text, source, cue, content)])
    if found.source_description is None:
        return None
    description = found.source_description
    assert text[description.start : description.end] == description.text
    return description.text


@pytest.mark.parametrize(
    ("text", "source", "cue", "content", "expected"),
    [
        # Between the source and its cue, set off by commas.
        (
            "Lena Marsh, a spokeswoman for the port authority, said the port was closed.",
            "Lena Marsh",
            "said",
            "the port was closed",
            "a spokeswoman for the port authority",
        ),
        (
            '"It is over," Ada Pruitt, the attorney general of Ostland, one of the states suing '
            "the agency, said at an event.",
            "Ada Pruitt",
            "said",
            "It is over",
            "the attorney general of Ostland, one of the states suing the agency",
        ),
        (
            "Hennie Brask, 71, a retired dairy farmer, said the road was unsafe.",
            "Hennie Brask",
            "said",
            "the road was unsafe",
            "71, a retired dairy farmer",
        ),
        (
            "Lena Marsh, a spokeswoman, on Tuesday said the port was closed.",
            "Lena Marsh",
            "said",
            "the port was closed",
            "a spokeswoman",
        ),
        (
            'Derek Paulsen, who ran on a platform of "parental rights," wrote that it was wrong.',
            "Derek Paulsen",
            "wrote",
            "it was wrong",
            'who ran on a platform of "parental rights,"',
        ),
        # After the source, when the cue comes first: to the end of the sentence.
        (
            '"We need the money," said Ana Joseph, who has four children. She left.',
            "Ana Joseph",
            "said",
            "We need the money",
            "who has four children",
        ),
        (
            '"It works," said Ana Ruiz, director of the U.S. Geological Survey office in Reno. '
            '"We know."',
            "Ana Ruiz",
            "said",
            "It works",
            "director of the U.S. Geological Survey office in Reno",
        ),
        (
            '"It works," said Ana Ruiz, a professor at the University of Ostland, Berkton.',
            "Ana Ruiz",
            "said",
            "It works",
            "a professor at the University of Ostland, Berkton",
        ),
        # ... or to the statement's own content.
        (
            "According to Lena Marsh, a spokeswoman for the port, the ship left on Monday.",
            "Lena Marsh",
            "According to",
            "the ship left on Monday",
            "a spokeswoman for the port",
        ),
        # A party-state tag opens the description, or is all of it.
        (
            '"A sad day," said Rep. Dana Whitlock (D-Ore.), head of the farm caucus.',
            "Rep. Dana Whitlock",
            "said",
            "A sad day",
            "(D-Ore.), head of the farm caucus",
        ),
        (
            "Sen. Dana Whitlock (D-Ore.) also said the bill was dead.",
            "Sen. Dana Whitlock",
            "said",
            "the bill was dead",
            "(D-Ore.)",
        ),
        # Clauses of the sentence are not descriptions.
        ("Marsh, however, said the port was closed.", "Marsh", "said", "the port was closed", None),
        (
            "Marsh, speaking in Oslo, said the port was closed.",
            "Marsh",
            "said",
            "the port was closed",
            None,
        ),
        (
            "Marsh, in a statement, said the port was closed.",
            "Marsh",
            "said",
            "the port was closed",
            None,
        ),
        (
            "Marsh, a spokeswoman, speaking in Oslo, said the port was closed.",
            "Marsh",
            "said",
            "the port was closed",
            "a spokeswoman",
        ),
        ('"Fine," said Marsh, on Monday.', "Marsh", "said", "Fine", None),
        ('"Fine," said Marsh, adding that it was late.', "Marsh", "said", "Fine", None),
        ("Marsh said the port was closed.", "Marsh", "said", "the port was closed", None),
        ("It was said that the port was closed.", None, "was said", "the port was closed", None),
    ],
)
def test_description_rule(
    text: str, source: str | None, cue: str, content: str, expected: str | None
) -> None:
    assert description_of(text, source, cue, content) == expected


def test_another_statements_cue_ends_or_refuses_a_description() -> None:
    text = "Marsh, who said in May that the port would close, said it was open."
    outer = statement(text, "Marsh", "said", "it was open", cue_after=40)
    inner = statement(text, "who", "said", "the port would close")
    found = with_source_descriptions(text, [inner, outer])
    assert [st.source_description for st in found] == [None, None]


def test_statements_sharing_a_source_share_its_description() -> None:
    text = (
        "Edwin Marlowe, a spokesman for the bureau, said it was reviewing the ruling and "
        "declined to say whether it would appeal."
    )
    first = statement(text, "Edwin Marlowe", "said", "it was reviewing the ruling")
    second = statement(text, "Edwin Marlowe", "declined to say", "whether it would appeal")
    found = with_source_descriptions(text, [first, second])
    assert [st.source_description.text for st in found] == ["a spokesman for the bureau"] * 2


def test_an_overlong_stretch_is_no_description() -> None:
    words = " ".join(["who"] + ["worked"] * DESCRIPTION_MAX_WORDS)
    text = f'"Fine," said Marsh, {words}.'
    assert description_of(text, "Marsh", "said", "Fine") is None
    shorter = " ".join(["who"] + ["worked"] * (DESCRIPTION_MAX_WORDS - 1))
    assert description_of(f'"Fine," said Marsh, {shorter}.', "Marsh", "said", "Fine") == shorter


def test_table_titles_a_speaker_with_their_description() -> None:
    text = "Lena Marsh, a spokeswoman for the port, said it was shut. She said it would reopen."
    marsh = Speaker.from_offsets(text, 0, 10)
    statements = with_source_descriptions(
        text,
        [
            statement(text, "Lena Marsh", "said", "it was shut"),
            statement(text, "She", "said", "it would reopen", cue_after=60),
        ],
    )
    statements = [dataclasses.replace(st, speaker=marsh) for st in statements]  # both Marsh's
    assert "-- Lena Marsh, a spokeswoman for the port (2)" in as_table("doc", statements)
