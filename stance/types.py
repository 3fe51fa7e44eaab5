"""Typed, immutable outputs of stance: character spans and attributed statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The four stance labels, in the order the guidelines apply them.
LABELS: tuple[str, ...] = ("denial", "speculation", "hedge", "assertion")
#: Tags of the cue tagger (BIO over cue spans).
CUE_TAGS: tuple[str, ...] = ("O", "B-CUE", "I-CUE")
#: Tags of the cue-conditioned role tagger (BIO over that cue's source and content spans).
ROLE_TAGS: tuple[str, ...] = ("O", "B-SRC", "I-SRC", "B-CON", "I-CON")
#: Tags of the speaker-mention tagger (BIO over the canonical mentions of speakers).
MENTION_TAGS: tuple[str, ...] = ("O", "B-MEN", "I-MEN")


@dataclass(frozen=True, order=True)
class Span:
    """A contiguous stretch of the input text.

    Attributes:
        start: Offset of the first character (inclusive).
        end: Offset after the last character (exclusive).
        text: ``input[start:end]``.

    Example:
        >>> text = "The port is closed, Lena Marsh said."
        >>> span = Span.from_offsets(text, 20, 30)
        >>> span.text, span.to_dict()
        ('Lena Marsh', {'text': 'Lena Marsh', 'start': 20, 'end': 30})
    """

    start: int
    end: int
    text: str = field(compare=False)

    @classmethod
    def from_offsets(cls, text: str, start: int, end: int) -> Span:
        """Builds the span of ``text[start:end]``."""
        return cls(start=start, end=end, text=text[start:end])

    def to_dict(self) -> dict[str, Any]:
        """Returns a JSON-ready dictionary."""
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True, order=True)
class Speaker(Span):
    """Who is speaking: the canonical mention of a statement's speaker, and a display name.

    The canonical mention is the text's most informative mention of the speaker (normally the
    fullest name with its title), so statements whose sources read "he", "the minister" or
    "Renvall" all carry the same speaker.

    Attributes:
        start: Offset of the mention's first character.
        end: Offset after its last character.
        text: ``input[start:end]``.
        name: The mention as a display name: whitespace collapsed, a leading article dropped.

    Example:
        >>> text = "The Finance Ministry said the audit was complete. It declined to comment."
        >>> Speaker.from_offsets(text, 0, 20).to_dict()
        {'text': 'The Finance Ministry', 'start': 0, 'end': 20, 'name': 'Finance Ministry'}
    """

    name: str = field(default="", compare=False)

    @classmethod
    def from_offsets(cls, text: str, start: int, end: int) -> Speaker:
        """The speaker whose canonical mention is ``text[start:end]``."""
        mention = text[start:end]
        return cls(start=start, end=end, text=mention, name=display_name(mention))

    def to_dict(self) -> dict[str, Any]:
        """Returns a JSON-ready dictionary."""
        return {**super().to_dict(), "name": self.name}


def display_name(mention: str) -> str:
    """A mention as a display name: one line, no leading article ("the", "a", "an").

    Example:
        >>> display_name("the  opposition   Social Alliance")
        'opposition Social Alliance'
    """
    words = mention.split()
    if len(words) > 1 and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class Statement:
    """One attributed statement: who (source) says what (content), how (cue), and how sure.

    Attributes:
        source: The source span, or ``None`` for agentless attributions ("it is believed").
        cue: The reporting expression ("said", "denied", "according to").
        content: The reported proposition.
        label: The source's epistemic stance: denial, speculation, hedge or assertion.
        score: The probability of ``label``, calibrated on the validation split (the model's
            ``stance_temperature`` and ``stance_offsets``).
        scores: The probability of every label.
        speaker: Who is speaking (the source's canonical mention in the text), or ``None``
            when the statement has no source or its speaker is never named ("a person familiar
            with the matter"). Always ``None`` for models without a speaker head.
        source_description: Who the source is, where the text says it right at the source:
            the appositive the guidelines keep out of the source ("a spokeswoman for the port
            authority" in "Lena Marsh, a spokeswoman for the port authority, said"), read by
            :mod:`stance.descriptions`; ``None`` where the text gives none.

    Example:
        >>> text = "The port is closed, Lena Marsh said."
        >>> st = Statement(
        ...     source=Span.from_offsets(text, 20, 30),
        ...     cue=Span.from_offsets(text, 31, 35),
        ...     content=Span.from_offsets(text, 0, 18),
        ...     label="assertion",
        ...     score=0.9,
        ...     scores={"denial": 0.02, "speculation": 0.03, "hedge": 0.05, "assertion": 0.9},
        ... )
        >>> st.to_dict()["content"]["text"]
        'The port is closed'
    """

    source: Span | None
    cue: Span
    content: Span
    label: str
    score: float
    scores: dict[str, float] = field(hash=False, compare=False)
    speaker: Speaker | None = field(default=None, compare=False)
    source_description: Span | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Returns a JSON-ready dictionary."""
        return {
            "source": self.source.to_dict() if self.source is not None else None,
            "cue": self.cue.to_dict(),
            "content": self.content.to_dict(),
            "label": self.label,
            "score": round(float(self.score), 6),
            "scores": {k: round(float(v), 6) for k, v in self.scores.items()},
            "speaker": self.speaker.to_dict() if self.speaker is not None else None,
            "source_description": (
                self.source_description.to_dict() if self.source_description is not None else None
            ),
        }

    def sort_key(self) -> tuple[int, int, int, int]:
        """Orders statements by content start, then cue start (the order predict() returns)."""
        return (self.content.start, self.cue.start, self.content.end, self.cue.end)

    def span_key(self) -> tuple[Any, ...]:
        """Identifies a statement by its spans; two statements never share this key."""
        src = (self.source.start, self.source.end) if self.source is not None else None
        return (src, self.cue.start, self.cue.end, self.content.start, self.content.end)
