"""Windows tile long texts, and gold spans survive the round trip through BIO tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stance
from stance import decoding
from stance.base_encoder import DEFAULT_BASE, resolve_base_folder
from stance.configuration import CUE_TAGS, ROLE_TAGS
from stance.tokenization import WordPieceTokenizer
from stance.windows import (
    bio_spans,
    label_windows,
    make_windows,
    sentence_start_tokens,
    window_bounds,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tokenizer() -> WordPieceTokenizer:
    return WordPieceTokenizer.from_folder(resolve_base_folder(DEFAULT_BASE))


@pytest.mark.parametrize("n", [1, 50, 254, 255, 1000, 4321])
def test_window_cores_tile_the_text(n: int) -> None:
    bounds = window_bounds(n, 256, 64)
    assert bounds[0][2] == 0 and bounds[-1][3] == n
    for (s, e, cs, ce), nxt in zip(bounds, bounds[1:] + [None], strict=True):
        assert s <= cs < ce <= e and e - s <= 254
        if nxt is not None:
            assert ce == nxt[2]


@pytest.mark.parametrize("seed", range(6))
def test_sentence_aligned_cores_tile_and_hold_whole_sentences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 130, size=60)  # some sentences longer than half a window
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    n = int(lengths.sum())
    bounds = window_bounds(n, 96, 16, starts)
    assert bounds[0][2] == 0 and bounds[-1][3] == n
    for (s, e, cs, ce), nxt in zip(bounds, bounds[1:] + [None], strict=True):
        assert s <= cs < ce <= e and e - s <= 94
        if nxt is not None:  # inner core edges keep half an overlap of context
            assert ce == nxt[2] and e - ce >= 8 and nxt[2] - nxt[0] >= 8
    # A sentence of at most half a window lies whole in the window whose core holds its start.
    for start, length in zip(starts, lengths, strict=True):
        s, e, _, _ = next(b for b in bounds if b[2] <= start < b[3])
        if length <= 47:
            assert s <= start and start + length <= e


def test_prediction_windows_start_at_sentences(tokenizer: WordPieceTokenizer) -> None:
    sentence = "The harbour master said the cargo had left port on Tuesday after a long delay. "
    text = sentence * 12
    ids, offsets = tokenizer.encode(text)
    starts = sentence_start_tokens(text, offsets)
    assert len(starts) == 12 and text[offsets[starts[1], 0] :].startswith("The harbour")
    windows = make_windows(tokenizer, [text], 96, 16, align_to_sentences=True)
    assert len(windows) > 1
    for window in windows[1:]:
        first_core = window.offsets[window.core_start, 0]
        assert text[first_core:].startswith("The harbour master")


def test_window_overlap_must_fit() -> None:
    with pytest.raises(ValueError, match="window_overlap"):
        window_bounds(1000, 10, 20)


def test_bio_decoding() -> None:
    tags = np.array([0, 1, 2, 2, 0, 1, 1, 2, 0, 2])
    assert bio_spans(tags, 1, 2) == [(1, 4), (5, 6), (6, 8), (9, 10)]


def test_tokenizer_is_not_truncated(tokenizer: WordPieceTokenizer) -> None:
    ids, offsets = tokenizer.encode("word " * 400)
    assert len(ids) == 400 and offsets[-1].tolist() == [1995, 1999]


def test_gold_spans_round_trip_through_tags(tokenizer: WordPieceTokenizer, corpus) -> None:
    docs = corpus[:150]
    windows = label_windows(
        tokenizer, docs, 256, 64, ["denial", "speculation", "hedge", "assertion"]
    )
    checked = 0
    for window in windows:
        doc = docs[window.doc_index]
        text = doc["text"]

        def chars(r):
            return text[window.offsets[r[0], 0] : window.offsets[r[1] - 1, 1]]

        gold_cues = {st["cue"]["text"] for st in doc["statements"]}
        for cue in bio_spans(window.cue_tags, CUE_TAGS.index("B-CUE"), CUE_TAGS.index("I-CUE")):
            assert chars(cue) in gold_cues
        gold_contents = {st["content"]["text"] for st in doc["statements"]}
        for pair in window.pairs:
            for con in bio_spans(
                pair["role_tags"], ROLE_TAGS.index("B-CON"), ROLE_TAGS.index("I-CON")
            ):
                assert chars(con) in gold_contents
                checked += 1
    assert checked > 100


def test_spans_cut_by_the_window_edge_are_left_out_of_the_loss(
    tokenizer: WordPieceTokenizer,
) -> None:
    from stance.windows import IGNORE

    filler = "The harbour was quiet on Tuesday morning. " * 6
    text = filler + "Port official Ana Reis said the cargo left on time and the crane was repaired."
    cue_start = text.index("said")
    content = "the cargo left on time and the crane was repaired"
    content_start = text.index(content)
    doc = {
        "text": text,
        "statements": [
            {
                "source": {"start": text.index("Port"), "end": cue_start - 1},
                "cue": {"start": cue_start, "end": cue_start + 4},
                "content": {"start": content_start, "end": content_start + len(content)},
                "label": "assertion",
            }
        ],
    }
    n_tokens = len(tokenizer.encode(text)[0])
    # One window that ends inside the content, so the content is cut, and a second that has it.
    windows = label_windows(tokenizer, [doc], n_tokens - 4, 8, ["assertion"])
    first, last = windows[0], windows[-1]
    assert len(first.pairs) == 1 and first.pairs[0]["items"] == []
    tags = first.pairs[0]["role_tags"]
    cut = np.nonzero(first.offsets[:, 0] >= content_start)[0]
    assert len(cut) > 0 and (tags[cut] == IGNORE).all()
    # The whole statement is learnt in the neighbouring window.
    assert len(last.pairs) == 1 and len(last.pairs[0]["items"]) == 1


def test_long_text_windows_cover_every_token(tokenizer: WordPieceTokenizer) -> None:
    text = "The minister said the port was closed. " * 300
    windows = make_windows(tokenizer, [text], 256, 64)
    cores = sum(w.core_end - w.core_start for w in windows)
    assert cores == len(tokenizer.encode(text)[0]) and len(windows) > 5


def test_content_gaps_are_bridged_only_when_short_likely_and_free() -> None:
    import numpy as np

    from stance.decoding import bridge_gaps

    # B=1, I=2, O=0. Row 0: a one-token gap with P 0.4 (bridged) and a two-token gap (not).
    # Row 1: the same one-token gap, but P 0.1. Row 2: the gap is the cue or the source.
    tags = np.array([[1, 2, 0, 2, 0, 0, 2], [1, 2, 0, 2, 0, 0, 0], [1, 2, 0, 2, 0, 0, 0]])
    probs = np.full(tags.shape, 0.4)
    probs[1, 2] = 0.1
    blockers = np.zeros(tags.shape, bool)
    blockers[2, 2] = True
    bridged = bridge_gaps(tags, probs, 1, 2, blockers, max_gap=1, min_probability=0.3)
    assert bridged.tolist() == [[1, 2, 2, 2, 0, 0, 2], tags[1].tolist(), tags[2].tolist()]
    assert bridge_gaps(tags, probs, 1, 2, blockers, 2, 0.3)[0].tolist() == [1, 2, 2, 2, 2, 2, 2]
    assert (bridge_gaps(tags, probs, 1, 2, blockers, 0, 0.3) == tags).all()  # off


def test_contents_do_not_end_on_a_preposition(nlp) -> None:
    from stance.decoding import DANGLING_WORDS

    # In the example article the role tagger ends one content on "flushed on" (before
    # "Tuesday"): the decoder carries it over the next token.
    text = (REPO / "examples" / "article.txt").read_text(encoding="utf-8")
    contents = [s.content.text for s in nlp.predict(text)]
    assert any(c.endswith("flushed on Tuesday") for c in contents)
    assert not any(c.split()[-1].lower() in DANGLING_WORDS for c in contents)


def test_sources_do_not_end_on_a_preposition(nlp) -> None:
    import numpy as np

    from stance import decoding
    from stance.decoding import DANGLING_WORDS, complete_source_ends

    # Tokens: "residents" "of" "the" "quarter" "said". Row 0: the source stops at "of" and the
    # tagger is fairly sure of the rest (grown over "the" and "quarter", the second because
    # "the" dangles too); row 1: it is not (trimmed to "residents"); row 2: the tagger opened
    # "the quarter" as a source of its own, which the dangling source takes in.
    dangling = np.array([[False, True, True, False, False]] * 3)
    probs = np.array([[0.9, 0.9, 0.4, 0.4, 0.0], [0.9, 0.9, 0.05, 0.05, 0.0], [0.9] * 4 + [0.0]])
    joinable = np.ones(dangling.shape, bool)
    rows, starts, ends = np.array([0, 1, 2, 2]), np.array([0, 0, 0, 2]), np.array([2, 2, 2, 4])
    assert complete_source_ends(rows, starts, ends, dangling, joinable, probs).tolist() == [
        4, 1, 4, 4,
    ]  # fmt: skip
    ends_off = (1.1, False)
    saved = decoding.SOURCE_TAIL_MIN_PROBABILITY, decoding.SOURCE_TAIL_TRIM
    try:
        decoding.SOURCE_TAIL_MIN_PROBABILITY, decoding.SOURCE_TAIL_TRIM = ends_off
        assert complete_source_ends(rows, starts, ends, dangling, joinable, probs).tolist() == [
            2, 2, 2, 4,
        ]  # fmt: skip
    finally:
        decoding.SOURCE_TAIL_MIN_PROBABILITY, decoding.SOURCE_TAIL_TRIM = saved

    # The example article's lead: the tagger reads "The regional water authority on" before
    # "Thursday denied".
    text = (REPO / "examples" / "article.txt").read_text(encoding="utf-8")
    sources = [s.source.text for s in nlp.predict(text) if s.source]
    assert not any(s.split()[-1].lower() in DANGLING_WORDS for s in sources), sources


def test_contents_opened_without_a_b_tag_grow_back_to_their_first_word() -> None:
    import numpy as np

    from stance.decoding import grow_edges

    # B=1, I=2, O=0. Row 0 opens on I after a likely token (grown by one); row 1 opens on B
    # (never grown); row 2 would grow over a token that is not joinable (the cue).
    tags = np.array([[0, 0, 2, 2], [0, 1, 2, 2], [0, 0, 2, 2]])
    probs = np.array([[0.05, 0.3, 0.9, 0.9]] * 3)
    joinable = np.ones(tags.shape, bool)
    joinable[2, 1] = False
    rows, starts = np.array([0, 1, 2]), np.array([2, 1, 2])
    grown = grow_edges(rows, starts, -1, tags != 1, joinable, probs, 0.1, 2)
    assert grown.tolist() == [1, 1, 2]  # row 0 stops before the unlikely first token
    assert grow_edges(rows, starts, -1, tags != 1, joinable, probs, 0.1, 0).tolist() == [2, 1, 2]


@pytest.mark.xfail(
    strict=True,
    reason="known regression of the model trained with the non-answer part: it finds no content "
    "in the quote that goes on after 'Vasquez said' (the model shipped before it found the quote "
    "and, by the content head rule, read it from its first word)",
)
def test_a_quote_going_on_after_its_cue_is_read_from_its_first_word(nlp) -> None:
    # The role tagger was unsure of "Fairness" and opened the second quote part at "is".
    text = (
        '"Our future is at stake," Vasquez said. '
        '"Fairness is at stake. Decency is at stake. Trust is at stake."'
    )
    contents = [s.content.text for s in nlp.predict(text)]
    assert any(content.startswith("Fairness is at stake") for content in contents), contents


def test_sibling_groups_join_neighbours_of_one_cue_only() -> None:
    from stance.decoding import sibling_groups

    text = 'it was "not aware" of it, and "we will check" soon'
    spans = [(0, 6), (8, 17), (31, 44), (0, 6)]

    def quote_gaps(i: int, j: int) -> bool:
        return text[spans[i][1] : spans[j][0]].strip() in ('"', "")

    # Pair 0: the first two are split by ' "' only; the third is after a comma and "and".
    # Pair 1 reads the same text for another cue and is never joined with pair 0.
    assert sibling_groups([0, 0, 0, 1], spans, quote_gaps) == [[0, 1], [2], [3]]
    # Overlapping contents are never joined.
    assert sibling_groups([0, 0], [(0, 10), (8, 17)], lambda i, j: True) == [[0], [1]]


def test_clause_gaps_stay_within_a_sentence_and_hold_no_cue() -> None:
    from stance.decoding import is_clause_gap
    from stance.types import Span

    def gap(text: str, max_words: int, blockers: list[Span | None] | None = None) -> bool:
        # The text between "X" and "Y".
        return is_clause_gap(text, text.index("X") + 1, text.index("Y"), max_words, blockers or [])

    assert gap("X, and that Y", 2) and gap("X Y", 0)
    assert not gap("X, and that Y", 1)  # too many words
    assert not gap("X. And Y", 4) and not gap('X." And Y', 4)  # sentence end
    assert not gap("X and\nY", 4)  # paragraph break
    text = "X, the mayor added, Y"
    start = text.index("added")
    added = Span.from_offsets(text, start, start + len("added"))
    assert gap(text, 4) and not gap(text, 4, [added]) and gap(text, 4, [None])


@pytest.mark.parametrize(
    ("words", "whole", "expected"),
    [
        ([1, 6], [False, False], {0}),  # a scrap beside a real content
        ([1, 6], [True, False], set()),  # a whole quote part ('"Hopefully," he said, "..."')
        ([1, 2], [False, False], set()),  # no longer sibling: nothing to prefer
        ([4, 6], [False, False], set()),  # at the threshold
    ],
)
def test_short_siblings(words: list[int], whole: list[bool], expected: set[int]) -> None:
    from stance.decoding import short_siblings

    assert short_siblings([0, 0], words, whole, 4) == expected
    assert short_siblings([0, 0], words, whole, 1) == set()  # off


def test_whole_quote() -> None:
    from stance.decoding import is_whole_quote

    text = "\u201cHopefully,\u201d the president said, \u201cthis helps.\u201d It is"
    assert is_whole_quote(text, 1, 10)  # closing punctuation before the quote mark
    start = text.index("It is")
    assert not is_whole_quote(text, start, start + 2)  # no quote mark around "It"
    assert not is_whole_quote(text, text.index("this"), text.index(" helps"))  # a cut quote
    assert not is_whole_quote(text, 0, 3)  # at the start of the text


def _decode(nlp, monkeypatch, text: str, **constants: int) -> list:
    """``nlp.predict(text)`` with the given stance.decoding constants set."""
    from stance import decoding

    for name, value in constants.items():
        monkeypatch.setattr(decoding, name, value)
    return nlp.predict(text)


def test_a_cut_partial_quote_is_joined_not_left_as_a_scrap(nlp, monkeypatch) -> None:
    # The shipped tagger stops at the partial quote of this validation sentence (bus-9103): "it
    # was" and "not aware of any basis" come out as two contents of one cue with only a quote
    # mark between them. (The partial-quote rule, which would grow "it was" through the quote
    # on its own, is off here.) The model shipped before it did so on 'He told the court there
    # was "not a shred of evidence" ...', which the current one reads whole.
    text = (
        "Late on Wednesday, the company said in a brief statement that it was "
        '"not aware of any basis" for the rumours.'
    )
    rules = {"MERGE_SAME_STANCE_WORDS": -1, "PARTIAL_QUOTE_MAX_WORDS": -1}
    found = _decode(nlp, monkeypatch, text, CONTENT_MIN_SIBLING_WORDS=1, **rules)
    raw = sorted(s.content.text for s in found)
    assert "it was" in raw and len(raw) == 2
    scraps_dropped = _decode(nlp, monkeypatch, text, CONTENT_MIN_SIBLING_WORDS=4, **rules)
    assert [s.content.text for s in scraps_dropped] == [c for c in raw if c != "it was"]
    monkeypatch.undo()
    (joined,) = _decode(nlp, monkeypatch, text, MERGE_SAME_STANCE_WORDS=6)  # before scraps go
    assert joined.content.text.startswith('it was "not aware of any basis')
    assert text[joined.content.start : joined.content.end] == joined.content.text


def test_conjoined_clauses_of_one_stance_are_one_content(nlp, monkeypatch) -> None:
    # The guidelines split "said X, and that Y" only when X and Y differ in stance.
    text = (
        "The union said staff at 12 depots had stopped overtime on June 3, and that the ban had "
        "continued until the company restored the bonus it withdrew in March."
    )
    split = _decode(nlp, monkeypatch, text, MERGE_SAME_STANCE_WORDS=-1)
    assert len(split) == 2 and split[0].label == split[1].label  # what the tagger gives
    (joined,) = _decode(nlp, monkeypatch, text, MERGE_SAME_STANCE_WORDS=6)
    assert (joined.content.start, joined.content.end) == (
        split[0].content.start,
        split[1].content.end,
    )
    assert joined.content.text.endswith("withdrew in March") and joined.label == split[0].label
    # Different stances stay two statements.
    text = (
        "The ministry said the shipment had been inspected twice, and that it could be released "
        "by Friday."
    )
    assert sorted(s.label for s in nlp.predict(text)) == ["assertion", "speculation"]


def test_join_into_next_joins_chains_within_a_row_only() -> None:
    from stance.decoding import join_into_next

    rows, starts, ends = (
        np.array([0, 0, 0, 1, 1]),
        np.array([1, 2, 3, 0, 4]),
        np.array([2, 3, 5, 1, 6]),
    )
    # Spans 0 and 1 run into span 2 (a chain); span 3 is joinable but the next span does not
    # start where it ends; the last span has no next.
    joined = join_into_next(rows, starts, ends, np.array([True, True, False, True, True]))
    assert [a.tolist() for a in joined] == [[0, 1, 1], [1, 0, 4], [5, 1, 6]]
    assert [a.tolist() for a in join_into_next(rows, starts, ends, np.zeros(5, bool))] == [
        rows.tolist(),
        starts.tolist(),
        ends.tolist(),
    ]


def test_a_verb_group_cut_at_its_auxiliary_is_one_cue(nlp, monkeypatch) -> None:
    # Earlier taggers tagged "had" and "reported" as two cues; each then got contents of its
    # own ("that the cargo ..." and "the cargo ..."), one statement too many. The current one
    # tags the verb group whole, and the join (join_into_next, whose doctest covers the cut
    # case) must leave it so.
    text = "The minister said inspectors had reported that the cargo probably left port on Monday."
    found = _decode(nlp, monkeypatch, text, JOIN_AUXILIARY_CUES=True)
    assert sorted(s.cue.text for s in found) == ["had reported", "said"]
    inner = next(s for s in found if s.cue.text == "had reported")
    assert inner.source.text == "inspectors" and inner.content.text.startswith("the cargo")
    # A verb and the reporting noun after it stay two cues (a nested statement).
    text = "The bakery denied reports that its ovens had failed an inspection."
    assert {"denied", "reports"} <= {s.cue.text for s in nlp.predict(text)}


def test_a_non_answer_cut_at_its_conjunction_is_one_cue(nlp, monkeypatch) -> None:
    # The tagger leaves "neither" and "nor" out of the cue: unjoined, the corpus-v12 model reads
    # a "denied" statement alone (the corpus-v8 model also a "confirmed" one), a denial of what
    # the ministry would not deny. Joined, the guidelines' one cue (join_coordinated's doctest
    # covers the token arithmetic).
    text = "The ministry neither confirmed nor denied that talks had taken place."
    cut = _decode(nlp, monkeypatch, text, JOIN_COORDINATED_CUES=False)
    assert "denied" in {s.cue.text for s in cut}
    assert "neither confirmed nor denied" not in {s.cue.text for s in cut}
    (joined,) = _decode(nlp, monkeypatch, text, JOIN_COORDINATED_CUES=True)
    assert joined.cue.text == "neither confirmed nor denied"
    assert joined.source.text == "The ministry" and "talks had taken place" in joined.content.text


def _statement(text: str, cue: str, content: str, source: str | None = None, score: float = 0.9):
    from stance.types import Span, Statement

    def span(part: str) -> Span:
        start = text.index(part)
        return Span.from_offsets(text, start, start + len(part))

    return Statement(
        source=span(source) if source else None,
        cue=span(cue),
        content=span(content),
        label="assertion",
        score=score,
        scores={},
    )


def test_one_statement_per_content_keeps_the_nearest_cue_and_joins_fragments() -> None:
    from stance.decoding import finalize, one_per_content

    text = "Aides said on Monday that Pryce, the mayor reported, had resigned the post."
    content = "had resigned the post"
    near = _statement(text, "reported", content, source="the mayor", score=0.6)
    far = _statement(text, "said", content, source="Aides", score=0.99)
    # Cues 5 words apart: the one nearest the content stays, whatever the scores.
    assert one_per_content(text, [far, near], 2) == [near]
    # Within the gap, the cues are one cue; the source comes from the first that has one.
    text = "Critics posted on social media saying the toll would rise."
    first = _statement(text, "posted on social media", "the toll would rise")
    second = _statement(text, "saying", "the toll would rise", source="Critics")
    (joined,) = one_per_content(text, [second, first], 2)
    assert joined.cue.text == "posted on social media saying"
    assert joined.source is not None and joined.source.text == "Critics"
    # Different contents are left alone, and the rule can be switched off.
    other = _statement(text, "saying", "the toll")
    assert len(finalize(text, [first, other])) == 2


def test_rule_off_keeps_statements_sharing_a_content(monkeypatch) -> None:
    from stance import decoding

    text = "Critics posted on social media saying the toll would rise."
    pair = [
        _statement(text, "posted on social media", "the toll would rise"),
        _statement(text, "saying", "the toll would rise"),
    ]
    monkeypatch.setattr(decoding, "ONE_STATEMENT_PER_CONTENT_GAP_WORDS", -1)
    assert len(decoding.finalize(text, pair)) == 2


def test_a_cue_does_not_take_a_content_from_the_paragraph_above(monkeypatch) -> None:
    from stance import decoding

    text = '"We will not back down," Ivo Sand said.\n"The plan is dead," Ana Ruiz told reporters.'
    own = _statement(text, "told reporters", "The plan is dead", source="Ana Ruiz")
    above = _statement(text, "told reporters", "We will not back down", source="Ana Ruiz")
    assert decoding.finalize(text, [own, above]) == [own]
    # A "— Name" line opens its paragraph: the post above it is its content.
    post = "Ports stay shut until Friday.\n— Ivo Sand (@ivosand)"
    dash = _statement(post, "—", "Ports stay shut until Friday", source="Ivo Sand")
    assert decoding.finalize(post, [dash]) == [dash]
    monkeypatch.setattr(decoding, "CONTENT_BEFORE_CUE_IN_ITS_PARAGRAPH", False)
    assert len(decoding.finalize(text, [own, above])) == 2


def test_a_content_cut_at_a_partial_quote_grows_through_it(monkeypatch) -> None:
    from stance import decoding

    text = "Aides said the ruling was a “huge win, as we’ve said.” Polls open at 8."
    cut = _statement(text, "said", "the ruling was a", source="Aides")
    (grown,) = decoding.finalize(text, [cut])
    assert grown.content.text == "the ruling was a “huge win, as we’ve said"
    # A naming cue's quoted words are its verdict, not its content (GUIDELINES.md).
    named = 'Aides called the ruling "a fabrication" on Monday.'
    verdict = _statement(named, "called", "the ruling", source="Aides")
    assert decoding.finalize(named, [verdict]) == [verdict]
    # Nor does a content grow over another statement's cue, or past its paragraph.
    text = 'Aides said the ruling was "wrong, officials added, and costly."'
    cut = _statement(text, "said", "the ruling was", source="Aides")
    added = _statement(text, "added", "and costly", source="officials")
    assert cut in decoding.finalize(text, [cut, added])
    unclosed = 'Aides said the ruling was "wrong.\nIt was costly," they said.'
    cut = _statement(unclosed, "said", "the ruling was", source="Aides")
    assert decoding.finalize(unclosed, [cut]) == [cut]
    monkeypatch.setattr(decoding, "PARTIAL_QUOTE_MAX_WORDS", -1)
    text = "Aides said the ruling was a “huge win.”"
    cut = _statement(text, "said", "the ruling was a", source="Aides")
    assert decoding.finalize(text, [cut]) == [cut]


def test_spans_do_not_start_on_the_piece_after_an_apostrophe(monkeypatch) -> None:
    from stance import decoding

    # The possessive's owner is the source: the cue starts after the "'s".
    text = "Nervo's conclusion that judges erred is not shared."
    cut = _statement(text, "s conclusion", "judges erred", source="Nervo")
    (moved,) = decoding.finalize(text, [cut])
    assert (moved.source.text, moved.cue.text) == ("Nervo", "conclusion")
    # A content opened inside a contraction takes the whole word.
    text = "The aide said she didn’t want the escort."
    cut = _statement(text, "said", "t want the escort", source="The aide")
    (moved,) = decoding.finalize(text, [cut])
    assert moved.content.text == "didn’t want the escort"
    # After a pronoun source the "'s" is an auxiliary ("has said"): the cue starts with it.
    text = "He's said the plan is dead."
    cut = _statement(text, "s said", "the plan is dead", source="He")
    (moved,) = decoding.finalize(text, [cut])
    assert (moved.source.text, moved.cue.text) == ("He", "'s said")
    monkeypatch.setattr(decoding, "WHOLE_WORD_STARTS", False)
    assert decoding.finalize(text, [cut]) == [cut]


def test_a_content_that_starts_inside_its_cue_starts_after_it(monkeypatch) -> None:
    from stance import decoding

    text = "An aide told him the nominee had paid no tax."
    cut = _statement(text, "told him", "him the nominee had paid no tax", source="An aide")
    (moved,) = decoding.finalize(text, [cut])
    assert moved.content.text == "the nominee had paid no tax"
    # A nested content may start where an inner cue starts.
    text = "The minister denied reports that the talks had stalled."
    outer = _statement(text, "denied", "reports that the talks had stalled", source="The minister")
    inner = _statement(text, "reports", "the talks had stalled")
    assert {st.content.text for st in decoding.finalize(text, [outer, inner])} == {
        "reports that the talks had stalled",
        "the talks had stalled",
    }
    monkeypatch.setattr(decoding, "CONTENT_AFTER_ITS_CUE", False)
    text = "An aide told him the nominee had paid no tax."
    assert decoding.finalize(text, [cut]) == [cut]


def test_a_source_ends_before_the_adverbs_that_part_it_from_its_cue(monkeypatch) -> None:
    from stance import decoding

    cases = {
        "The mayor separately said the library had closed.": ("The mayor separately", "The mayor"),
        "Marsh, however, said the port would reopen.": ("Marsh, however", "Marsh"),
        "Ana Ruiz also later told reporters it was lost.": ("Ana Ruiz also later", "Ana Ruiz"),
        "Leaders almost universally said it was lost.": ("Leaders almost universally", "Leaders"),
    }
    for text, (cut, whole) in cases.items():
        cue = "told reporters" if "told" in text else "said"
        st = _statement(text, cue, text.split(cue + " ")[1].rstrip("."), source=cut)
        (moved,) = decoding.finalize(text, [st])
        assert moved.source.text == whole, text
    # Nouns ending in "ly", names, and a source that is all adverb keep their words.
    for text, source, content in [
        ("The Smith family said they would appeal.", "The Smith family", "they would appeal"),
        ("Ms. Kelly said the ward would close.", "Ms. Kelly", "the ward would close"),
        ("Officially said the mayor, it was shut.", "Officially", "it was shut"),
        ("So many farmers said it was shut.", "So many farmers", "it was shut"),
    ]:
        st = _statement(text, "said", content, source=source)
        assert decoding.finalize(text, [st])[0].source.text == source
    monkeypatch.setattr(decoding, "SOURCE_WITHOUT_TRAILING_ADVERBS", False)
    text = "The mayor separately said the library had closed."
    st = _statement(text, "said", "the library had closed", source="The mayor separately")
    assert decoding.finalize(text, [st]) == [st]


def test_a_content_cut_short_of_its_phrase_runs_on_to_the_phrase_end(monkeypatch) -> None:
    from stance import decoding

    # An apostrophe inside a word ends no phrase.
    text = "Hallam said the metro was short of drivers it\u2019d trained, the union said."
    cut = _statement(text, "said", "the metro was short of", source="Hallam")
    (grown,) = decoding.finalize(text, [cut])
    assert grown.content.text == "the metro was short of drivers it\u2019d trained"
    # Not over a cue, not beyond the word limit, and not when punctuation follows.
    text = "Hallam said the metro was short of, the union added, drivers."
    cut = _statement(text, "said", "the metro was short of", source="Hallam")
    assert decoding.finalize(text, [cut]) == [cut]
    text = "Hallam said the metro was short of drivers as the union claimed."
    cut = _statement(text, "said", "the metro was short of", source="Hallam")
    claimed = _statement(text, "claimed", "drivers", source="the union")
    assert cut in decoding.finalize(text, [cut, claimed])
    # A content before its cue runs on to the mark its source follows, not past it.
    text = "It is unclear whether the board will order more tests, she said on Friday."
    cut = _statement(text, "said", "It is unclear whether the board will order more", "she")
    (grown,) = decoding.finalize(text, [cut])
    assert grown.content.text == "It is unclear whether the board will order more tests"
    appositive = "The board may order tests, Ana Ruiz, an engineer, said."
    whole = _statement(appositive, "said", "The board may order tests", "Ana Ruiz")
    assert decoding.finalize(appositive, [whole]) == [whole]
    monkeypatch.setattr(decoding, "CONTENT_BEFORE_CUE_RUN_WORDS", -1)
    assert decoding.finalize(text, [cut]) == [cut]
    monkeypatch.setattr(decoding, "DANGLING_CONTENT_RUN_WORDS", 2)
    text = "Hallam said the metro was short of about 90 drivers."
    cut = _statement(text, "said", "the metro was short of", source="Hallam")
    assert decoding.finalize(text, [cut]) == [cut]


def test_shipped_model_reads_each_content_once(nlp, corpus) -> None:
    # Documents where the tagger reads one content under two cues (validation split, so they
    # chose the rule): a cue cut in two ("told the Halden" + "Court"), and a cue and a
    # participle ("posted on social media" + "saying").
    docs = {d["id"]: d for d in corpus if d["id"] in {"crt-9102", "pol-0006"}}
    for doc in docs.values():
        statements = nlp.predict(doc["text"])
        contents = [(s.content.start, s.content.end) for s in statements]
        assert len(contents) == len(set(contents)), doc["id"]
    posted = nlp.predict(docs["pol-0006"]["text"])
    assert "posted on social media saying" in [s.cue.text for s in posted]


@pytest.mark.parametrize("seed", range(4))
def test_cues_near_window_edges_are_read_again_centred(
    tokenizer: WordPieceTokenizer, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    words = ["harbour", "council", "said", "ferry", "strike", "the", "on", "Tuesday", "."]
    text = " ".join(rng.choice(words, size=400))
    windows = make_windows(tokenizer, [text], 96, 16)
    size, context = 94, 40
    rows, starts = [], []
    for row, window in enumerate(windows):  # every position of every core is a cue
        for position in range(window.core_start, window.core_end):
            rows.append(row)
            starts.append(position)
    rows, starts = np.array(rows), np.array(starts)
    ends = starts + 1
    near = decoding.cues_near_edges(windows, rows, starts, ends, context)
    # Only cues whose window leaves them less than `context` tokens inside the text are near.
    assert near.any() and not near.all()
    again, new_rows, new_starts, new_ends = decoding.reread_windows(
        windows, rows[near], starts[near], ends[near], size, context
    )
    n_tokens = len(windows[0].doc_ids)
    for old_row, old_start, row, start, end in zip(
        rows[near], starts[near], new_rows, new_starts, new_ends, strict=True
    ):
        old, new = windows[old_row], again[row]
        assert new.doc_index == old.doc_index and len(new) == 96
        assert new.input_ids[start] == old.input_ids[old_start]  # the same token
        assert new.offsets[start].tolist() == old.offsets[old_start].tolist()
        # Centred: `context` tokens on each side, or the text's own edge.
        assert start - 1 >= context or new.start == 0
        assert len(new) - 1 - end >= context or new.start + size == n_tokens
    # A new window serves the cues of one old window only, so batches do not change results.
    for row in set(new_rows.tolist()):
        assert len(set(rows[near][new_rows == row].tolist())) == 1


@pytest.mark.parametrize("seed", range(4))
def test_only_readings_cut_at_an_inside_edge_are_read_again(
    tokenizer: WordPieceTokenizer, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    text = " ".join(rng.choice(["ferry", "council", "said", "strike", "."], size=300))
    windows = make_windows(tokenizer, [text], 96, 16)
    margin = int(rng.integers(0, 10))
    width = max(len(w) for w in windows)
    rows = np.arange(len(windows))
    near = decoding.edge_margins(windows, rows, width, margin)
    n_tokens = len(windows[0].doc_ids)
    for row, window in enumerate(windows):
        real = len(window) - 2
        # The outermost text token and `margin` more, at each edge that lies inside the text.
        expected = np.zeros(width, dtype=bool)
        if window.start > 0:
            expected[1 : 2 + margin] = True
        if window.start + real < n_tokens:
            expected[real - margin : real + 1] = True
        assert near[row].tolist() == expected.tolist()
    assert not near[0, 1] and not near[-1, len(windows[-1]) - 2]  # the text's own edges
    # A content ending just inside the margin is cut; one margin + 1 tokens in is not; a
    # source counts as a content does; no content at all is read again.
    middle = windows[1]
    last = len(middle) - 2
    tags = np.zeros((4, width), dtype=np.int64)
    tags[0, last - margin - 3 : last - margin] = decoding._I_CON
    tags[1, last - margin - 3 : last - margin + 1] = decoding._I_CON
    tags[2, 30:35] = decoding._I_CON
    tags[2, 1] = decoding._B_SRC
    cut = decoding.cut_at_edges(windows, np.ones(4, dtype=np.int64), tags, margin)
    assert cut.tolist() == [False, True, True, True]


@pytest.mark.xfail(
    strict=True,
    reason="known regression of the corpus-v12 model: in this three-window text it links the "
    "long quote to the mayor's earlier 'said' and cuts it, so re-reading alone no longer finds it "
    "whole (with the shipped quote-head rule it is found whole, but at one shift under the "
    "mayor's cue); the prediction window and re-reading constants are to be chosen again",
)
@pytest.mark.parametrize("edge_tokens", [-1, 6])
def test_a_quote_is_found_whole_wherever_a_window_edge_falls(
    nlp, monkeypatch, edge_tokens: int
) -> None:
    quote = (
        "From the nurse on the night shift to the farmer who brings his cattle to market on "
        "Saturday, everyone in this valley depends on that bridge, and we will not let it close"
    )
    words = "The council met for three hours on Tuesday and heard from residents".split()
    later = (
        " The ferry company has asked for a subsidy to run a second boat at weekends, which the"
        " council has so far refused. Cyclists say the crossing adds half an hour to a trip."
    )

    def quote_found(shift: int) -> bool:
        # The text is three windows long; the words before the quote move it across the edge
        # of the second window (token 78), while its "she said" stays in that window's core.
        text = (
            "Shop owners on the east bank say trade has fallen by a third since the bridge "
            f"closed to lorries in the spring. {' '.join(words[:shift])}. Traffic has been "
            "diverted through the industrial estate since March.\n\n"
            '"The repairs will take most of the summer," Mayor Edda Voss said.\n\n'
            f'"{quote}," she said.{later * 3}'
        )
        return any(st.content.text == quote for st in nlp.predict(text))

    # Without the rule that grows a content back to its quote's opening mark, which mends
    # some of these cuts too.
    monkeypatch.setattr(decoding, "QUOTE_HEAD_MAX_WORDS", -1)
    # -1 (shipped): every cue near an edge is read again; 6: only those whose first reading
    # runs to within 6 tokens of the edge.
    monkeypatch.setattr(decoding, "REREAD_EDGE_TOKENS", edge_tokens)
    shifts = range(1, 12, 3)
    assert all(quote_found(shift) for shift in shifts)
    monkeypatch.setattr(decoding, "REREAD_CONTEXT_TOKENS", -1)
    assert not any(quote_found(shift) for shift in shifts)  # cut at the window's edge


def test_readings_not_cut_at_an_edge_are_not_read_again(monkeypatch) -> None:
    from stance.sweeps import count_encoded_tokens

    paragraphs = [
        f"The {town} council said on Monday that the ferry would run twice a day from June. "
        f"Residents of {town} have waited four years for the service."
        for town in ("Ardley", "Brennock", "Colm", "Dunmore", "Elsby", "Farran", "Glenhow")
    ]
    text = "\n\n".join(paragraphs * 3)  # many windows, with cues near their edges

    # A predictor of its own: the counter stays on its backend.
    predictor = stance.load()._predictor
    encoded = count_encoded_tokens(predictor)

    def read(edge_tokens: int) -> tuple[list[tuple[int, int]], int]:
        monkeypatch.setattr(decoding, "REREAD_EDGE_TOKENS", edge_tokens)
        encoded[0] = 0
        contents = [(st.content.start, st.content.end) for st in predictor.predict([text])[0]]
        return contents, encoded[0]

    all_again, when_cut = read(-1), read(6)
    assert len(all_again[0]) == 21  # one statement a paragraph
    # Short contents well inside their windows are found as before, for less encoder work.
    assert when_cut[0] == all_again[0]
    assert when_cut[1] < all_again[1]


def test_a_content_inside_a_quote_grows_back_to_its_opening_mark(monkeypatch) -> None:
    # A lead-in the tagger left out, or a first sentence, belongs to the quote part's content.
    text = '"As a city, we will keep the bridge open," Mayor Edda Voss said.'
    cut = _statement(text, "said", "we will keep the bridge open", source="Mayor Edda Voss")
    (grown,) = decoding.finalize(text, [cut])
    assert grown.content.text == "As a city, we will keep the bridge open"
    text = "\u201cThe pier is sound. We checked it twice,\u201d she said."
    cut = _statement(text, "said", "We checked it twice", source="she")
    (grown,) = decoding.finalize(text, [cut])
    assert grown.content.text == "The pier is sound. We checked it twice"
    # Not over another statement's spans (two contents of one quote), its own cue or source,
    # a lone conjunction, or more words than the limit.
    text = '"We did not overpay, and the plant has met every target," the chairman said.'
    first = _statement(text, "said", "We did not overpay", source="the chairman")
    second = _statement(text, "said", "the plant has met every target", source="the chairman")
    assert decoding.finalize(text, [first, second]) == [first, second]
    text = '"The bridge, she said, will reopen on Friday."'
    inner = _statement(text, "said", "will reopen on Friday", source="she")
    assert decoding.finalize(text, [inner]) == [inner]
    text = '"And the deck will be replaced," she said.'
    cut = _statement(text, "said", "the deck will be replaced", source="she")
    assert decoding.finalize(text, [cut]) == [cut]
    monkeypatch.setattr(decoding, "QUOTE_HEAD_MAX_WORDS", 1)
    text = '"As a city, we will keep the bridge open," Mayor Edda Voss said.'
    cut = _statement(text, "said", "we will keep the bridge open", source="Mayor Edda Voss")
    assert decoding.finalize(text, [cut]) == [cut]
