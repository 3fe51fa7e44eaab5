"""A seeded generator of wire-news paragraphs for the benchmark (invented names and places).

Each paragraph is a few sentences: direct quotations, indirect (reported) speech with the
stances the model labels (assertion, denial, speculation, hedge), and unattributed sentences.
The generator records, for every attributed sentence, whether the speech is direct or indirect
and where its cue is, so the benchmark can count what each system finds.

Example:
    >>> paragraphs = generate(3, seed=7)
    >>> len(paragraphs), paragraphs[0].text == " ".join(s.text for s in paragraphs[0].sentences)
    (3, True)
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST = (
    "Aro Ilse Pavel Mira Tomas Lena Ivo Sanne Edvin Hana Rune Odile Kasimir Vela Bram Noor "
    "Teodor Alva Emil Juno Matej Signe Oskar Livia Anselm Dagny"
).split()
LAST = (
    "Lindqvist Marsh Orsk Brandt Kovac Hallberg Dunmore Vesely Aaltonen Brisk Castellane "
    "Jovanic Tamsin Ferreira Holm Nakashi Rautio Szabo Quell Ambrose Varga Ostrander"
).split()
PLACES = (
    "Varno Kesselby Marrow Point Ostrava Bay Lindholm Tarsk Quenby Halvard Brisa Nordmark "
    "Calder Reach Fennick Solvay Harrowgate Dunmere Vesterby Port Aldric"
).split(" ")
ROLES = (
    "finance minister",
    "port authority spokeswoman",
    "police chief",
    "union leader",
    "central bank governor",
    "harbour master",
    "company spokesman",
    "health official",
    "opposition lawmaker",
    "mayor",
)
ORGS = (
    "the Harbour Ministry",
    "the port authority",
    "the central bank",
    "the coast guard",
    "the national rail operator",
    "the health agency",
    "the city council",
    "the energy regulator",
    "the dockworkers' union",
    "Brenner Capital",
)
SUBJECTS = (
    "the bridge",
    "the new terminal",
    "the ferry service",
    "the budget gap",
    "inflation",
    "the strike",
    "the pipeline",
    "the vaccine programme",
    "fuel prices",
    "the coastal road",
)
PREDICATES = (
    ("reopen", "would reopen", "could reopen", "probably reopened", "had reopened"),
    ("narrow", "would narrow", "might narrow", "apparently narrowed", "had narrowed"),
    ("end", "would end", "could end", "likely ended", "had ended"),
    ("rise", "would rise", "may rise", "seemingly rose", "had risen"),
    ("close", "would close", "could close", "reportedly closed", "had closed"),
)
TIMES = ("by March", "next week", "before the winter", "on Monday", "within a year", "in May")
FACTS = (
    "{place} has about {n},000 residents.",
    "The vote is scheduled for {day}.",
    "Traffic on the coastal road was light on {day}.",
    "The {place} terminal handled {n} million tonnes of cargo last year.",
    "Shares of {org} closed {n} percent higher.",
    "The talks began in {place} in {month}.",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
MONTHS = ("January", "March", "May", "August", "October")
SAY = ("said", "told reporters", "said on {day}", "told a news conference")


@dataclass(frozen=True)
class Sentence:
    """One generated sentence.

    Attributes:
        text: The sentence.
        kind: ``"direct"`` (quotation), ``"indirect"`` (reported speech) or ``"none"``.
        cue: Character offsets of the cue within the sentence, or ``None``.
    """

    text: str
    kind: str
    cue: tuple[int, int] | None


@dataclass(frozen=True)
class Paragraph:
    """A generated paragraph: its sentences joined by single spaces."""

    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        """The paragraph text."""
        return " ".join(s.text for s in self.sentences)

    def cues(self) -> list[tuple[str, int, int]]:
        """``(kind, start, end)`` of every attributed sentence's cue, in paragraph offsets."""
        found, offset = [], 0
        for sentence in self.sentences:
            if sentence.cue is not None:
                found.append((sentence.kind, offset + sentence.cue[0], offset + sentence.cue[1]))
            offset += len(sentence.text) + 1
        return found


class _Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return self.rng.choice(options)

    def person(self) -> str:
        role = self.pick(ROLES)
        place = self.pick(PLACES)
        name = f"{self.pick(FIRST)} {self.pick(LAST)}"
        return self.pick((f"{place} {role} {name}", f"{name}, the {role},", f"{name}"))

    def source(self) -> str:
        return self.pick((self.person(), self.pick(ORGS), f"officials in {self.pick(PLACES)}"))

    def content(self, stance: str) -> str:
        verbs = self.pick(PREDICATES)
        subject, time = self.pick(SUBJECTS), self.pick(TIMES)
        verb = {"assertion": verbs[1], "speculation": verbs[2], "hedge": verbs[3]}.get(
            stance, verbs[4]
        )
        return f"{subject} {verb} {time}"

    def say(self) -> str:
        return self.pick(SAY).format(day=self.pick(DAYS))

    def sentence(self) -> Sentence:
        kind = self.rng.choices(("direct", "indirect", "none"), weights=(3, 5, 3))[0]
        if kind == "none":
            text = self.pick(FACTS).format(
                place=self.pick(PLACES),
                n=self.rng.randint(2, 90),
                day=self.pick(DAYS),
                org=self.pick(ORGS),
                month=self.pick(MONTHS),
            )
            return Sentence(text[0].upper() + text[1:], "none", None)
        stance = self.pick(("assertion", "speculation", "hedge", "denial"))
        source = self.source()
        content = self.content(stance)
        if kind == "direct":
            quoted = content[0].upper() + content[1:]
            if stance == "denial":
                quoted = f"It is not true that {content}"
            cue = self.say()
            if self.rng.random() < 0.5:
                head = f"\u201c{quoted},\u201d {source} "
                text = f"{head}{cue}."
                start = len(head)
            else:
                head = f"{source[0].upper() + source[1:]} {cue}: \u201c"
                text = f"{head}{quoted}.\u201d"
                start = len(source) + 1
            return Sentence(text, "direct", (start, start + len(cue)))
        cue = "denied" if stance == "denial" else self.say()
        if self.rng.random() < 0.25 and stance != "denial":
            lead = f"According to {source}, "
            text = f"{lead}{content}."
            return Sentence(text[0].upper() + text[1:], "indirect", (0, len("According to")))
        head = f"{source[0].upper() + source[1:]} "
        text = f"{head}{cue} that {content}."
        return Sentence(text, "indirect", (len(head), len(head) + len(cue)))

    def paragraph(self) -> Paragraph:
        return Paragraph(tuple(self.sentence() for _ in range(self.rng.randint(2, 5))))


def generate(n: int = 2400, seed: int = 2026) -> list[Paragraph]:
    """``n`` paragraphs from a seeded generator (same seed, same paragraphs)."""
    writer = _Writer(random.Random(seed))
    return [writer.paragraph() for _ in range(n)]
