"""Scores a model on the challenge set: invented sentences, one construction per group.

``data/challenge/cases.tsv`` holds short sentences written for the project, each with the one
statement a reader expects from it (source, cue, content, and the label where the guidelines
leave no doubt). They probe constructions real news has and the corpus has few of: an adverb
or a phrase between source and cue, a possessive source before an appositive name, a short
quoted answer, a cue verb the tokenizer splits into word pieces, a contracted auxiliary, a
title with an abbreviation, a non-answer ("neither confirmed nor denied": speculation, not
denial). The report says, per construction, how often the statement is
found (a predicted content with token F1 >= 0.5 against the expected one), and of those, how
often its source, cue and label are the expected ones. It is a behavioural check, not a
benchmark: the cases are few, and some were written after the failure they show was seen.

Usage:
    python training/challenge_set.py --model stance/default_model --output reports/challenge-set
    python training/challenge_set.py --decoding '{"JOIN_COORDINATED_CUES": true}' \
        --output reports/challenge-set-cue-join
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stance import decoding
from stance.evaluation import markdown_table, token_f1
from stance.sweeps import constants_set, json_object, refuse_unknown_constants
from stance.types import LABELS

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "data" / "challenge" / "cases.tsv"
FIELDS = ("construction", "text", "source", "cue", "content", "label")


@dataclass(frozen=True)
class Case:
    """One expected statement of a challenge sentence (``source`` "" when it has none,
    ``label`` "" when the label is not scored)."""

    construction: str
    text: str
    source: str
    cue: str
    content: str
    label: str

    def span(self, part: str) -> dict[str, int] | None:
        """The expected ``part`` as character offsets into :attr:`text` (its first
        occurrence), or None for an empty source."""
        words = getattr(self, part)
        if not words:
            return None
        start = self.text.index(words)
        return {"start": start, "end": start + len(words)}


def read_cases(path: Path = CASES) -> list[Case]:
    """The cases of a tab-separated file (``#`` lines are comments).

    Raises:
        ValueError: If a line has the wrong number of fields, an expected span is not in its
            sentence, or a label is unknown.
    """
    cases = []
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(
            (line for line in handle if line.strip() and not line.startswith("#")),
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
        )
        for number, row in enumerate(rows, 1):
            if len(row) != len(FIELDS):
                raise ValueError(
                    f"{path}: case {number} has {len(row)} fields, expected {len(FIELDS)} "
                    f"({', '.join(FIELDS)}), separated by tabs"
                )
            case = Case(*row)
            for part in ("source", "cue", "content"):
                if getattr(case, part) and getattr(case, part) not in case.text:
                    raise ValueError(
                        f"{path}: case {number}: the {part} {getattr(case, part)!r} is not in "
                        f"its sentence {case.text!r}; copy it from the sentence"
                    )
            if case.label and case.label not in LABELS:
                raise ValueError(
                    f"{path}: case {number}: unknown label {case.label!r}; use one of "
                    f"{', '.join(LABELS)} or leave it empty"
                )
            cases.append(case)
    return cases


def score_case(case: Case, statements: Sequence[Any]) -> dict[str, Any]:
    """Whether the expected statement is among ``statements`` (predicted for ``case.text``),
    and whether its source, cue and label are the expected ones (``label_right`` is None when
    the case scores no label).

    Example:
        >>> from stance.types import Span, Statement
        >>> case = Case("x", "Marsh said it rained.", "Marsh", "said", "it rained", "assertion")
        >>> found = Statement(source=Span.from_offsets(case.text, 0, 5),
        ...     cue=Span.from_offsets(case.text, 6, 10),
        ...     content=Span.from_offsets(case.text, 11, 20), label="hedge", score=0.6,
        ...     scores={})
        >>> result = score_case(case, [found])
        >>> result["found"], result["source_right"], result["label_right"]
        (True, True, False)
    """
    expected = case.span("content")
    best, best_f1 = None, 0.0
    for statement in statements:
        content = {"start": statement.content.start, "end": statement.content.end}
        f1 = token_f1(case.text, expected, content)
        if f1 > best_f1:
            best, best_f1 = statement, f1
    found = best is not None and best_f1 >= 0.5
    predicted_source = best.source.text if found and best.source is not None else ""
    return {
        **asdict(case),
        "found": found,
        "source_right": found and predicted_source == case.source,
        "cue_right": found and best.cue.text == case.cue,
        "label_right": (found and best.label == case.label) if case.label else None,
        "predicted": best.to_dict() if found else None,
    }


def run(model: str | None, cases: Sequence[Case]) -> list[dict[str, Any]]:
    """Each case with its scores (:func:`score_case`), read by ``model`` (the bundled default
    when None)."""
    import stance

    nlp = stance.load(model) if model else stance.load()
    predictions = nlp.predict([case.text for case in cases])
    return [
        score_case(case, statements) for case, statements in zip(cases, predictions, strict=True)
    ]


def _fraction(results: Sequence[dict[str, Any]], key: str) -> str:
    scored = [r for r in results if r[key] is not None]
    return f"{sum(bool(r[key]) for r in scored)}/{len(scored)}"


def summary_rows(results: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """One table row per construction, in order of first appearance, then all cases: found
    out of the cases, and source, cue and label right out of the statements found."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        groups.setdefault(result["construction"], []).append(result)
    groups["all cases"] = list(results)
    rows = []
    for construction, members in groups.items():
        found = [m for m in members if m["found"]]
        rows.append(
            [
                construction,
                _fraction(members, "found"),
                _fraction(found, "source_right"),
                _fraction(found, "cue_right"),
                _fraction(found, "label_right"),
            ]
        )
    return rows


def _miss(result: dict[str, Any]) -> str | None:
    """What a case got wrong, as one line (None when nothing)."""
    if not result["found"]:
        return f"- *{result['construction']}*: {result['text']} — not found"
    predicted = result["predicted"]
    wrong = [
        f"{part} {predicted[part]['text'] if predicted[part] else None!r}"
        f" (expected {result[part] or None!r})"
        for part in ("source", "cue")
        if not result[f"{part}_right"]
    ]
    if result["label_right"] is False:
        wrong.append(f"label {predicted['label']} (expected {result['label']})")
    return f"- *{result['construction']}*: {result['text']} — {'; '.join(wrong)}" if wrong else None


def write_report(
    results: Sequence[dict[str, Any]],
    model: str | None,
    output: Path,
    setting: dict[str, Any] | None = None,
) -> None:
    """Writes ``output``.md (the table and every case not read as expected) and ``output``.json
    (every case); ``setting`` is the decoding constants the run set, named in the command."""
    output.parent.mkdir(parents=True, exist_ok=True)
    table = markdown_table(
        ["construction", "found", "source right", "cue right", "label right"],
        summary_rows(results),
    )
    misses = [line for line in map(_miss, results) if line]
    decoding_option = f" --decoding '{json.dumps(setting)}'" if setting else ""
    text = (
        "# Challenge set\n\n"
        f"Generated by `python training/challenge_set.py --model {model or 'stance/default_model'}"
        f"{decoding_option}`"
        " from `data/challenge/cases.tsv`: invented sentences, each with the statement a reader"
        " expects from it. *Found*: a predicted content has token F1 >= 0.5 with the expected"
        " one (out of the cases); source, cue and label are then compared exactly (out of the"
        " statements found; labels only where the case gives one). A behavioural check on few"
        " cases, some written after the failure they show was seen: not a benchmark.\n\n"
        f"{table}\n\n## Cases not read as expected\n\n" + ("\n".join(misses) or "None.") + "\n"
    )
    output.with_suffix(".md").write_text(text, encoding="utf-8")
    output.with_suffix(".json").write_text(json.dumps(list(results), indent=1) + "\n", "utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="Model folder or Hub name (default: the bundled model).")
    parser.add_argument("--cases", type=Path, default=CASES, help="Cases file (TSV).")
    parser.add_argument(
        "--output", type=Path, default=REPO / "reports" / "challenge-set",
        help="Report path without suffix: .md and .json are written.",
    )  # fmt: skip
    parser.add_argument(
        "--decoding", type=json_object, default={},
        help="JSON object of stance.decoding constants to read the cases with (the others stay "
        "as shipped), e.g. '{\"JOIN_COORDINATED_CUES\": true}'.",
    )  # fmt: skip
    args = parser.parse_args(argv)
    refuse_unknown_constants(parser, "--decoding", args.decoding, decoding)
    with constants_set(decoding, args.decoding):
        results = run(args.model, read_cases(args.cases))
    write_report(results, args.model, args.output, args.decoding)
    print(args.output.with_suffix(".md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
