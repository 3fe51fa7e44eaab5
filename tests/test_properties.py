"""Property-based checks of predict() on messy text (odd Unicode, quotes, HTML remnants)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.types import Statement

NEWSY = st.sampled_from(
    [
        "The ministry denied the report, officials said. ",
        '"We could lose the harbour," she warned. ',
        "According to the agency, the ship apparently sank. ",
        "<p>Talks may resume</p>, a diplomat said ",
        "„Nie”, said the mayor « ok » ‘fine’ ",
    ]
)
MESSY = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
TEXTS = st.lists(st.one_of(NEWSY, MESSY, st.just("\x00"), st.just(" \t\n ")), max_size=6).map(
    "".join
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_predict_never_fails_and_spans_are_sound(nlp, text: str) -> None:
    statements = nlp.predict(text)
    for s in statements:
        for span in (s.source, s.cue, s.content):
            if span is not None:
                assert 0 <= span.start < span.end <= len(text)
                assert text[span.start : span.end] == span.text
    assert statements == sorted(statements, key=Statement.sort_key)
    assert len({s.span_key() for s in statements}) == len(statements)
    again = nlp.predict(text)
    assert [(s.span_key(), s.label) for s in again] == [(s.span_key(), s.label) for s in statements]
