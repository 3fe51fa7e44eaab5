"""A cue-lexicon rule baseline for attributed statements and their stance.

The baseline is the yardstick for the neural model: if the model cannot beat a list of reporting
verbs and a handful of word-order patterns, it has learnt nothing. It works sentence by sentence:

1. Paragraphs (lines) are split into sentences with pysbd; sentences that a quotation runs
   across are merged, because a quotation is one content.
2. Cues are found outside quotations with a lexicon: reporting verbs with their auxiliaries and
   negation ("said", "has said", "did not deny"), "told" with its addressee ("told reporters"),
   "according to", agentless frames ("it is believed") and the adverbs "reportedly" and
   "allegedly".
3. Each cue is read with one of these patterns:

   - ``SOURCE CUE (that) CONTENT``: content is the quotation right after the cue, or the rest
     of the sentence after "that" and leading adverbials ("on Tuesday", "in a statement");
   - ``"CONTENT," SOURCE CUE`` and ``"CONTENT," CUE SOURCE``: when nothing but adverbials
     follow the cue (or a comma does), the content is the quotation or clause before it; a
     quotation right after ``CUE SOURCE,`` is a second content of the same cue;
   - ``according to SOURCE, CONTENT`` and ``CONTENT, according to SOURCE``;
   - ``it is believed (that) CONTENT`` (no source) and ``... reportedly ...`` (no source, the
     whole sentence is the content) when the sentence has no other cue;
   - a sentence that is only a quotation continues the quoted statement just before it.

4. The source is the noun-phrase-like run just before the cue, back to the nearest clause
   boundary (sentence start, punctuation, a quotation, a previous cue, or words such as "that",
   "who", "because"), minus leading conjunctions and trailing adverbs; in "Marsh, a spokeswoman
   for the port, said" the appositive is skipped. A run of more than eight words is not a noun
   phrase: then only its trailing capitalised words (or pronoun) are kept. "-ing" cues ("adding")
   reuse the previous source of the sentence.
5. The label comes from lexicons applied in the guideline order denial -> speculation -> hedge
   -> assertion, over the cue and the content (an agentless cue inside the content is left
   out, so the reporter's own "reportedly" does not make a hedge).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pysbd

from stance.corpus import QUOTE_CHARS
from stance.evaluation import trim_offsets
from stance.quotes import quote_regions
from stance.speakers import PRONOUNS
from stance.types import LABELS, Span, Statement

# --------------------------------------------------------------------------------------------
# Lexicons
# --------------------------------------------------------------------------------------------

# Only unambiguous verb forms: base or "-s" forms that are common nouns ("report", "claims",
# "reports") would turn subjects and objects into cues, so those verbs are listed in the past.
_VERBS = """
    say says said saying tells adds added adding stated stating
    explain explains explained explaining noted noting stressed stressing emphasised emphasized
    argue argues argued arguing claimed claiming allege alleges alleged alleging
    insist insists insisted insisting warn warns warned warning predict predicts predicted
    acknowledge acknowledges acknowledged admit admits admitted announce announces announced
    confirm confirms confirmed reported wrote writes asked asks suggest suggests suggested
    believe believes thinks deny denies denied denying reject rejects rejected dismiss dismisses
    dismissed pledged promised vowed maintain maintains maintained contend contends contended
    conceded expect expects cautioned testified tweeted recalled replied responded countered
