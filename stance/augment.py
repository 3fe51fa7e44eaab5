"""Training-time augmentation: words that news puts between a source and its cue.

Why: in news copy a source is often kept apart from its cue by an adverb or a parenthetical
("The company *firmly* denied", "Okafor *also* said", "Marsh, *however*, said"), but of the
corpus's ~8,000 statements whose source stands right before the cue, only 38 have such a word
in between, 22 of them "also". A model trained on it reads the source as the words touching
the cue: the challenge set (``reports/challenge-set.md``) found no source at all for "The
company firmly denied the allegations." and "publicly" inside the source of "Union leader
Teodor Varga publicly insisted".

:func:`insert_between_source_and_cue` copies documents, putting such a word between some
sources and their cues (seeded), with every span of every statement moved to the new text.
The gold stays as the guidelines want it: the inserted words belong to no span. What is
inserted fits the cue: time adverbs only before a past-tense verb, intensifiers of denial only
before a denial verb, and before an auxiliary ("has said") only words that read well there.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

#: Fit any cue: a present, past or auxiliary verb, or a noun.
ANY_CUE = ("also", ", however,", ", meanwhile,", ", too,")
#: Fit a cue that is a verb in the present or past tense ("says", "said").
ANY_TENSE = ("repeatedly", "publicly", "again", "openly")
#: Fit a cue in the past tense only ("later said"; "later says" is not news English).
PAST_TENSE = ("later", "earlier", "separately", "previously", "quickly", "privately")
#: Fit a cue in the past tense whose sentence names no time yet ("on Friday said on Thursday").
PAST_TIME = ("yesterday", "last week", "on Monday", "on Tuesday", "on Wednesday", "on Thursday")
#: A time already named near the cue; 80 characters either side reach across most sentences.
#: "May" is left out: matched without case it would be the modal verb too.
NAMED_TIME = re.compile(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tonight|"
    r"last (?:week|month|year)|this (?:week|morning|afternoon|evening)|January|February|March|"
    r"April|June|July|August|September|October|November|December)\b",
    re.IGNORECASE,
)
TIME_REACH = 80
#: Fit a verb of denial ("flatly denied", "strongly rejects").
DENIAL = ("firmly", "flatly", "strongly", "categorically", "vehemently", "swiftly")

AUXILIARIES = frozenset(
    "has have had is are was were will would could can may might should must did do does "
    "be been being".split()
)
IRREGULAR_PAST = frozenset(
    "said told wrote thought felt knew saw held put spoke gave made took found meant swore "
    "brought taught forecast foresaw read heard understood".split()
)
DENIAL_STEMS = ("deni", "deny", "reject", "dismiss", "refut", "disput", "rebut", "contradict")


def phrases_for_cue(cue: str, time_named: bool = False) -> tuple[str, ...]:
    """What may stand between a source and the cue ``cue`` (its words as written).

    Args:
        cue: The cue's text.
        time_named: Whether the sentence already names a time (then no time phrase is added).

    Example:
        >>> "later" in phrases_for_cue("said"), "later" in phrases_for_cue("says")
        (True, False)
        >>> "on Monday" in phrases_for_cue("said"), "on Monday" in phrases_for_cue("said", True)
        (True, False)
        >>> "flatly" in phrases_for_cue("denied"), phrases_for_cue("has said") == ANY_CUE
        (True, True)
    """
    first = cue.split()[0].lower()
    if first in AUXILIARIES:
        return ANY_CUE
    phrases = ANY_CUE + ANY_TENSE
    if first.endswith("ed") or first in IRREGULAR_PAST:
        phrases += PAST_TENSE if time_named else PAST_TENSE + PAST_TIME
    if first.startswith(DENIAL_STEMS):
        phrases += DENIAL
    return phrases


def insertion_points(doc: dict[str, Any]) -> list[tuple[int, tuple[str, ...]]]:
    """Where a phrase may go in ``doc``: (end of a source, the phrases that fit there), one
    per place.

    A place is a source followed by one space and then its cue, which starts on a lowercase
    letter (so not "According to"), the source ending on a letter or digit (not a quote mark).
    """
    text = doc["text"]
    points: dict[int, tuple[str, ...]] = {}
    for statement in doc["statements"]:
        source, cue = statement.get("source"), statement.get("cue")
        if not source or not cue:
            continue
        end = source["end"]
        if (
            text[end : cue["start"]] == " "
            and re.match(r"[a-z]", text[cue["start"]])
            and text[end - 1].isalnum()
        ):
            near = text[max(0, source["start"] - TIME_REACH) : cue["end"] + TIME_REACH]
            cue_text = text[cue["start"] : cue["end"]]
            points.setdefault(end, phrases_for_cue(cue_text, bool(NAMED_TIME.search(near))))
    return sorted(points.items())


SPAN_PARTS = ("source", "cue", "content", "speaker")


def moved_spans(
    statement: dict[str, Any], move: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """The spans a statement has (of :data:`SPAN_PARTS`), each mapped through ``move``; a
    ``None`` span (no source, no speaker) stays ``None``.

    Example:
        >>> st = {"source": None, "cue": {"start": 4, "end": 8}, "label": "assertion"}
        >>> moved_spans(st, lambda span: {**span, "start": span["start"] + 1})
        {'source': None, 'cue': {'start': 5, 'end': 8}}
    """
    return {
        part: None if statement[part] is None else move(statement[part])
        for part in SPAN_PARTS
        if part in statement
    }


def insert_text(doc: dict[str, Any], position: int, piece: str) -> dict[str, Any]:
    """A copy of ``doc`` with ``piece`` inserted at ``position`` and every span moved.

    A span that ends at ``position`` stays as it is (the source before the insertion); a span
    that holds ``position`` inside grows by the piece (a content holding a nested statement).

    Example:
        >>> doc = {"text": "Ana said no.", "statements": [{"source": {"start": 0, "end": 3,
        ...     "text": "Ana"}, "cue": {"start": 4, "end": 8, "text": "said"}, "content": {
        ...     "start": 9, "end": 11, "text": "no"}, "label": "denial"}]}
        >>> new = insert_text(doc, 3, " also")
        >>> new["text"], new["statements"][0]["cue"]
        ('Ana also said no.', {'start': 9, 'end': 13, 'text': 'said'})
    """
    text = doc["text"][:position] + piece + doc["text"][position:]
    size = len(piece)

    def moved(span: dict[str, Any]) -> dict[str, Any]:
        start = span["start"] + size if span["start"] >= position else span["start"]
        end = span["end"] + size if span["end"] > position else span["end"]
        return {**span, "start": start, "end": end, "text": text[start:end]}

    statements = [{**st, **moved_spans(st, moved)} for st in doc["statements"]]
    return {**doc, "text": text, "statements": statements}


def insert_between_source_and_cue(
    docs: list[dict[str, Any]], rate: float, seed: int
) -> list[dict[str, Any]]:
    """Copies of ``docs`` where a share ``rate`` of the places a source stands right before
    its cue get a phrase between them (:func:`phrases_for_cue`), drawn with ``seed``.

    Documents keep their order and ids; a document with no place chosen is returned as is.

    Example:
        >>> doc = {"text": "The firm denied it.", "statements": [{"source": {"start": 0,
        ...     "end": 8, "text": "The firm"}, "cue": {"start": 9, "end": 15, "text":
        ...     "denied"}, "content": {"start": 16, "end": 18, "text": "it"},
        ...     "label": "denial"}]}
        >>> new = insert_between_source_and_cue([doc], rate=1.0, seed=3)[0]
        >>> new["text"] != doc["text"], new["statements"][0]["cue"]["text"]
        (True, 'denied')
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {rate}")
    draw = random.Random(seed)
    result = []
    for doc in docs:
        chosen = [
            (end, draw.choice(phrases))
            for end, phrases in insertion_points(doc)
            if draw.random() < rate
        ]
        # From the last place back, so the earlier places' offsets stay valid.
        for end, phrase in reversed(chosen):
            piece = phrase if phrase.startswith(",") else " " + phrase
            doc = insert_text(doc, end, piece)
        result.append(doc)
    return result
