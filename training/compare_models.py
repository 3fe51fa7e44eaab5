"""Compares two models on one split (all of it and its earlier part) and on PolNeAR dev.

Used for the before/after figures of a corpus change: both models are scored on the same,
current gold. By default on the test split, which reports a decision; validation (``--split
validation``) is the split to make it on, since it chooses models.

Usage:
    python training/compare_models.py --before /path/to/v1/model --after runs/default/model \
        --output reports/corpus-v1-vs-v2

Each split is also scored packed into article-length texts, and with an adverb or parenthetical
put between every source and its cue where one fits (``<split>_with_inserted_words``,
:func:`stance.augment.insert_between_source_and_cue` at rate 1, seed 0).

``--earlier-below N`` (default 63: corpus v1) also scores the split's documents numbered below
N, the part of the split the "before" model was chosen and reported on (skipped when that is
the whole split).

``--mean-of A.json B.json ...`` scores nothing: it reads comparisons this script wrote (say, one
per seed) and writes each one's changes and their mean, since one seed's change is within what
the seed alone moves::

    python training/compare_models.py --mean-of reports/x-seed13.json reports/x-seed14.json \
        --output reports/x-seeds
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.evaluation import markdown_table

#: Documents of corpus v1 are numbered 0001-0062 within each domain prefix.
V1_LAST_NUMBER = 62


def number(doc: dict[str, Any]) -> int:
    """A document's number within its domain prefix ("pol-0032" → 32)."""
    return int(doc["id"].split("-")[1])


def score(
    model_path: str, docs: list[dict[str, Any]], split: str, earlier_below: int
) -> dict[str, Any]:
    """Figures on a split's ``docs`` (all of them and those numbered below ``earlier_below``)
    and PolNeAR dev span F1."""
    import stance
    from stance.augment import insert_between_source_and_cue
    from stance.report import evaluate_polnear
    from stance.trainer import evaluate_model, pack_for_evaluation

    nlp = stance.load(model_path, backend="torch")
    result: dict[str, Any] = {}
    earlier = [d for d in docs if number(d) < earlier_below]
    parts = [(split, docs)]
    if len(earlier) < len(docs):  # otherwise the same documents would be scored twice
        parts.append((f"{split}_earlier_documents", earlier))
    # The same statements in article-length texts: real news fills every window, while most
    # corpus documents fill a third of one.
    parts.append((f"{split}_packed", pack_for_evaluation(docs, nlp.tokenizer)))
    # The same statements with an adverb or parenthetical between every source and its cue
    # where one fits ("The company firmly denied"): news has them, the corpus almost never.
    parts.append((f"{split}_with_inserted_words", insert_between_source_and_cue(docs, 1.0, 0)))
    for name, part in parts:
        scores = evaluate_model(nlp.model, nlp.tokenizer, part)
        result[name] = {
            "documents": len(part),
            "statements": sum(len(d["statements"]) for d in part),
            "stance_macro_f1": scores["stance"]["macro_f1"],
            "statement_f1": scores["statements"]["f1"],
            "source_overlap_f1": scores["spans"]["source_overlap"]["f1"],
            "cue_overlap_f1": scores["spans"]["cue_overlap"]["f1"],
            "content_overlap_f1": scores["spans"]["content_overlap"]["f1"],
        }
    polnear = evaluate_polnear(nlp)
    if polnear:
        result["polnear_dev"] = {
            f"{part}_overlap_f1": polnear["model"][f"{part}_overlap"]["f1"]
            for part in ("source", "cue", "content")
        }
        for kind, counts in polnear["content_recall_by_cue_kind"]["model"].items():
            result["polnear_dev"][f"content_recall_{kind}_cues"] = counts["recall"]
    return result