""".split()
_AUXILIARY = (
    r"(?:(?:has|have|had|will|would|could|did|does|do|can|may|might)\s+(?:not\s+|never\s+)?)"
)
_ADVERB_BETWEEN = r"(?:(?:also|previously|later|repeatedly|again|publicly|privately)\s+)?"
_TOLD = (
    r"told(?:\s+(?:reporters|journalists|lawmakers|supporters|parliament|the\s+[\w-]+"
    r"(?:\s+(?:conference|committee|court|panel))?|an?\s+(?:news\s+|press\s+)?[\w-]+"
    r"|him|her|them|us|me|(?-i:[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*)))?"
)
_AGENTLESS_FRAME = (
    r"it\s+(?:is|was|has\s+been|had\s+been)\s+(?:widely\s+|now\s+)?"
    r"(?:believed|understood|thought|feared|expected|reported|said|known|alleged|claimed"
    r"|unclear|not\s+clear|not\s+known|not\s+yet\s+known)"
)
_CUE = re.compile(
    rf"\b(?P<frame>{_AGENTLESS_FRAME})\b"
    r"|\b(?P<according>according\s+to)\b"
    r"|\b(?P<adverb>reportedly|allegedly)\b"
    rf"|\b(?P<verb>{_AUXILIARY}?{_ADVERB_BETWEEN}(?:{_TOLD}|{'|'.join(_VERBS)}))\b",
    re.IGNORECASE,
)

_DENIAL_CUE = re.compile(r"\b(?:den(?:y|ies|ied|ying)|reject\w*|dismiss\w*|refut\w*)\b", re.I)
_NEGATED = re.compile(r"\b(?:not|never)\b|n't\b", re.I)
_DENIAL_WORDS = re.compile(
    r"\b(?:no truth|not true|untrue|false|never happened|did not happen|didn't happen"
    r"|baseless|groundless|fabricat\w*|ruled? out|no basis)\b",
    re.I,
)
_SPECULATION_CUE = re.compile(
    r"\b(?:predict\w*|expect\w*|ask\w*|wonder\w*|it (?:is|was) (?:unclear|not (?:yet )?"
    r"(?:clear|known)))\b",
    re.I,
)
# "may" is matched in lower case only so that the month ("in May") is not a modal.
_SPECULATION_WORDS = re.compile(
    r"(?i:\b(?:could|might|would|will|if|whether|unclear|rule out|expects?|expected"
    r"|possibl[ey]|possibility|perhaps|maybe)\b)|\bmay\b|\?\s*$"
)
# Guidelines section 4: "we will ..." is a pledge about the source's own action, not a forecast.
_PLEDGE = re.compile(r"\b(?:we|I)(?:\s+will|'ll|’ll)\b", re.I)
_HEDGE_CUE = re.compile(
    r"\b(?:believ\w*|thinks?|suggest\w*|it (?:is|was) (?:thought|feared|believed))\b", re.I
)
_HEDGE_WORDS = re.compile(
    r"\b(?:apparently|reportedly|appears?|appeared|seems?|seemed|probably|likely|believes?"
    r"|suggests?|suggested)\b",
    re.I,
)

# --------------------------------------------------------------------------------------------
# Patterns for sources and contents
# --------------------------------------------------------------------------------------------

_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
# Adverbials that may sit between a cue and its content or at the end of a sentence.
_ADVERBIAL = re.compile(
    rf"\s*(?:(?:on\s+|late on\s+|early on\s+|earlier on\s+)?{_WEEKDAY}"
    r"(?:\s+(?:morning|afternoon|evening|night))?"
    rf"|(?:last|this|next)\s+(?:week|month|year|weekend|{_WEEKDAY})"
    r"|yesterday|today|tonight|earlier|later|recently|again|also|repeatedly|publicly"
    r"|in an? (?:\w+ )?(?:statement|interview|letter|post|filing|speech|release|conference)"
    r"|on (?:Twitter|X|Facebook|social media|television|radio)|in a (?:news|press) conference"
    r"|at an? (?:\w+ )?(?:news conference|rally|briefing|hearing|meeting|event))\s*,?",
    re.I,
)
_THAT = re.compile(r"\s*that\b\s*", re.I)
_CONTENT_END_AS = re.compile(r"\s+as\s+")  # "dismissed [the audit] as politically motivated"
# Words that end a source phrase when walking back from the cue.
_BOUNDARY_WORDS = re.compile(
    r"\b(?:that|which|who|whom|whose|because|while|when|whereas|although|though|if|after|before"
    r"|since|until|where|so|than)\b",
    re.I,
)
_BOUNDARY_CHARS = ",;:()[]—–"
_LEADING_FILLER = {
    "but",
    "and",
    "or",
    "so",
    "yet",
    "also",
    "however",
    "meanwhile",
    "still",
    "now",
    "then",
    "later",
    "earlier",
    "separately",
    "instead",
    "indeed",
    "moreover",
    "as",
}
_TRAILING_FILLER = {
    "also",
    "later",
    "previously",
    "repeatedly",
    "again",
    "publicly",
    "privately",
    "then",
    "recently",
    "once",
    "first",
    "last",
    "earlier",
    "has",
    "have",
    "had",
}
_CONNECTORS = {"of", "the", "for", "and", "de", "van", "von", "al", "la", "le", "du", "del"}
_MAX_SOURCE_WORDS = 8
# Where a source written after the cue ("said Marsh on Tuesday") stops.
# A period only stops it at the sentence end, so "said Sen. Ada Lund" keeps the title.
_SOURCE_AFTER_STOP = re.compile(
    r"[,;:!?()\"“”]|\.(?=\s*(?:$|[\"”]))"
    r"|\s(?:on|in|at|during|after|before|when|while|last|this|who|adding|as)\s"
)
# A cue word right after a determiner is an adjective or noun: "the alleged bribe", "a warning".
_AFTER_DETERMINER = re.compile(
    r"\b(?:the|a|an|this|these|those|his|her|their|its|our|my)\s+$", re.I
)
_LEAD_IN = re.compile(r"[\s:,]*")
_WORD = re.compile(r"[\w'’.-]+")


@dataclass(frozen=True)
class _Cue:
    start: int
    end: int
    kind: str  # "verb", "according", "frame" or "adverb"


@dataclass
class _Found:
    source: tuple[int, int] | None
    cue: _Cue
    content: tuple[int, int]


def lexicon_label(cue: str, content: str) -> str:
    """Labels a statement with the lexicons, in the guideline order denial -> speculation ->
    hedge -> assertion.

    Args:
        cue: The cue text ("denied", "said").
        content: The content text, with any agentless cue inside it already left out.

    Returns:
        One of :data:`stance.types.LABELS`.

    Example:
        >>> lexicon_label("said", "the central bank could cut rates")
        'speculation'
        >>> lexicon_label("denied", "the report")
        'denial'
        >>> lexicon_label("pledged", "We will rebuild every school")
        'assertion'
    """
    denial_cue = _DENIAL_CUE.search(cue) and not _NEGATED.search(cue)
    if denial_cue or _DENIAL_WORDS.search(content):
        return "denial"
    if _SPECULATION_CUE.search(cue) or _SPECULATION_WORDS.search(_PLEDGE.sub(" ", content)):
        return "speculation"
    if _HEDGE_CUE.search(cue) or _HEDGE_WORDS.search(content):
        return "hedge"
    return "assertion"


def is_reporting_cue(cue: str) -> bool:
    """Whether a cue holds one of the baseline's reporting expressions.

    The lexicon covers speech and report verbs ("said", "has told reporters", "denied"),
    "according to", agentless frames and "reportedly"; cues of wishes, plans, actions or
    nouns ("wants", "called for", "cited") are outside it. The evaluation report splits recall
    on real news by this, since annotation schemes differ most on the cues outside it.

    Example:
        >>> is_reporting_cue("has told reporters"), is_reporting_cue("called for")
        (True, False)
    """
    return _CUE.search(cue) is not None


class LexiconBaseline:
    """Finds attributed statements with a cue lexicon and word-order rules, and labels them.

    See the module docstring for the rules. Not thread-safe (the pysbd segmenter keeps state).

    Example:
        >>> baseline = LexiconBaseline()
        >>> text = '"The port is closed," spokeswoman Lena Marsh said on Tuesday.'
        >>> [(s.source.text, s.cue.text, s.content.text, s.label) for s in baseline.predict(text)]
        [('spokeswoman Lena Marsh', 'said', 'The port is closed', 'assertion')]
    """

    def __init__(self) -> None:
        self._segmenter = pysbd.Segmenter(language="en", clean=False)

    def predict(self, text: str) -> list[Statement]:
        """Returns the attributed statements of a text.

        Args:
            text: Raw English news text (paragraphs separated by newlines).

        Returns:
            Statements sorted by content start then cue start, without duplicates, with every
            span satisfying ``text[span.start:span.end] == span.text``.

        Example:
            >>> baseline = LexiconBaseline()
            >>> [s.to_dict()["content"] for s in baseline.predict("Police denied the report.")]
            [{'text': 'the report', 'start': 14, 'end': 24}]
        """
        found: list[_Found] = []
        for para_start, para_end in _paragraphs(text):
            quotes = quote_regions(text, para_start, para_end)
            previous_quoted: _Found | None = None
            for start, end in _units(self._sentences(text, para_start, para_end), quotes):
                unit_found = _read_unit(text, start, end, quotes)
                if not unit_found and previous_quoted is not None:
                    unit_found = _continuation(text, start, end, quotes, previous_quoted)
                found += unit_found
                quoted = [f for f in unit_found if _is_quoted(text, f.content)]
                previous_quoted = quoted[-1] if quoted else None
        statements = {s.span_key(): s for s in (_to_statement(text, f) for f in found)}
        return sorted(statements.values(), key=Statement.sort_key)

    def label_statement(self, text: str, cue: Mapping[str, Any], content: Mapping[str, Any]) -> str:
        """Labels a given (e.g. gold) statement, to score the stance rules on their own.

        Args:
            text: The document text.
            cue: The cue span, ``{"start", "end", ...}``.
            content: The content span, ``{"start", "end", ...}``.

        Returns:
            One of :data:`stance.types.LABELS`.

        Example:
            >>> text = "Officials said the dam could fail."
            >>> cue, content = {"start": 10, "end": 14}, {"start": 15, "end": 33}
            >>> LexiconBaseline().label_statement(text, cue, content)
            'speculation'
        """
        return _label(text, (cue["start"], cue["end"]), (content["start"], content["end"]))

    def predict_document(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Predicts a document in the evaluation format (see :mod:`stance.evaluation`).

        Args:
            doc: A document with at least ``id`` and ``text``.

        Returns:
            ``{"id", "text", "statements": [Statement.to_dict(), ...]}``.

        Example:
            >>> doc = LexiconBaseline().predict_document({"id": "d", "text": "He said it rained."})
            >>> doc["statements"][0]["source"]["text"], doc["statements"][0]["label"]
            ('He', 'assertion')
        """
        statements = [s.to_dict() for s in self.predict(doc["text"])]
        return {"id": doc.get("id"), "text": doc["text"], "statements": statements}

    def _sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Sentence offsets in ``text[start:end]``, located robustly in the original text."""
        # pysbd's own char_span offsets can go wrong on repeated sentences, so each segment is
        # searched for from a moving cursor instead; an unlocatable segment ends the search and
        # the rest of the paragraph becomes one sentence.
        sentences: list[tuple[int, int]] = []
        cursor = start
        for segment in self._segmenter.segment(text[start:end]):
            segment = segment.strip()
            if not segment:
                continue
            found = text.find(segment, cursor, end)
            if found < 0:
                break
            sentences.append((found, found + len(segment)))
            cursor = found + len(segment)
        rest = text[cursor:end]
        if rest.strip():
            left = cursor + len(rest) - len(rest.lstrip())
            sentences.append((left, cursor + len(rest.rstrip())))
        return sentences


# --------------------------------------------------------------------------------------------
# Segmentation helpers
# --------------------------------------------------------------------------------------------


def _paragraphs(text: str) -> list[tuple[int, int]]:
    # Sentences and (mostly) quotations never cross a line break in news text.
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]


def _inside(position: int, regions: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in regions)


def _units(
    sentences: list[tuple[int, int]], quotes: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Merges consecutive sentences whenever a quotation runs across their boundary."""
    units: list[tuple[int, int]] = []
    for start, end in sentences:
        if units and any(q_start < units[-1][1] and q_end > start for q_start, q_end in quotes):
            units[-1] = (units[-1][0], end)
        else:
            units.append((start, end))
    return units


