"""stance.quotes: one scanner of quoted passages for the rule baseline and span decoding."""

import pytest

from stance.quotes import open_quote_before, quote_regions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('She said: "We will stay', 10),  # straight, open
        ('"We will," she said, "stay', 21),  # the second straight mark opens again
        ('"We will," she said. We stay', None),  # closed
        ("“We will” and “we stay", 14),  # curly
        ('“We will" and we stay', 0),  # a straight mark does not close a curly one
        ("«Nous restons", 0),  # guillemets and low marks open passages too
        ("„Wir bleiben", 0),
        ("«Nous» et nous restons", None),
        ("“We will stay.\nThe council", None),  # a new paragraph: nothing open in it
        ("It's the farmers' bridge", None),  # single quotes are apostrophes
    ],
)
def test_open_quote_before_the_end(text: str, expected: int | None) -> None:
    assert open_quote_before(text, len(text)) == expected


def test_a_quote_left_open_runs_to_the_paragraph_end() -> None:
    text = '"We will," she said. "We stay'
    assert quote_regions(text, 0, len(text)) == [(0, 10), (21, len(text))]
    # The baseline reads the same passages: a content in the open quote is a quoted content.
    from stance.baseline import LexiconBaseline

    found = LexiconBaseline().predict('"The bridge stays open," the mayor said.')
    assert [s.content.text for s in found] == ["The bridge stays open"]