def render(
    before: dict[str, Any],
    after: dict[str, Any],
    names: tuple[str, str],
    split: str,
    earlier_below: int,
) -> str:
    """A Markdown table of both models' figures and the differences."""
    rows = []
    scored = [
        p
        for p in (
            split,
            f"{split}_earlier_documents",
            f"{split}_packed",
            f"{split}_with_inserted_words",
        )
        if p in before and p in after
    ]
    for part in (*scored, "polnear_dev"):
        if part not in before or part not in after:
            continue
        for key, value in before[part].items():
            if key in {"documents", "statements"}:
                continue
            new = after[part][key]
            rows.append([part, key, f"{value:.3f}", f"{new:.3f}", f"{new - value:+.3f}"])
    sizes = ", ".join(
        f"{part}: {after[part]['documents']} documents / {after[part]['statements']} statements"
        for part in scored
    )
    return "\n".join(
        [
            f"# {names[0]} vs {names[1]}",
            "",
            "Generated by `python training/compare_models.py`: both models scored on the same,",
            "current gold and decoded by the same (current) decoder, so only the weights differ.",
            f"{split.capitalize()} split ({sizes}"
            + (
                f"; the earlier documents are those numbered below {earlier_below}"
                if len(scored) > 1
                else ""
            )
            + "); PolNeAR dev is real news, never trained on.",
            "",
            markdown_table(["data", "figure", names[0], names[1], "change"], rows),
            "",
        ]
    )


def render_mean(comparisons: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of each comparison's changes (after - before) and their mean.

    Args:
        comparisons: Name of each comparison (its file) → its results, as :func:`main` writes
            them: the "before" model's figures, then the "after" model's.

    Example:
        >>> def pair(before, after):
        ...     return {"a": {"validation": {"statement_f1": before}},
        ...             "b": {"validation": {"statement_f1": after}}}
        >>> one, two = pair(0.80, 0.83), pair(0.82, 0.81)
        >>> print(render_mean({"s13": one, "s14": two}).splitlines()[-2])
        | validation | statement_f1 | +0.030 | -0.010 | +0.010 |
    """
    changes: dict[tuple[str, str], list[float]] = {}
    for results in comparisons.values():
        before, after = results.values()
        for part, figures in before.items():
            for key, value in figures.items():
                if key not in {"documents", "statements"} and key in after.get(part, {}):
                    changes.setdefault((part, key), []).append(after[part][key] - value)
    rows = [
        [part, key, *(f"{c:+.3f}" for c in values), f"{sum(values) / len(values):+.3f}"]
        for (part, key), values in changes.items()
        if len(values) == len(comparisons)  # figures every comparison has
    ]
    pairs = "; ".join(f"`{name}`: {' → '.join(results)}" for name, results in comparisons.items())
    return "\n".join(
        [
            "# Mean change over paired comparisons",
            "",
            "Generated by `python training/compare_models.py --mean-of`: each column is one",
            f"comparison's change (after - before), the last their mean ({pairs}).",
            "",
            markdown_table(["data", "figure", *comparisons, "mean change"], rows),
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Scores both models and writes ``<output>.md`` and ``<output>.json``."""
    from stance.corpus import read_corpus

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="model folder scored first")
    parser.add_argument("--after", help="model folder scored second")
    parser.add_argument(
        "--mean-of",
        nargs="+",
        type=Path,
        help="comparison JSON files this script wrote: write their changes and the mean instead",
    )
    parser.add_argument("--names", nargs=2, default=["before", "after"])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument(
        "--split",
        choices=("test", "validation"),
        default="test",
        help="the split to score (validation: to decide between models)",
    )
    parser.add_argument(
        "--earlier-below",
        type=int,
        default=V1_LAST_NUMBER + 1,
        help="also score the split's documents numbered below this (default: corpus v1)",
    )
    args = parser.parse_args(argv)
    if args.mean_of:
        comparisons = {path.stem: json.loads(path.read_text()) for path in args.mean_of}
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.with_suffix(".md").write_text(render_mean(comparisons))
        print(args.output.with_suffix(".md").read_text())
        return 0
    if not (args.before and args.after):
        parser.error("--before and --after are required (or --mean-of to average comparisons)")
    docs = [d for d in read_corpus() if d["split"] == args.split]
    results = {
        name: score(path, docs, args.split, args.earlier_below)
        for name, path in zip(args.names, (args.before, args.after), strict=True)
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    args.output.with_suffix(".md").write_text(
        render(
            results[args.names[0]],
            results[args.names[1]],
            tuple(args.names),
            args.split,
            args.earlier_below,
        )
    )
    print(args.output.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