def _is_quoted(text: str, content: tuple[int, int]) -> bool:
    start, end = content
    return start > 0 and text[start - 1] in QUOTE_CHARS


def _quote_starting_at(
    text: str, position: int, quotes: list[tuple[int, int]]
) -> tuple[int, int] | None:
    for start, end in quotes:
        if start == position:
            return start, end
    return None


# --------------------------------------------------------------------------------------------
# Reading one unit (a sentence, or sentences joined by a quotation)
# --------------------------------------------------------------------------------------------


def _find_cues(text: str, start: int, end: int, quotes: list[tuple[int, int]]) -> list[_Cue]:
    cues = []
    for match in _CUE.finditer(text, start, end):
        if _inside(match.start(), quotes):
            continue  # words inside a quotation belong to the quoted content
        kind = next(k for k in ("frame", "according", "adverb", "verb") if match.group(k))
        window = max(0, match.start() - 12)
        if kind == "verb" and _AFTER_DETERMINER.search(text, window, match.start()):
            continue
        cues.append(_Cue(match.start(), match.end(), kind))
    return cues


def _read_unit(text: str, start: int, end: int, quotes: list[tuple[int, int]]) -> list[_Found]:
    cues = _find_cues(text, start, end, quotes)
    found: list[_Found] = []
    previous_source: tuple[int, int] | None = None
    for number, cue in enumerate(cues):
        # The source search stops at the previous cue (nested attribution: "said inspectors had
        # reported ...") and at the unit start.
        floor = cues[number - 1].end if number else start
        # A content stops before ", adding ..." (the next cue's own content follows it).
        limit = _comma_before(text, cues[number + 1]) if number + 1 < len(cues) else None
        cue_end = limit if limit is not None else end
        cue_found: list[_Found] = []
        if cue.kind in ("adverb", "frame"):
            # Agentless cues only when nothing before them attributes the sentence: inside a
            # named source's content they are that source's hedge ("said it was unclear").
            if number == 0 and (cue.kind == "frame" or len(cues) == 1):
                content = (start, end) if cue.kind == "adverb" else None
                content = content or _content_after(text, cue, cue_end, quotes)
                cue_found = _make(None, cue, content, text)
        elif cue.kind == "according":
            cue_found = _read_according(text, start, end, cue, quotes)
        else:
            cue_found = _read_reporting(text, start, cue_end, floor, cue, quotes, previous_source)
        found += cue_found
        if cue_found:
            previous_source = cue_found[-1].source
    return found


