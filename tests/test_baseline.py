"""Tests of the cue-lexicon rule baseline (stance.baseline)."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import sys
from pathlib import Path

import pytest

try:
    import stance  # noqa: F401
except ImportError:  # the project is not installed in the venv: import it from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stance.baseline import LexiconBaseline, lexicon_label  # noqa: E402
from stance.types import LABELS  # noqa: E402


@pytest.fixture(scope="module")
def baseline() -> LexiconBaseline:
    return LexiconBaseline()


def triples(baseline: LexiconBaseline, text: str) -> list[tuple]:
    return [
        (s.source.text if s.source else None, s.cue.text, s.content.text, s.label)
        for s in baseline.predict(text)
    ]


# (text, expected (source, cue, content, label) tuples); sentences in the guideline style.
CASES = [
    (
        "Deputy Finance Minister Aro Lindqvist said on Tuesday that the budget gap would narrow.",
        [
            (
                "Deputy Finance Minister Aro Lindqvist",
                "said",
                "the budget gap would narrow",
                "speculation",
            )
        ],
    ),
    (
        '"We have done our part," she told reporters.',
        [("she", "told reporters", "We have done our part", "assertion")],
    ),
    (
        "The Harbour Ministry denied that its boats had entered the bay.",
        [("The Harbour Ministry", "denied", "its boats had entered the bay", "denial")],
    ),
    (
        '"There is no truth in these claims," club chairman Pavel Orsk said.',
        [("club chairman Pavel Orsk", "said", "There is no truth in these claims", "denial")],
    ),
    (
        "Mayor Ines Carvajal dismissed the audit as politically motivated.",
        [("Mayor Ines Carvajal", "dismissed", "the audit", "denial")],
    ),
    (
        "The coast guard said the trawler apparently lost power.",
        [("The coast guard", "said", "the trawler apparently lost power", "hedge")],
    ),
    (
        "According to the port authority, 42 vessels were waiting offshore.",
        [("the port authority", "According to", "42 vessels were waiting offshore", "assertion")],
    ),
    (
        "42 vessels were waiting offshore, according to the port authority.",
        [("the port authority", "according to", "42 vessels were waiting offshore", "assertion")],
    ),
    (
        # The reporter's own "reportedly": no source, the sentence is the content, assertion.
        "The cargo reportedly left port on Monday.",
        [(None, "reportedly", "The cargo reportedly left port on Monday", "assertion")],
    ),
    (
        "It is believed that the ship sank.",
        [(None, "It is believed", "the ship sank", "hedge")],
    ),
    (
        # The appositive is not part of the source.
        "Lena Marsh, a spokeswoman for the port authority, said the port was closed.",
        [("Lena Marsh", "said", "the port was closed", "assertion")],
    ),
    (
        # A quotation running over two sentences is one content; the source follows the cue.
        '"We will rebuild. Prices will rise," said Lena Marsh, a spokeswoman.',
        [("Lena Marsh", "said", "We will rebuild. Prices will rise", "speculation")],
    ),
    (
        # A quotation-only sentence continues the previous quoted statement.
        '"We will rebuild," she said. "It will take years."',
        [
            ("she", "said", "We will rebuild", "assertion"),
            ("she", "said", "It will take years", "speculation"),
        ],
    ),
    (
        # Nested attribution: both statements, the inner source stops at the outer cue.
        "The minister said inspectors had reported that the cargo left.",
        [
            ("The minister", "said", "inspectors had reported that the cargo left", "assertion"),
            ("inspectors", "had reported", "the cargo left", "assertion"),
        ],
    ),
    (
        # An "-ing" cue ends the first content and reuses its source.
        "The ministry said the port was closed, adding that it might reopen.",
        [
            ("The ministry", "said", "the port was closed", "assertion"),
            ("The ministry", "adding", "it might reopen", "speculation"),
        ],
    ),
    (
        'Marsh said: "The port is closed."',
        [("Marsh", "said", "The port is closed", "assertion")],
    ),
    (
        '"Will the council have the money?" councillor Ruth Abara asked.',
        [("councillor Ruth Abara", "asked", "Will the council have the money?", "speculation")],
    ),
    (
        # Negated denial verbs are not denials; a period inside a title does not end the source.
        "Sen. Ada Lund did not deny the report.",
        [("Sen. Ada Lund", "did not deny", "the report", "assertion")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_guideline_style_sentences(baseline, text, expected):
    assert triples(baseline, text) == expected


def test_no_attribution_gives_no_statement(baseline):
    assert baseline.predict("The ship left port on Monday. The alleged bribe was small.") == []
    assert baseline.predict("") == []


def test_cue_words_inside_quotations_are_not_cues(baseline):
    text = '"He said nothing about the port," Marsh said.'
    assert triples(baseline, text) == [
        ("Marsh", "said", "He said nothing about the port", "assertion")
    ]


def test_output_invariants_on_a_multi_paragraph_text(baseline):
    text = (
        "Officials said the dam could fail if rains continued.\n"
        "\n"
        '"We are ready," Governor Tamsin Reyes told a news conference on Friday. '
        '"Every family will be moved."\n'
        "Analysts expect prices to rise, according to a survey. "
        "It is unclear whether the road will reopen.\n"
        "The road was closed.  Police denied reports of looting."
    )
    statements = baseline.predict(text)
    assert len(statements) >= 6
    keys = [s.span_key() for s in statements]
    assert len(keys) == len(set(keys))
    assert statements == sorted(
        statements, key=lambda s: (s.content.start, s.cue.start, s.content.end, s.cue.end)
    )
    for st in statements:
        for span in (st.source, st.cue, st.content):
            if span is not None:
                assert text[span.start : span.end] == span.text
                assert span.text == span.text.strip() and span.text
        assert st.content.text[-1] not in ",;:." and st.content.text[0] not in "\"“'"
        assert st.label in LABELS
        assert st.score == 1.0
        assert st.scores == {label: float(label == st.label) for label in LABELS}
    labels = {st.content.text: st.label for st in statements}
    assert labels["the dam could fail if rains continued"] == "speculation"
    assert labels["reports of looting"] == "denial"
    assert labels["whether the road will reopen"] == "speculation"


def test_predict_document_format(baseline):
    doc = baseline.predict_document({"id": "x-0001", "text": "He said it rained."})
    assert doc["id"] == "x-0001"
    assert doc["statements"] == [
        {
            "source": {"text": "He", "start": 0, "end": 2},
            "cue": {"text": "said", "start": 3, "end": 7},
            "content": {"text": "it rained", "start": 8, "end": 17},
            "label": "assertion",
            "score": 1.0,
            "scores": {"denial": 0.0, "speculation": 0.0, "hedge": 0.0, "assertion": 1.0},
            "speaker": None,  # the lexicon baseline does not resolve speakers
            "source_description": None,  # nor read source descriptions
        }
    ]


def test_label_order_denial_speculation_hedge_assertion():
    assert lexicon_label("said", "the claim is false and could hurt us") == "denial"
    assert lexicon_label("said", "the leak probably could spread") == "speculation"
    assert lexicon_label("said", "the leak probably started in the tank") == "hedge"
    assert lexicon_label("said", "the leak started in the tank") == "assertion"
    assert lexicon_label("rejected", "suggestions that he might resign") == "denial"
    assert lexicon_label("believes", "the leak started in the tank") == "hedge"
    assert lexicon_label("predicted", "prices rise by March") == "speculation"
    # "May" the month is not the modal; "we will" is a pledge.
    assert lexicon_label("said", "the vote is in May") == "assertion"
    assert lexicon_label("pledged", "we will rebuild every school") == "assertion"


def test_label_statement_of_a_given_statement(baseline):
    text = "The cargo reportedly left port. Officials said the dam could fail."
    cue, content = {"start": 10, "end": 20}, {"start": 0, "end": 30}
    # The reporter's own agentless cue inside the content does not make it a hedge.
    assert baseline.label_statement(text, cue, content) == "assertion"
    cue, content = {"start": 42, "end": 46}, {"start": 47, "end": 65}
    assert text[47:65] == "the dam could fail"
    assert baseline.label_statement(text, cue, content) == "speculation"
