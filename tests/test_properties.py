"""Property-based fuzzing of predict() on the messy text archives contain (Hypothesis).

Fixed example counts and no deadline keep the run time stable in CI; the strategies cover odd
Unicode (control characters, combining marks, right-to-left text, emoji, lone surrogates, NUL),
unbalanced and mixed quote marks, HTML fragments, very long tokens and lines, and whitespace runs,
mixed with news sentences so that statements are actually found.
"""

from __future__ import annotations

import pytest
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
        '"Unclosed quote, the minister said the port was closed. ',
        'He said ״the budget’s fine» and “it may rise" by May. ',
        "<div class='x'><b>Marsh</b> said: &quot;no&quot;</div>\n",
    ]
)
ODD = st.sampled_from(
    [
        "\x00",
        "\ud800",  # lone surrogate: legal in a Python str, rejected by Rust tokenizers
        "\udfff x \ud83d",
        "\u202eThe port was closed\u202c",  # right-to-left override
        "وقال الوزير إن الميناء مغلق",  # Arabic
        "הוא אמר שהנמל סגור",  # Hebrew
        "👩‍👩‍👧‍👦🇳🇴✊🏽",  # emoji with joiners, flags, skin tones
        "a\u0301\u0302\u0303" * 20,  # stacked combining marks
        "\u200b\u200d\ufeff\u00ad",  # zero-width characters and a soft hyphen
        "x" * 3000,  # one very long token
        ("word " * 700).strip(),  # one very long line
        " \t\n\r\x0b\x0c " * 30,  # whitespace runs
        "\r\n\r\n",
    ]
)
MESSY = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
TEXTS = st.lists(st.one_of(NEWSY, ODD, MESSY), max_size=6).map("".join)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples in every CI run
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_sound(text: str, statements: list[Statement]) -> None:
    """Offsets inside the text and equal to the span texts; sorted; no duplicates."""
    for s in statements:
        for span in (s.source, s.cue, s.content):
            if span is not None:
                assert 0 <= span.start < span.end <= len(text)
                assert text[span.start : span.end] == span.text
        assert s.label in s.scores and abs(s.scores[s.label] - s.score) < 1e-9
    assert statements == sorted(statements, key=Statement.sort_key)
    assert len({s.span_key() for s in statements}) == len(statements)


def same(a: list[Statement], b: list[Statement], tolerance: float = 1e-4) -> bool:
    """Identical spans and labels; scores within ``tolerance``."""
    return [(s.span_key(), s.label) for s in a] == [(s.span_key(), s.label) for s in b] and all(
        abs(x.score - y.score) <= tolerance for x, y in zip(a, b, strict=True)
    )


@SETTINGS
@given(text=TEXTS)
def test_predict_never_fails_and_spans_are_sound(nlp, text: str) -> None:
    statements = nlp.predict(text)
    check_sound(text, statements)
    assert same(nlp.predict(text), statements, tolerance=0.0)


@pytest.fixture(scope="module", params=["torch", "onnx-int8", "onnx-fp32"])
def any_backend(request):
    """Each backend (and onnx compute mode) in turn: all promise batch-independent results."""
    import stance

    if request.param == "torch":
        return stance.load(backend="torch")
    return stance.load(backend="onnx", onnx_compute=request.param.removeprefix("onnx-"))


@SETTINGS
@given(a=TEXTS, b=TEXTS, c=TEXTS)
def test_a_batch_equals_its_texts_one_by_one(any_backend, a: str, b: str, c: str) -> None:
    together = any_backend.predict([a, b, c])
    for text, result in zip((a, b, c), together, strict=True):
        assert same(result, any_backend.predict(text))
    # Windows packed three different ways: one per pass, and all in one pass.
    one_per_pass = any_backend.predict([c, a, b], batch_size=1)
    assert all(same(x, y) for x, y in zip(one_per_pass, together[2:] + together[:2], strict=True))