def _comma_before(text: str, cue: _Cue) -> int | None:
    """The comma right before an "-ing" cue (", adding that ..."), if there is one."""
    if not text[cue.start : cue.end].lower().endswith("ing"):
        return None
    before = text[: cue.start].rstrip()
    return len(before) - 1 if before.endswith(",") else None


def _read_reporting(
    text: str,
    start: int,
    end: int,
    floor: int,
    cue: _Cue,
    quotes: list[tuple[int, int]],
    previous_source: tuple[int, int] | None,
) -> list[_Found]:
    """A reporting verb: content first (``"C," S said`` / ``"C," said S``) or after the cue."""
    after = _skip_adverbials(text, cue.end, end)
    rest = text[after:end].strip(' .!?"“”')
    # Content comes first when nothing but adverbials follow the cue, when a comma does
    # ('"...," she said, adding'), or when a quotation ends right before it ('"...," said S').
    content_first = (
        not rest
        or "," in text[cue.end : after + 1]
        or text[floor : cue.start].rstrip().endswith(tuple(QUOTE_CHARS))
    )
    if content_first and (found := _read_content_first(text, start, end, floor, cue, quotes)):
        return found
    if not rest:
        return []
    is_ing = text[cue.start : cue.end].lower().endswith("ing")
    source = previous_source if is_ing else _source_before(text, floor, cue.start, quotes)
    return _make(source, cue, _content_after(text, cue, end, quotes), text)


