"""Speaker resolution: from each statement's source to the canonical mention of its speaker.

The model tags the canonical mentions of speakers in every window (names with their titles,
unique institutions) and, for a source that is not itself such a mention ("he", "the
minister", "Renvall"), ranks every mention found anywhere in the document, or "never named",
with a mention-ranking head over the shared encoder states. Mention vectors are pooled in the
window that read them and carried to the document level, so an antecedent in an earlier
window is still a candidate.

This module is shared by both backends and by training; it imports neither torch nor
transformers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from stance.types import Span, Speaker

#: Signed character distance between a candidate mention and a source is bucketed on a log
#: scale (16, 32, 64 … characters), up to this many buckets on each side.
MAX_DISTANCE_BUCKET = 8
#: Buckets: -MAX..MAX, shifted to 0..2*MAX.
DISTANCE_BUCKETS = 2 * MAX_DISTANCE_BUCKET + 1
#: Candidate mentions of a source lie within this many characters of it (the largest
#: distance bucket starts near 4,000 characters; training windows are about 1,200).
MAX_CANDIDATE_CHARS = 4000
#: Sources ranked per forward pass of the ranking head.
SOURCES_PER_PASS = 64
#: A tagged mention that overlaps a source by at least this share (of the union) is that
#: source: it is not a candidate antecedent of it (the "itself" option stands for it), and a
#: source ranked as itself is a candidate for the others only if no mention overlaps it so.
SELF_OVERLAP = 0.8
#: Decoding rules over the ranking head's logits (:func:`decoding_rules`). Each adds what the
#: head, which scores every (source, candidate) pair alone, cannot see. How much they weigh
#: against the head depends on the head: for the v3 model the four bonuses and penalties were
#: re-chosen on validation by ``training/sweep_speaker_rules.py``
#: (``reports/speaker-rules-sweep.md``). The figures in the comments below are the sweeps for
#: the v2 model, which first chose them (and the other constants), on validation only (91
#: sources needing resolution: 38 pronouns, 25 surnames, 28 descriptions; 143 never named;
#: ONNX backend); the figures below are the final sweep, each constant varied
#: with the others at their chosen values: accuracy on sources needing resolution / never
#: named (all rules off, torch backend: 0.703 / 0.937, reports/speaker-decoding.md).
#:
#: A tagged mention lying mostly inside a source (at least this share of the shorter span,
#: e.g. "label" in "The label") is a fragment of the source, not an antecedent: off → 0.835 /
#: 0.944, 0.5 → 0.846 / 0.951.
SELF_FRAGMENT = 0.5
#: Added to a pronoun's candidate that is the speaker of the nearest preceding source with a
#: named speaker (a "he" mostly continues the last quoted speaker): 0 → 0.813 (pronouns
#: 0.842) / 0.958, 1 → 0.835 (0.895) / 0.958, 2 → 0.835 / 0.951, 3 and 5 → 0.846 (0.921) /
#: 0.951.
PRONOUN_RECENCY_BONUS = 5.0
#: Subtracted from the "itself" option of a description source ("the company"), rarely its
#: speaker's most informative mention: 0 and 0.5 → 0.846 / 0.923 and 0.944, 1 → 0.846 /
#: 0.951, 2 → 0.824 / 0.951. Re-chosen for the model trained on the corpus with the
#: non-answer part (training/sweep_speaker_rules.py, reports/speaker-rules-sweep.md): 1.
DESCRIPTION_SELF_PENALTY = 1.0
#: Added to a named source's candidate whose name words include all of the source's
#: ("Renvall" → "Finance Minister Oskar Renvall"; a transcript's "PASCOE" → a mention tagged
#: "Pascoe"). Counting equal sets, not only strict supersets, raised validation surnames
#: 0.947 → 0.974 and all sources needing resolution 0.859 → 0.872 (reports/speaker-decoding.md).
#: The bonus's first sweep: 0 and 1 → 0.835 (surnames 0.84), 2 and 3 → 0.846 (0.88). A
#: penalty for named candidates sharing no name word with the source ("Lund" → "Jonas
#: Ekdal") changed nothing at 1–5 (an earlier sweep) and was left out.
#: Re-chosen for the model trained on corpus v4 (training/sweep_speaker_rules.py,
#: reports/speaker-rules-sweep.md): 6.
NAME_MATCH_BONUS = 6.0
#: Added to a description source's candidate containing its head word ("the ministry" →
#: "Zambia's sports ministry"): 0 → 0.758 (descriptions 0.429), 1 → 0.802 (0.571), 2 → 0.835
#: (0.679), 3 → 0.846 (0.714) / 0.951, 5 → 0.846 / 0.944.
DESCRIPTION_HEAD_BONUS = 5.0
#: Characters before a candidate (within its sentence) searched for the head word too, for a
#: tagged "Goldcoast Sound" introduced as "record label Goldcoast Sound": 0 → 0.813
#: (descriptions 0.607), 15 → 0.846 (0.714), 30 and 50 → 0.835 (0.679).
HEAD_CONTEXT_CHARS = 15
#: Whether the document's proper-name runs that the tagger did not mark are candidates too
#: (:func:`distractor_runs`). Validation, rules on, ONNX: off → 0.846 / 0.951, on → 0.890 /
#: 0.944 (descriptions 0.714 → 0.786, surnames 0.88 → 0.96); 0.901 when a tagged mention
#: running into a source does not hide the runs inside it ("The manufacturer, Sunrise
#: Remedies"). A bonus for such an appositive name after a description source (1–5) changed
#: nothing more and was left out. Training the ranking head with the runs as extra negatives
#: was tried and rejected: the retrained model scored 0.824 on validation with them (torch),
#: against 0.879 for the shipped model (torch).
NAME_RUN_CANDIDATES = True
#: Subtracted from the name runs the tagger did not mark (the head was trained on tagged
#: mentions only and rates some places high): 0 and 0.5 → 0.901 / 0.944, 1, 2 and 3 → 0.901 /
#: 0.951.
UNTAGGED_PENALTY = 1.0
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
#: Head words of description sources that stand for a company ("the company", "the firm").
ORGANISATION_HEADS = frozenset(
    {"company", "firm", "group", "maker", "carmaker", "automaker", "brewer", "retailer",
     "airline", "bank", "lender", "insurer", "supplier", "manufacturer", "producer",
     "developer", "chain", "conglomerate", "startup", "business", "operator", "provider"}
)  # fmt: skip
#: Words that mark a candidate mention, or the words just before it, as a company: kinds of
#: company and the words company names end in ("Kessler Motors", "Halden Foods").
ORGANISATION_MARKERS = ORGANISATION_HEADS | frozenset(
    {"motors", "systems", "foods", "industries", "holdings", "airlines", "pharma", "biotech",
     "breweries", "mobility", "energy", "steel", "partners", "analytics", "logistics", "alloys",
     "inc", "ltd", "corp", "plc", "gmbh", "ag", "sa", "co", "drugmaker", "miner", "shipper",
     "utility", "telecom", "semiconductor", "chipmaker", "pharmaceuticals", "technologies"}
)  # fmt: skip
#: Added to a company description's candidate that :data:`ORGANISATION_MARKERS` mark: error
#: analysis found "the company" linked to a person ("Reyne"), a place ("the company's Turin
#: plant") or another kind of body. Chosen on validation (training/sweep_speaker_rules.py
#: --grid, reports/organisation-bonus-sweep.md): descriptions 0.710 at 0, 0.726 at 2, 0.742 at
#: 4 and 6; pronouns, surnames and never-named sources unchanged.
ORGANISATION_BONUS = 4.0
#: A description source ("the exchange") that the ranking links to no one, to itself, or to a
#: mention without its head word is linked instead to the first fuller phrase before it that
#: ends in that word ("the Strand stock exchange"; :func:`head_phrase`). The mention tagger
#: rarely marks such lower-case canonical mentions, so the ranking cannot choose them. Torch,
#: gold sources (reports/speaker-decoding.md): validation sources needing resolution 0.872 ->
#: 0.888 (descriptions 0.627 -> 0.695), never-named sources unchanged. Indefinite phrases were
#: tried first and dropped: on the training split they linked 26 never-named sources ("The
#: person" -> "A person") for 8 descriptions more.
DESCRIPTION_PHRASE_FALLBACK = True


def distance_buckets(
    anchor_starts: np.ndarray,
    anchor_ends: np.ndarray,
    candidate_starts: np.ndarray,
    candidate_ends: np.ndarray,
) -> np.ndarray:
    """Bucketed signed distances [A, K] from each candidate to each anchor, in characters.

    Positive: the candidate precedes the anchor (an antecedent); negative: it follows (as in
    "…, its leader warned. Union leader Hana Petrov …"); 0: they overlap.

    Example:
        >>> distance_buckets(np.array([100]), np.array([102]), np.array([0, 200, 90]),
        ...                  np.array([10, 210, 101])).tolist()
        [[11, 5, 8]]
    """
    a_start = np.asarray(anchor_starts, dtype=np.int64)[:, None]
    a_end = np.asarray(anchor_ends, dtype=np.int64)[:, None]
    c_start = np.asarray(candidate_starts, dtype=np.int64)[None, :]
    c_end = np.asarray(candidate_ends, dtype=np.int64)[None, :]
    before = np.maximum(a_start - c_end, 0)  # > 0 when the candidate ends before the anchor
    after = np.maximum(c_start - a_end, 0)  # > 0 when it starts after
    gap = np.where(before > 0, before, -after)
    magnitude = np.ceil(np.log2(1.0 + np.abs(gap) / 16.0)).astype(np.int64)
    bucket = np.sign(gap) * np.minimum(np.maximum(magnitude, 1), MAX_DISTANCE_BUCKET)
    return bucket + MAX_DISTANCE_BUCKET


#: String match between a source and a candidate: no shared content word, some, or every
#: content word of the source in the candidate ("Renvall" in "Finance Minister Oskar Renvall").
MATCH_LEVELS = 3
_FUNCTION_WORDS = frozenset(
    {"the", "a", "an", "its", "his", "her", "their", "our", "my", "your", "of", "and", "for",
     "at", "in", "on", "to", "s", "he", "she", "they", "it", "we", "i", "you"}
)  # fmt: skip


def _content_words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.lower())) - _FUNCTION_WORDS


def pair_features(
    text: str, anchors: Sequence[tuple[int, int]], candidates: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Feature index [A, K] of every (source, candidate) pair: distance bucket and string match.

    The index is ``distance_bucket * MATCH_LEVELS + match``; the model splits it into two
    embeddings. String match is the classic coreference cue for surnames and descriptions
    ("the ministry" → "the Justice Ministry"); distance is the cue for pronouns.

    Example:
        >>> text = "Finance Minister Oskar Renvall spoke. Renvall said no."
        >>> pair_features(text, [(38, 45)], [(0, 30)]).tolist()  # near (bucket 9), full match (2)
        [[29]]
    """
    if not len(anchors) or not len(candidates):
        return np.zeros((len(anchors), len(candidates)), dtype=np.int64)
    buckets = distance_buckets(
        np.array([a[0] for a in anchors], dtype=np.int64),
        np.array([a[1] for a in anchors], dtype=np.int64),
        np.array([c[0] for c in candidates], dtype=np.int64),
        np.array([c[1] for c in candidates], dtype=np.int64),
    )
    anchor_words = [_content_words(text[a[0] : a[1]]) for a in anchors]
    candidate_words = [_content_words(text[c[0] : c[1]]) for c in candidates]
    match = np.array(
        [
            [0 if not (a & c) else (2 if a <= c else 1) for c in candidate_words]
            for a in anchor_words
        ],
        dtype=np.int64,
    )
    return buckets * MATCH_LEVELS + match


