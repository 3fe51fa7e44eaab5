"""Source descriptions: the appositive that says who a source is, where the text gives one.

The guidelines keep a following appositive out of the source, so that sources are mentions
and speakers can be resolved across a text: in "Lena Marsh, a spokeswoman for the port
authority, said …" the source is `Lena Marsh`. A reader weighing a claim wants the rest too,
so each statement carries it apart as :attr:`stance.types.Statement.source_description`:
`a spokeswoman for the port authority`.

A description is read from the text around the source, by rule (the model does not tag it):

- **Source before its cue**: what stands between them, set off by commas ("Marsh, a
  spokeswoman for the port authority, said"; "Pruitt, the attorney general of Oklahoma, one of
  the states suing, said"). A few words may follow the closing comma ("…, on Tuesday said").
- **Cue before its source** ("…, said Lena Marsh, a spokeswoman for the port authority."): from
  the comma after the source to the end of its sentence, or to the statement's own content
  ("According to Marsh, a spokeswoman, the ship left": not "the ship left").
- A party-state tag right after the source ("Sen. Dana Whitlock (D-Ore.)") opens the description.

It must read as a description, not as a clause of the sentence: it opens with an article, a
possessive, a number (an age), a capital, "who", "whose" or "which", or a noun followed by
"of", "for", "at" or "with" within three words ("head of the caucus"). It is refused when it
opens with an adverb, a preposition, a conjunction, an "-ing" word or a quotation mark
("Marsh, however, said"; "Marsh, speaking in Oslo, said"), holds a line break or another
statement's cue ("Marsh, who said in May that …, said"), or runs over
:data:`DESCRIPTION_MAX_WORDS` words. A source with several cues ("Marsh, a spokeswoman, said …
and declined to say …") gives every statement the description found before its first cue.

Example:
    >>> from stance.types import Span, Statement
    >>> text = "Lena Marsh, a spokeswoman for the port authority, said the port was closed."
    >>> st = Statement(source=Span.from_offsets(text, 0, 10), cue=Span.from_offsets(text, 50, 54),
    ...     content=Span.from_offsets(text, 55, 74), label="assertion", score=0.9, scores={})
    >>> with_source_descriptions(text, [st])[0].source_description.text
    'a spokeswoman for the port authority'
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Sequence

from stance.speakers import HONORIFICS
from stance.types import Span, Statement

#: A longer stretch is a clause of the sentence misread as a description, not a description.
#: Real appositives reach about 30 words ("a chief of staff to President Bill Clinton whom Mr.
#: Obama recruited to lead his climate efforts in his second term").
DESCRIPTION_MAX_WORDS = 40
#: Words that may stand after a description's closing comma and before the cue ("Marsh, a
#: spokeswoman, on Tuesday said").
TAIL_MAX_WORDS = 3
#: First words that open a description whatever follows.
OPENING_WORDS = frozenset(
    "a an the his her their its our my your one another both who whose which former now".split()
)
#: First words that open a clause of the sentence, not a description.
CLAUSE_WORDS = frozenset(
    "and but or nor so yet then as while when whereas after before because if although though "
    "since until unless that this these those there it he she they we i you in on at by from "
    "with without for to into over under about against during despite like unlike near "
    "according however meanwhile also too still instead moreover furthermore "
    "not never already again later earlier once often separately previously".split()
)
#: Prepositions that, within three words of a lowercase first word, make it a title ("head
#: of", "spokeswoman for", "senior associate at", "partner with").
TITLE_PREPOSITIONS = frozenset({"of", "for", "at", "with"})
#: Abbreviated titles and initials whose period ends no sentence ("Gen.", "U.S.", "N.C.").
_PERIOD_TITLES = sorted(HONORIFICS | {"sen", "rep", "gov", "gen", "lt", "col", "st", "jr", "sr"})
_SENTENCE_END = re.compile(
    "".join(rf"(?<!\b(?i:{title}))" for title in _PERIOD_TITLES)
    + r"(?<!\b[A-Z])[.!?](?=[\"'”’]*(?:\s|$))|[;\n]"
)
#: A party-state tag: "(D-N.C.)", "(R-Tenn.)", "(I-Vt.)".
_PARTY_TAG = re.compile(r"[ \t]*\([A-Z][A-Za-z.]*-[A-Z][A-Za-z. ]{0,15}\)")
_COMMA = re.compile(r"[ \t]*,")
_OPENING_QUOTES = '"“‘«„'
_CLOSING_QUOTES = '"”’»'
_WORD = re.compile(r"[\w'’.-]+")


def with_source_descriptions(text: str, statements: Sequence[Statement]) -> list[Statement]:
    """The statements, each with the description of its source where the text gives one.

    Args:
        text: The text the statements' spans index.
        statements: All statements of ``text`` (the others' cues bound each description).

    Returns:
        The statements in the same order, ``source_description`` set or ``None``.

    Example:
        >>> from stance.types import Span, Statement
        >>> text = '"The port is closed," said Lena Marsh, who heads the authority.'
        >>> st = Statement(source=Span.from_offsets(text, 27, 37),
        ...     cue=Span.from_offsets(text, 22, 26), content=Span.from_offsets(text, 1, 19),
        ...     label="assertion", score=0.9, scores={})
        >>> with_source_descriptions(text, [st])[0].source_description.text
        'who heads the authority'
    """
    cue_starts = sorted(st.cue.start for st in statements)
    found = [source_description(text, st, cue_starts) for st in statements]
    # One source with several cues ("Marsh, a spokeswoman, said … and declined to say …") has
    # its description before the first cue only; the later statements share it.
    by_source: dict[tuple[int, int], Span] = {}
    for st, description in zip(statements, found, strict=True):
        if st.source is not None and description is not None:
            by_source.setdefault((st.source.start, st.source.end), description)
    return [
        dataclasses.replace(
            st,
            source_description=description
            if description is not None or st.source is None
            else by_source.get((st.source.start, st.source.end)),
        )
        for st, description in zip(statements, found, strict=True)
    ]


def source_description(
    text: str, statement: Statement, cue_starts: Sequence[int] = ()
) -> Span | None:
    """The description of ``statement``'s source in ``text``, or ``None`` (rules: module doc).

    Args:
        text: The text the statement's spans index.
        statement: The statement.
        cue_starts: Sorted starts of every statement's cue in ``text`` (its own included).

    Returns:
        The description's span, without the commas around it.

    Example:
        >>> from stance.types import Span, Statement
        >>> text = "Marsh, however, said the port was closed."
        >>> st = Statement(source=Span.from_offsets(text, 0, 5),
        ...     cue=Span.from_offsets(text, 16, 20), content=Span.from_offsets(text, 21, 40),
        ...     label="assertion", score=0.9, scores={})
        >>> source_description(text, st) is None
        True
    """
    source, cue, content = statement.source, statement.cue, statement.content
    if source is None:
        return None
    if source.end <= cue.start:
        found = _between_source_and_cue(text, source.end, cue.start)
    elif cue.end <= source.start:
        limit = min(len(text), source.end + 60 * DESCRIPTION_MAX_WORDS)
        if content.start >= source.end:
            limit = min(limit, content.start)
        next_cue = bisect.bisect_right(cue_starts, source.end)
        if next_cue < len(cue_starts):
            limit = min(limit, cue_starts[next_cue])
        found = _after_source(text, source.end, limit)
    else:
        return None
    if found is None:
        return None
    start, end = found
    inside = bisect.bisect_left(cue_starts, start) < bisect.bisect_left(cue_starts, end)
    return None if inside else Span.from_offsets(text, start, end)


def _between_source_and_cue(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The description in ``text[start:end]``, the stretch between a source and its cue."""
    tag = _PARTY_TAG.match(text, start, end)
    opening = tag.end() if tag else start
    gap = text[opening:end]
    last_comma = gap.rfind(",")
    tail = gap[last_comma + 1 :]
    # US style closes a quote after the comma: '… a platform of "parental rights," wrote'.
    closing = len(tail) - len(tail.lstrip(_CLOSING_QUOTES))
    tail = tail[closing:]
    if len(_WORD.findall(tail)) > TAIL_MAX_WORDS or re.search(r"[^\w \t'’.-]", tail):
        return None
    described = None
    if gap.lstrip(" \t").startswith(",") and last_comma > gap.index(","):
        described = _leading_parts(
            text, opening + gap.index(",") + 1, opening + last_comma + 1 + closing
        )
    elif gap[: last_comma + 1].strip(" \t,"):
        return None
    return _with_tag(tag, described)


def _after_source(text: str, start: int, limit: int) -> tuple[int, int] | None:
    """The description that follows a source ending at ``start``, before ``limit``."""
    tag = _PARTY_TAG.match(text, start, limit)
    opening = tag.end() if tag else start
    comma = _COMMA.match(text, opening, limit)
    described = None
    if comma is not None:
        stop = _SENTENCE_END.search(text, comma.end(), limit)
        described = _leading_parts(text, comma.end(), stop.start() if stop else limit)
    return _with_tag(tag, described)


def _with_tag(
    tag: re.Match[str] | None, described: tuple[int, int] | None
) -> tuple[int, int] | None:
    """The description widened back over a party-state tag before it, or the tag alone."""
    if tag is None:
        return described
    tag_start = tag.start() + len(tag.group()) - len(tag.group().lstrip())
    return (tag_start, described[1] if described else tag.end())


def _leading_parts(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The comma-separated parts of ``text[start:end]`` that read as a description, from the
    first up to the first that does not ("a spokeswoman, speaking in Oslo" -> "a
    spokeswoman"); ``None`` when the first does not."""
    kept: tuple[int, int] | None = None
    words = 0
    part_start = start
    while part_start < end:
        comma = text.find(",", part_start, end)
        while 0 <= comma < end - 1 and text[comma + 1] in _CLOSING_QUOTES:
            comma = text.find(",", comma + 1, end)  # the comma closes a quote, not the part
        part_end = end if comma < 0 else comma
        part = _trimmed(text, part_start, part_end)
        if part is not None:
            phrase = text[part[0] : part[1]]
            if not _reads_as_description(phrase):
                break
            words += len(_WORD.findall(phrase))
            if words > DESCRIPTION_MAX_WORDS:
                return None
            kept = (kept[0] if kept else part[0], part[1])
        part_start = part_end + 1
    return kept


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` without the spaces and commas at its ends; ``None`` when empty."""
    while start < end and text[start] in " \t,":
        start += 1
    while end > start and text[end - 1] in " \t,":
        end -= 1
    return (start, end) if start < end else None


def _reads_as_description(phrase: str) -> bool:
    """Whether one comma-separated part opens and reads as a description (module doc).

    Example:
        >>> [_reads_as_description(p) for p in ("head of the caucus", "71", "a retired farmer",
        ...     "however", "speaking in Oslo", "in a statement", "who heads the authority")]
        [True, True, True, False, False, False, True]
    """
    words = _WORD.findall(phrase)
    if not words or phrase[0] in _OPENING_QUOTES:
        return False
    first = words[0]
    lower = first.lower()
    if lower in CLAUSE_WORDS:
        return False
    if first[0].isdigit() or first[0].isupper() or lower in OPENING_WORDS:
        return True
    if lower.endswith(("ing", "ly")):
        return False
    return any(word.lower() in TITLE_PREPOSITIONS for word in words[1:4])