def _make(
    source: tuple[int, int] | None, cue: _Cue, content: tuple[int, int] | None, text: str
) -> list[_Found]:
    """A one-item list if the content is non-empty after trimming, else an empty one."""
    if content is None:
        return []
    start, end = trim_offsets(text, *content)
    if start >= end:
        return []
    if source is not None:
        source = _trim_source(text, *source)
    return [_Found(source, cue, (start, end))]


def _skip_adverbials(text: str, position: int, end: int) -> int:
    while match := _ADVERBIAL.match(text, position, end):
        if match.end() == position:
            break
        position = match.end()
    return position


def _content_after(
    text: str, cue: _Cue, end: int, quotes: list[tuple[int, int]]
) -> tuple[int, int]:
    """``CUE (adverbials) (that) CONTENT``: the quotation right after the cue, or the rest."""
    position = _skip_adverbials(text, cue.end, end)
    if match := _THAT.match(text, position, end):
        position = match.end()
    position = _LEAD_IN.match(text, position, end).end()  # type: ignore[union-attr]
    quoted = _quote_starting_at(text, position, quotes)
    if quoted is not None:  # 'said: "..."' and 'said "..."'
        return quoted
    content_end = end
    if _DENIAL_CUE.search(text, cue.start, cue.end):
        if match := _CONTENT_END_AS.search(text, position, end):
            content_end = match.start()
    return position, content_end