def _shared(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def overlap_share(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Characters shared by two spans over the characters of their union.

    Example:
        >>> overlap_share((0, 10), (5, 10))
        0.5
    """
    shared = _shared(a, b)
    return shared / (max(a[1], b[1]) - min(a[0], b[0])) if shared else 0.0


def overlap_of_shorter(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Characters shared by two spans over the characters of the shorter one.

    "Jonas Ekdal" names the same person as "Prime Minister Jonas Ekdal" (1.0), although it is
    less than half of the longer span.

    Example:
        >>> overlap_of_shorter((15, 26), (0, 26))
        1.0
    """
    shared = _shared(a, b)
    return shared / min(a[1] - a[0], b[1] - b[0]) if shared else 0.0


_JOINERS = "-'’"


def whole_name(text: str, span: Span | None) -> Span | None:
    """A tagged mention widened over hyphens and apostrophes inside a name ("Ferreira-Ostrov",
    "O'Neill"), or ``None`` if it is only an article.

    Example:
        >>> text = "club president Dalia Ferreira-Ostrov said"
        >>> whole_name(text, Span.from_offsets(text, 15, 29)).text
        'Dalia Ferreira-Ostrov'
    """
    if span is None or span.text.lower() in ("the", "a", "an"):
        return None
    start, end = span.start, span.end
    while end + 1 < len(text) and text[end] in _JOINERS and text[end + 1].isalnum():
        end += 2
        while end < len(text) and text[end].isalnum():
            end += 1
    while start >= 2 and text[start - 1] in _JOINERS and text[start - 2].isalnum():
        start -= 2
        while start > 0 and text[start - 1].isalnum():
            start -= 1
    return Span.from_offsets(text, start, end)


class SpeakerBackend(Protocol):
    """The mention-ranking head's forward pass: logits [A, K + 2] (never named, the source
    itself, then the K candidates)."""

    def score_speakers(
        self, anchors: np.ndarray, candidates: np.ndarray, buckets: np.ndarray
    ) -> np.ndarray: ...


@dataclass
class DocumentSpeakers:
    """What the windows of one document contributed: mention and source vectors.

    Each mention and name keeps the vector of the one window whose core holds its first token,
    and each source that of the earliest window that pooled it, so results depend neither on
    batch composition nor on the order in which batches run.
    """

    mentions: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    sources: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    #: Where the window that pooled each source begins (:meth:`add_source`).
    source_windows: dict[tuple[int, int], int] = field(default_factory=dict)
    #: Proper-name runs (:func:`name_runs`): candidates unless a mention or source covers them.
    names: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    #: :func:`lowercase_vocabulary` of the document, computed once by whoever needs it first.
    vocabulary: frozenset[str] | None = None

    def common_words(self, text: str) -> frozenset[str]:
        """The document's :func:`lowercase_vocabulary` (cached)."""
        if self.vocabulary is None:
            self.vocabulary = lowercase_vocabulary([text])
        return self.vocabulary

    def add_mention(self, span: Span, vector: np.ndarray) -> None:
        """Records a tagged canonical mention."""
        self.mentions.setdefault((span.start, span.end), vector)

    def add_source(self, span: Span, vector: np.ndarray, window_start: int = 0) -> None:
        """Records a source to resolve.

        Two windows can both pool one source (two cues sharing it across a window edge); the
        earliest window's vector is kept, whichever was recorded first, so the result does
        not depend on the order in which batches run.

        Args:
            span: The source span.
            vector: Its pooled encoder states.
            window_start: Where the pooling window begins in the text (characters).
        """
        key = (span.start, span.end)
        if key not in self.sources or window_start < self.source_windows[key]:
            self.sources[key] = vector
            self.source_windows[key] = window_start

    def add_name(self, span: tuple[int, int], vector: np.ndarray) -> None:
        """Records a proper-name run (a candidate the tagger did not mark)."""
        self.names.setdefault(span, vector)

    def candidates(self, text: str) -> dict[tuple[int, int], np.ndarray]:
        """Tagged mentions, and the name runs that repeat none of them nor of the sources
        (:func:`distractor_runs`)."""
        if not NAME_RUN_CANDIDATES:
            return dict(self.mentions)
        # A tagged mention that runs into a source ("The manufacturer, Sunrise Remedies" for
        # the source "The manufacturer") is blocked for that source, so it stands for no run.
        mentions = list(self.mentions)
        into_source = overlaps_any(mentions, self.sources)
        known = [*(m for m, blocked in zip(mentions, into_source) if not blocked), *self.sources]
        runs = distractor_runs(text, self.names, known, self.common_words(text))
        return {**self.mentions, **{key: self.names[key] for key in runs}}

    def resolve(self, text: str, backend: SpeakerBackend) -> dict[tuple[int, int], Speaker | None]:
        """The speaker of every recorded source, keyed by the source's (start, end).

        Every source is ranked against "never named", "the source itself" and every mention
        the windows tagged anywhere in the document (a mention that is the source, by
        ``SELF_OVERLAP``, is left out: "itself" stands for it). Sources ranked as their own
        canonical mention are canonical mentions too, so a second round ranks the other
        sources again with them among the candidates (the tagger can miss a name that is a
        source, as in "Finance Minister Oskar Renvall said …").
        """
        if not self.sources:
            return {}
        common = self.common_words(text)
        mentions = self.candidates(text)
        resolved = self._rank(text, backend, mentions, common)
        named_sources = {
            key: self.sources[key]
            for key, speaker in resolved.items()
            if speaker is not None and (speaker.start, speaker.end) == key
        }
        spans = SpanIndex(mentions)
        extra = {
            key: vector
            for key, vector in named_sources.items()
            if not any(overlap_share(key, m) >= SELF_OVERLAP for m in spans.overlapping(key))
        }
        if not extra:
            return resolved
        # A source's own decision to be canonical stands; the others may now link to one.
        fixed = {key: resolved[key] for key in named_sources}
        return self._rank(text, backend, {**mentions, **extra}, common, fixed)

    def _rank(
        self,
        text: str,
        backend: SpeakerBackend,
        mentions: dict[tuple[int, int], np.ndarray],
        common: frozenset[str],
        fixed: dict[tuple[int, int], Speaker | None] | None = None,
    ) -> dict[tuple[int, int], Speaker | None]:
        """Ranks every source (in text order) unless ``fixed`` already gives its speaker."""
        fixed = fixed or {}
        resolved: dict[tuple[int, int], Speaker | None] = {}
        # The speaker of the nearest preceding source whose speaker is named.
        last_speaker: tuple[int, int] | None = None
        to_rank = sorted(self.sources)
        mention_keys = sorted(mentions)
        mention_starts = np.array([m[0] for m in mention_keys], dtype=np.int64)
        # Sources are ranked a chunk at a time against the mentions near the chunk, so a
        # 1 MB text costs memory in proportion to its length, not to sources x mentions.
        for begin in range(0, len(to_rank), SOURCES_PER_PASS):
            chunk = to_rank[begin : begin + SOURCES_PER_PASS]
            low = int(np.searchsorted(mention_starts, chunk[0][0] - MAX_CANDIDATE_CHARS))
            high = int(np.searchsorted(mention_starts, chunk[-1][1] + MAX_CANDIDATE_CHARS))
            near = mention_keys[low:high]
            anchors = np.stack([self.sources[k] for k in chunk]).astype(np.float32)
            # One placeholder column when no mention is near keeps the shapes non-empty.
            vectors = [mentions[m] for m in near] or [np.zeros_like(anchors[0])]
            candidates = np.stack(vectors).astype(np.float32)
            buckets = pair_features(text, chunk, near or [(0, 0)])
            logits = np.array(
                backend.score_speakers(anchors, candidates, buckets), dtype=np.float64
            )
            # Every source sees exactly the mentions within MAX_CANDIDATE_CHARS of it, whatever
            # chunk it falls in, so results do not depend on its neighbours.
            blocked = np.array(
                [
                    [
                        overlap_share(k, m) >= SELF_OVERLAP
                        or overlap_of_shorter(k, m) >= SELF_FRAGMENT
                        or m[0] >= k[1] + MAX_CANDIDATE_CHARS
                        or m[1] <= k[0] - MAX_CANDIDATE_CHARS
                        for m in near
                    ]
                    or [True]
                    for k in chunk
                ]
            )
            logits[:, 2:][blocked] = -np.inf
            untagged = [m not in self.mentions and m in self.names for m in near] or [False]
            logits[:, 2:][:, np.array(untagged)] -= UNTAGGED_PENALTY
            near_words = [candidate_words(text, m, common) for m in near]
            for row, key in enumerate(chunk):
                if key in fixed:
                    speaker = fixed[key]
                else:
                    scores = decoding_rules(
                        text, key, near, logits[row], last_speaker, common, near_words
                    )
                    best = int(scores.argmax())
                    if best == 0:
                        speaker = None
                    elif best == 1:
                        speaker = Speaker.from_offsets(text, *key)
                    else:
                        speaker = Speaker.from_offsets(text, *near[best - 2])
                    if DESCRIPTION_PHRASE_FALLBACK:
                        speaker = _with_head_phrase(text, key, speaker, best < 2, common)
                resolved[key] = speaker
                if speaker is not None:
                    last_speaker = (speaker.start, speaker.end)
        return resolved


def _with_head_phrase(
    text: str,
    source: tuple[int, int],
    speaker: Speaker | None,
    none_or_itself: bool,
    common: frozenset[str],
) -> Speaker | None:
    """``speaker``, or the source's :func:`head_phrase` when the source is a description and
    the ranking chose "never named" or the source itself (``none_or_itself``) or a mention
    without the source's head word."""
    words = text[source[0] : source[1]].strip()
    if source_type(words, common) != "description":
        return speaker
    head = head_word(words)
    if not none_or_itself and speaker is not None and head in _WORD.findall(speaker.text.lower()):
        return speaker
    phrase = head_phrase(text, source)
    return speaker if phrase is None else Speaker.from_offsets(text, *phrase)


def candidate_words(
    text: str, mention: tuple[int, int], common: frozenset[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """What the decoding rules match a candidate mention by: its name words, case-folded (a
    transcript's "KESSEL" is "Dario Kessel"), and its lower-case words together with those just
    before it in its sentence (``HEAD_CONTEXT_CHARS``: a tagged "Goldcoast Sound" may be
    introduced as "record label Goldcoast Sound").

    Example:
        >>> text = "The record label Goldcoast Sound said"
        >>> names, words = candidate_words(text, (17, 32), frozenset())
        >>> sorted(names), "label" in words
        (['goldcoast', 'sound'], True)
    """
    before = text[max(0, mention[0] - HEAD_CONTEXT_CHARS) : mention[0]]
    before = re.split(r"[.!?;:\n]", before)[-1]  # not across a sentence end
    inside = text[mention[0] : mention[1]]
    return (
        folded_name_words(inside, common),
        frozenset(_WORD.findall((before + inside).lower())),
    )


def head_word(mention: str) -> str | None:
    """The last lower-cased word of a mention: a description's head ("the ministry" → "ministry").

    Example:
        >>> head_word("The rail authority"), head_word("42")
        ('authority', None)
    """
    words = _WORD.findall(mention.lower())
    return words[-1] if words else None


#: Words that do not sit between a phrase's article and its head: a second article starts a
#: new phrase ("the plan led the university"), a preposition or verb form ends one.
_NOT_MODIFIERS = frozenset(
    {"the", "a", "an", "this", "that", "these", "those", "by", "of", "to", "in", "on", "at",
     "for", "from", "with", "and", "or", "but", "as", "is", "was", "were", "are", "led", "said",
     "told", "his", "her", "its", "their", "our"}
)  # fmt: skip


def head_phrase(text: str, source: tuple[int, int]) -> tuple[int, int] | None:
    """The first phrase before ``source`` (within ``MAX_CANDIDATE_CHARS``) that names the same
    thing more fully, or None.

    Only a short definite source ("the exchange", "the rail authority": "the" and up to two
    words) has one. The phrase opens with "the", has more words than the source, at most three
    of them before the source's head word, and ends on it, on one line and within one clause.
    Indefinite phrases are left out: "a person" or "a diplomat" introduce a speaker the text
    never names. A phrase right after a comma is an appositive of the name before it.

    Example:
        >>> text = "Trading on the Strand stock exchange stopped. The exchange said so."
        >>> start = text.index("The exchange")
        >>> span = head_phrase(text, (start, start + 12))
        >>> text[span[0] : span[1]]
        'the Strand stock exchange'
        >>> head_phrase("Halden Foods, the food company, said so. The company said", (41, 52))
    """
    source_words = _WORD.findall(text[source[0] : source[1]].lower())
    if not 2 <= len(source_words) <= 3 or source_words[0] != "the":
        return None
    if any(word in _NOT_MODIFIERS for word in source_words[1:]):
        return None
    head = source_words[-1]
    pattern = re.compile(
        r"(?<![\w'’-])the((?:[ \t]+[\w'’&-]+){0,3}?)[ \t]+" + re.escape(head) + r"(?![\w'’-])",
        re.IGNORECASE,
    )
    # As far back as the ranking looks for candidates: a long text costs no more per source.
    for match in pattern.finditer(text, max(0, source[0] - MAX_CANDIDATE_CHARS), source[0]):
        modifiers = match.group(1).lower().split()
        if any(word in _NOT_MODIFIERS for word in modifiers):
            continue
        if text[max(0, match.start() - 8) : match.start()].rstrip().endswith(","):
            continue
        if len(modifiers) + 2 > len(source_words):
            return (match.start(), match.end())
    return None


def decoding_rules(
    text: str,
    source: tuple[int, int],
    near: Sequence[tuple[int, int]],
    logits: np.ndarray,
    last_speaker: tuple[int, int] | None,
    common: frozenset[str],
    near_words: Sequence[tuple[frozenset[str], frozenset[str]]],
) -> np.ndarray:
    """A source's ranking logits with the decoding rules applied (see the constants above).

    Args:
        text: The document.
        source: The source's (start, end).
        near: The candidate mentions, in the order of the logits' columns 2 onwards.
        logits: The head's logits: never named, the source itself, then ``near``.
        last_speaker: The speaker of the nearest preceding source with a named speaker.
        common: :func:`lowercase_vocabulary` of the document.
        near_words: :func:`candidate_words` of each candidate.

    Returns:
        The adjusted copy of ``logits``.

    Example:
        >>> text = "Ana Reis said so. Reis said more."
        >>> decoding_rules(text, (18, 22), [(0, 8)], np.zeros(3), None, frozenset(),
        ...                [candidate_words(text, (0, 8), frozenset())]).tolist()
        [0.0, 0.0, 6.0]
    """
    scores = np.array(logits, dtype=np.float64)
    words = text[source[0] : source[1]].strip()
    kind = source_type(words, common)
    if kind == "description":
        scores[1] -= DESCRIPTION_SELF_PENALTY
        head = head_word(words)
        company = head in ORGANISATION_HEADS
        for j, (_, lower) in enumerate(near_words):
            if head and head in lower:  # "the ministry" → "the sports ministry"
                scores[2 + j] += DESCRIPTION_HEAD_BONUS
            if company and not lower.isdisjoint(ORGANISATION_MARKERS):
                scores[2 + j] += ORGANISATION_BONUS
    elif kind == "pronoun" and last_speaker is not None:
        for j, mention in enumerate(near):
            if overlap_of_shorter(mention, last_speaker) >= 0.5:
                scores[2 + j] += PRONOUN_RECENCY_BONUS
    elif kind == "name":
        names = folded_name_words(words, common)
        for j, (fuller, _) in enumerate(near_words):
            # "Renvall" (or a transcript's "RENVALL", or "Mr. Renvall") → "Finance Minister
            # Oskar Renvall"; an equal set is the same person too ("PASCOE" → "Pascoe")
            if names <= fuller:
                scores[2 + j] += NAME_MATCH_BONUS
    return scores


#: Personal pronouns: a source that is one is a pronoun source (resolution type "pronoun",
#: the corpus's construction tags, the error analysis).
PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you"})
#: How a source that needs resolving refers to its named speaker: a pronoun, a surname or
#: short name ("Renvall", "the Alliance"), or a description ("the minister", "its leader").
RESOLUTION_TYPES: tuple[str, ...] = ("pronoun", "surname", "description")
_NAME_WORD = re.compile(r"[\w'’.-]+")
#: Courtesy titles, which stand before a name but are no part of it: "Mr. Amsel" is the
#: "Amsel" of "Chairman Victor Amsel", whose first mention does not carry the title.
HONORIFICS = frozenset({"mr", "mrs", "ms", "mx", "miss", "messrs", "dr", "prof"})


#: Runs of capitalised words on one line, optionally joined by "of", "for", "de" … ("Bank of
#: Lisbon"; not "and", which joins two names more often than it sits inside one).
_NAME_RUN = re.compile(
    r"(?<![\w'’-])[A-Z][\w'’.-]*"
    r"(?:[ \t]+(?:(?:of|for|de|del|van|von|al)[ \t]+)?[A-Z][\w'’.-]*)*"
)
#: Capitalised words that are not names of speakers: dates, and the dateline's month forms.
CALENDAR_WORDS = frozenset(
    {"january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
     "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
     "saturday", "sunday"}
)  # fmt: skip


def name_runs(text: str, start: int, end: int, common: frozenset[str]) -> list[tuple[int, int]]:
    """Character spans of the proper-name runs in ``text[start:end]``.

    They are candidate speakers next to the tagged mentions: the tagger misses names that are
    no source themselves ("Atlas Reinsurance" before "The company said …"). A run's leading
    common words ("The", sentence-initial "Investors") are dropped; runs with no word left, of
    dates only, or in capitals only (datelines: "ACCRA") are not names.

    Example:
        >>> text = "Investors asked if Atlas Reinsurance can pay. The company said on Monday."
        >>> [text[a:b] for a, b in name_runs(text, 0, len(text), frozenset({"investors"}))]
        ['Atlas Reinsurance']
    """
    runs = []
    for match in _NAME_RUN.finditer(text, start, end):
        # A word ending in a full stop ends the run unless it is an initial or a short
        # abbreviation ("J.", "Mr.", "St."): "Lisbon. Almeida" is two names.
        a = match.start()
        for piece in re.split(r"(?<=[^\W\d_][^\W\d_][^\W\d_]\.)[ \t]+", match.group()):
            runs += _name_run(text, a, a + len(piece), common)
            a += len(piece)
            a += len(text[a : match.end()]) - len(text[a : match.end()].lstrip(" \t"))
    return runs


def _name_run(text: str, a: int, b: int, common: frozenset[str]) -> list[tuple[int, int]]:
    """The run ``text[a:b]`` without its leading common words, or nothing if not a name."""
    b = a + len(text[a:b].rstrip(".'’-"))
    words = list(re.finditer(r"\S+", text[a:b]))
    first = 0
    while first < len(words) and (
        words[first].group().lower() in common or words[first].group().lower() in _NOT_NAMES
    ):
        first += 1
    names = [w.group() for w in words[first:]]
    if (
        not names
        or all(w.lower().strip(".") in CALENDAR_WORDS for w in names)
        or all(w.isupper() for w in names)
    ):
        return []
    return [(a + words[first].start(), b)]


_ARTICLES = frozenset({"the", "a", "an"})
#: Sentence-initial words a short document may never write in lower case.
_STARTERS = frozenset(
    {"if", "but", "and", "when", "while", "after", "before", "as", "this", "that", "these",
     "those", "there", "some", "many", "most", "all", "no", "not", "asked", "in", "on", "at",
     "for", "with", "by", "from", "its", "his", "her", "their", "our", "we", "it", "he", "she",
     "they", "i", "you", "yes", "still", "even", "only", "also", "so", "then", "now"}
)  # fmt: skip
_NOT_NAMES = _ARTICLES | _STARTERS


def _run_names(text: str, span: tuple[int, int], common: frozenset[str]) -> frozenset[str]:
    """Lower-case name words of a span, without possessive endings ("Karvona's" → karvona)."""
    words = name_words(text[span[0] : span[1]], common)
    return frozenset(re.sub(r"['’]s?$", "", w).lower() for w in words)


def distractor_runs(
    text: str,
    runs: Iterable[tuple[int, int]],
    known: Sequence[tuple[int, int]],
    common: frozenset[str],
) -> list[tuple[int, int]]:
    """The name runs that are candidates beside the ``known`` spans (mentions and sources).

    A run overlapping a known span is that span; a run whose name words all occur in a known
    span ("Almeida" after "coach Ruiz Almeida") is a second mention of it, which the fuller
    mention already stands for.

    Example:
        >>> text = "Coach Ruiz Almeida met Teo Marsal in Lisbon. Almeida said no."
        >>> runs = name_runs(text, 0, len(text), frozenset({"coach"}))
        >>> [text[a:b] for a, b in distractor_runs(text, runs, [(0, 18)], frozenset({"coach"}))]
        ['Teo Marsal', 'Lisbon']
    """
    runs = list(runs)
    # Known name sets indexed by word: a run's words can only all lie in sets holding its first.
    by_word: dict[str, list[frozenset[str]]] = {}
    for names in {_run_names(text, k, common) for k in known}:
        for word in names:
            by_word.setdefault(word, []).append(names)
    kept = []
    for run, overlapping in zip(runs, overlaps_any(runs, known), strict=True):
        names = _run_names(text, run, common)
        # A run with no name word counts as a repeat whenever any name is known (∅ ⊆ all).
        repeat = any(names <= k for k in by_word.get(min(names), ())) if names else bool(by_word)
        if overlapping or repeat:
            continue
        kept.append(run)
    return sorted(kept)


def overlaps_any(spans: Sequence[tuple[int, int]], others: Iterable[tuple[int, int]]) -> np.ndarray:
    """Whether each span shares a character with any of ``others``, by a sorted search rather
    than every pair (a 1 MB document has tens of thousands of each).

    Example:
        >>> overlaps_any([(0, 5), (6, 8), (20, 30)], [(4, 7), (29, 40)]).tolist()
        [True, True, True]
        >>> overlaps_any([(0, 5), (10, 12)], [(5, 10)]).tolist()
        [False, False]
    """
    ordered = sorted(others)
    if not len(spans) or not ordered:
        return np.zeros(len(spans), dtype=bool)
    starts = np.array([o[0] for o in ordered], dtype=np.int64)
    # The largest end among the others that start before a point: one of them reaches past
    # a span's start exactly when an overlapping one exists.
    reach = np.maximum.accumulate(np.array([o[1] for o in ordered], dtype=np.int64))
    begin = np.array([s[0] for s in spans], dtype=np.int64)
    end = np.array([s[1] for s in spans], dtype=np.int64)
    before_end = np.searchsorted(starts, end, side="left")
    return (before_end > 0) & (reach[np.maximum(before_end - 1, 0)] > begin)


class SpanIndex:
    """Spans sorted by start, for finding those that overlap one span without a full scan.

    Example:
        >>> SpanIndex([(0, 4), (10, 30), (12, 14), (40, 41)]).overlapping((13, 20))
        [(10, 30), (12, 14)]
    """

    def __init__(self, spans: Iterable[tuple[int, int]]):
        self.spans = sorted(spans)
        self.starts = np.array([s[0] for s in self.spans], dtype=np.int64)
        self.longest = max((s[1] - s[0] for s in self.spans), default=0)

    def overlapping(self, key: tuple[int, int]) -> list[tuple[int, int]]:
        """The spans sharing a character with ``key``."""
        low = int(np.searchsorted(self.starts, key[0] - self.longest, side="left"))
        high = int(np.searchsorted(self.starts, key[1], side="left"))
        return [s for s in self.spans[low:high] if _shared(s, key)]


def lowercase_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Words that occur in lower case somewhere in ``texts`` (so are common words, not names).

    Example:
        >>> sorted(lowercase_vocabulary(["Police said the police chief left."]))
        ['chief', 'left', 'police', 'said', 'the']
    """
    return frozenset(w for t in texts for w in re.findall(r"\b[a-z][a-z'’-]*\b", t))


def name_words(mention: str, common: frozenset[str]) -> list[str]:
    """The capitalised words of a mention that look like parts of proper names.

    A capitalised first word counts only if it is not a common word (sentence-initial
    "Police" or "Analysts" are not names); courtesy titles (:data:`HONORIFICS`) never count.

    Example:
        >>> name_words("Police chief Arno Delacroix", frozenset({"police", "chief"}))
        ['Arno', 'Delacroix']
        >>> name_words("Mr. Amsel", frozenset()), name_words("MS. BARRE", frozenset())
        (['Amsel'], ['BARRE'])
    """
    names = []
    for i, word in enumerate(_NAME_WORD.findall(mention)):
        if not word[:1].isupper() or word.lower() in ("the", "a", "an"):
            continue
        if i == 0 and word.lower() in common:
            continue
        name = word.strip(".'’")
        if name.casefold() not in HONORIFICS:
            names.append(name)
    return names


def folded_name_words(mention: str, common: frozenset[str]) -> frozenset[str]:
    """:func:`name_words` case-folded, as names are matched: a transcript's "KESSEL" is the
    "Kessel" of "Dario Kessel".

    Example:
        >>> sorted(folded_name_words("KESSEL", frozenset()))
        ['kessel']
    """
    return frozenset(word.casefold() for word in name_words(mention, common))


def source_type(source: str, common: frozenset[str]) -> str:
    """How a source refers to its speaker: "pronoun", "name" or "description".

    Example:
        >>> common = frozenset({"the", "minister"})
        >>> [source_type(s, common) for s in ("she", "Renvall", "the minister")]
        ['pronoun', 'name', 'description']
    """
    if source.lower() in PRONOUNS:
        return "pronoun"
    return "name" if name_words(source, common) else "description"


def resolution_type(source: str, speaker: str | None, common: frozenset[str]) -> str:
    """How a source refers to its speaker: a ``RESOLUTION_TYPES`` entry, or "never_named".

    A source is a surname or short name when its name words all occur in the canonical
    mention ("Renvall" for "Finance Minister Oskar Renvall").

    Example:
        >>> common = frozenset({"the", "minister", "finance"})
        >>> [resolution_type(s, "Finance Minister Oskar Renvall", common)
        ...  for s in ("he", "Renvall", "RENVALL", "the minister")]
        ['pronoun', 'surname', 'surname', 'description']
        >>> resolution_type("a senior official", None, common)
        'never_named'
    """
    if speaker is None:
        return "never_named"
    if source.lower() in PRONOUNS:
        return "pronoun"
    names = folded_name_words(source, common)
    if names and names <= folded_name_words(speaker, common):
        return "surname"
    return "description"


def nearest_named_source(
    statements: Sequence[dict[str, Any]],
    to_resolve: Iterable[tuple[int, int]],
    text: str,
    common: frozenset[str],
) -> dict[tuple[int, int], tuple[int, int] | None]:
    """The nearest-name baseline: each source to resolve is linked to the nearest preceding
    source that contains a proper name (or to nobody when none precedes it).

    Args:
        statements: One document's statements, with ``source`` spans (or ``None``).
        to_resolve: The (start, end) of the sources to link.
        text: The document text.
        common: :func:`lowercase_vocabulary` of the corpus.

    Returns:
        ``{(start, end): (start, end) of the linked source, or None}``.

    Example:
        >>> text = "Lena Marsh said the port was shut. She said it would reopen."
        >>> sts = [{"source": {"start": 0, "end": 10}}, {"source": {"start": 35, "end": 38}}]
        >>> nearest_named_source(sts, [(35, 38)], text, frozenset())
        {(35, 38): (0, 10)}
    """
    named = sorted(
        {
            (s["source"]["start"], s["source"]["end"])
            for s in statements
            if s["source"] is not None
            and source_type(text[s["source"]["start"] : s["source"]["end"]], common) == "name"
        }
    )
    result: dict[tuple[int, int], tuple[int, int] | None] = {}
    for key in to_resolve:
        before = [n for n in named if n[1] <= key[0] and n != key]
        result[key] = before[-1] if before else None
    return result