def _read_content_first(
    text: str, start: int, end: int, floor: int, cue: _Cue, quotes: list[tuple[int, int]]
) -> list[_Found]:
    """``"CONTENT," SOURCE CUE`` / ``"CONTENT," CUE SOURCE``, plus ``CUE SOURCE, "MORE"``."""
    before = [q for q in quotes if max(start, floor) <= q[0] and q[1] <= cue.start]
    if before:
        content = before[-1]
        gap = (content[1], cue.start)
    else:
        comma = _last_boundary(text, floor, cue.start, quotes, ",")
        if comma is None:
            return []
        content = (floor, comma)
        gap = (comma + 1, cue.start)
    source: tuple[int, int] | None = gap if text[gap[0] : gap[1]].strip(" ,") else None
    after = _skip_adverbials(text, cue.end, end)
    if source is None:
        stop = _SOURCE_AFTER_STOP.search(text, after, end)
        source = (after, stop.start() if stop else end)
    found = _make(source, cue, content, text)
    # '"We will rebuild," she said, "and it will take years."': a second part of the quotation.
    rest = [q for q in quotes if q[0] >= cue.end and q[0] < end and q[1] <= end]
    if found and rest:
        found += _make(found[0].source, cue, rest[0], text)
    return found


def _read_according(
    text: str, start: int, end: int, cue: _Cue, quotes: list[tuple[int, int]]
) -> list[_Found]:
    comma = _first_boundary(text, cue.end, end, quotes, ",")
    if not text[start : cue.start].strip() and comma is not None:
        # "According to SOURCE, CONTENT"
        return _make((cue.end, comma), cue, (comma + 1, end), text)
    # "CONTENT, according to SOURCE"
    return _make((cue.end, comma if comma is not None else end), cue, (start, cue.start), text)


def _first_boundary(
    text: str, start: int, end: int, quotes: list[tuple[int, int]], chars: str
) -> int | None:
    return next((i for i in range(start, end) if text[i] in chars and not _inside(i, quotes)), None)


def _last_boundary(
    text: str, start: int, end: int, quotes: list[tuple[int, int]], chars: str
) -> int | None:
    return next(
        (i for i in range(end - 1, start - 1, -1) if text[i] in chars and not _inside(i, quotes)),
        None,
    )


def _source_before(
    text: str, floor: int, cue_start: int, quotes: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """The noun-phrase-like run before a cue (see the module docstring, rule 4)."""
    for q_start, q_end in quotes:
        if floor <= q_end <= cue_start:
            floor = max(floor, q_end)
    boundary = _last_boundary(text, floor, cue_start, quotes, _BOUNDARY_CHARS)
    low = boundary + 1 if boundary is not None else floor
    if not text[low:cue_start].strip() and boundary is not None and text[boundary] == ",":
        # "Lena Marsh, a spokeswoman for the port authority, said": skip the appositive.
        appositive = _last_boundary(text, floor, boundary, quotes, _BOUNDARY_CHARS)
        if appositive is None or text[appositive] != ",":
            return None
        name_start = _last_boundary(text, floor, appositive, quotes, _BOUNDARY_CHARS)
        low, cue_start = (name_start + 1 if name_start is not None else floor), appositive
    for match in _BOUNDARY_WORDS.finditer(text, low, cue_start):
        low = match.end()
    return low, cue_start


def _trim_source(text: str, start: int, end: int) -> tuple[int, int] | None:
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    while words and text[words[0][0] : words[0][1]].lower() in _LEADING_FILLER:
        words.pop(0)
    while words and text[words[-1][0] : words[-1][1]].lower() in _TRAILING_FILLER:
        words.pop()
    if len(words) > _MAX_SOURCE_WORDS:
        words = _trailing_name(text, words)
    if not words:
        return None
    start, end = words[0][0], words[-1][1]
    while end > start and text[end - 1] in ".'’":  # a sentence-final period or a stray quote
        end -= 1
    return (start, end) if start < end else None


def _trailing_name(text: str, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The trailing pronoun or capitalised run (with inner connectors) of a long word run."""
    last = text[words[-1][0] : words[-1][1]]
    if last.lower() in PRONOUNS:
        return words[-1:]
    kept: list[tuple[int, int]] = []
    for start, end in reversed(words):
        word = text[start:end]
        if word[0].isupper() or (kept and word.lower() in _CONNECTORS):
            kept.insert(0, (start, end))
        else:
            break
    while kept and text[kept[0][0] : kept[0][1]].lower() in _CONNECTORS - {"the"}:
        kept.pop(0)
    return kept


def _continuation(
    text: str, start: int, end: int, quotes: list[tuple[int, int]], previous: _Found
) -> list[_Found]:
    """A unit that is only a quotation continues the previous quoted statement."""
    region = _quote_starting_at(text, start, quotes)
    if region is None or region[1] < end - 1:
        return []
    return _make(previous.source, previous.cue, region, text)


def _label(text: str, cue: tuple[int, int], content: tuple[int, int]) -> str:
    content_text = text[content[0] : content[1]]
    if content[0] <= cue[0] and cue[1] <= content[1]:
        # An agentless cue inside its content is not part of what the source says.
        offset = cue[0] - content[0]
        content_text = content_text[:offset] + " " + content_text[offset + cue[1] - cue[0] :]
    return lexicon_label(text[cue[0] : cue[1]], content_text)


def _to_statement(text: str, found: _Found) -> Statement:
    cue = Span.from_offsets(text, found.cue.start, found.cue.end)
    content = Span.from_offsets(text, *found.content)
    source = Span.from_offsets(text, *found.source) if found.source is not None else None
    label = _label(text, (cue.start, cue.end), found.content)
    scores = {name: float(name == label) for name in LABELS}
    return Statement(source=source, cue=cue, content=content, label=label, score=1.0, scores=scores)
