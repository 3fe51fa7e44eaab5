"""Chooses the span decoding constants (``stance.decoding``) for a model, on validation.

The thresholds that turn tag probabilities into cue and content spans were chosen for an earlier
model; how confident a model is differs between models, so they are re-chosen when it is
retrained. Every combination in ``GRID`` is scored on the validation split with the default
backend: end-to-end statement F1 as written and packed into article-length texts
(:func:`stance.trainer.pack_for_evaluation`). The best mean of the two wins (ties: the fewest
constants changed), but only if it beats the shipped setting's mean by ``MIN_GAIN``: smaller
differences are within what one document more or less found makes. Constants that move only
sources are chosen with ``--objective source``: the mean of source exact and token-overlap span
F1 as written; those that only move a content's edges, with ``--objective content`` (the same
for contents). Constants that trade accuracy for speed are chosen with ``--objective cost``: the
least encoder work per text token of the packed texts (measured: tokens the encoder ran, over
the texts' tokens) among the settings whose mean statement F1 is less than ``MIN_GAIN`` under
the best: a smaller loss is within noise, a larger one is a real loss that speed does not buy.
The test split and PolNeAR are never read here.

Usage:
    python training/sweep_decoding.py --output reports/decoding-sweep

Put the chosen values into ``stance/decoding.py`` by hand (they are code constants), then
regenerate the evaluation report.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance import decoding
from stance.evaluation import markdown_table
from stance.sweeps import (
    add_grid_argument,
    best_row,
    changed,
    grid_to_sweep,
    sweep_constants,
    write_sweep,
)

#: The constants swept and their candidate values (each includes the shipped value).
GRID: dict[str, tuple[Any, ...]] = {
    "CUE_MIN_CONFIDENCE": (0.65, 0.7, 0.75, 0.8),
    "CONTENT_MIN_CONFIDENCE": (0.75, 0.8, 0.85),
    "CONTENT_GAP_MIN_PROBABILITY": (0.2, 0.3, 0.4),
    "MERGE_ADJACENT_CUES": (False, True),
}
#: Smallest gain in mean statement F1 over the shipped setting that changes it.
MIN_GAIN = 0.003
#: Rows of the report's table.
TOP_ROWS = 12
#: What ``--objective`` ranks rows by.
OBJECTIVES = {
    "statement": "mean",
    "source": "source_mean",
    "content": "content_mean",
    "cost": "encoder_work",
}
#: The source span columns of a row (as written).
SOURCE_COLUMNS = ("source_exact", "source_overlap", "source_mean")
#: The content span columns of a row (as written).
CONTENT_COLUMNS = ("content_exact", "content_overlap", "content_mean")
#: What the report says each objective chooses by.
CHOOSES_BY = {
    "statement": "mean statement F1",
    "source": "mean of source exact and overlap F1 (as written)",
    "content": "mean of content exact and overlap F1 (as written)",
    "cost": "setting with the least encoder work among those whose mean statement F1 is less "
    "than the minimum gain under the best",
}


def choose(
    rows: Sequence[dict[str, Any]],
    shipped: dict[str, Any],
    min_gain: float = MIN_GAIN,
    key: str = "mean",
) -> dict[str, Any]:
    """The best ``key`` (ties: fewest changes), if it beats shipped by ``min_gain``; for
    ``encoder_work``, the cheapest setting whose mean statement F1 is less than ``min_gain`` under
    the best (ties: fewest changes).

    Example:
        >>> rows = [{"values": {"A": 1}, "mean": 0.850}, {"values": {"A": 2}, "mean": 0.852}]
        >>> choose(rows, shipped={"A": 1})["values"]
        {'A': 1}
        >>> rows[0]["encoder_work"], rows[1]["encoder_work"] = 1.2, 2.9
        >>> choose(rows, shipped={"A": 2}, key="encoder_work")["values"]
        {'A': 1}
        >>> choose(rows, shipped={"A": 2}, min_gain=0.002, key="encoder_work")["values"]
        {'A': 2}
    """
    if key == "encoder_work":
        best_mean = max(r["mean"] for r in rows)
        equivalent = [r for r in rows if r["mean"] > best_mean - min_gain]
        return min(equivalent, key=lambda r: (round(r[key], 6), changed(r, shipped)))
    best = best_row(rows, shipped, [key])
    current = next(r for r in rows if r["values"] == shipped)
    return best if best[key] >= current[key] + min_gain else current


def sweep(
    model: str | None, grid: dict[str, tuple[Any, ...]], inserted_words: bool = False
) -> list[dict[str, Any]]:
    """Validation statement F1 (as written, packed, mean), and source and content span F1
    (exact, overlap and their mean, as written) for every combination of ``grid``; with
    ``inserted_words``, on the validation texts with a word or phrase put between every
    source and its cue where one fits (:func:`stance.augment.insert_between_source_and_cue`,
    seed 0), to measure a constant meant for that construction."""
    import stance
    from stance.corpus import read_corpus
    from stance.evaluation import document_scores, prediction_documents, statement_scores
    from stance.sweeps import count_encoded_tokens, text_tokens
    from stance.trainer import pack_for_evaluation

    predictor = stance.load(model)._predictor
    written = [d for d in read_corpus() if d["split"] == "validation"]
    if inserted_words:
        from stance.augment import insert_between_source_and_cue

        written = insert_between_source_and_cue(written, 1.0, 0)
    packed = pack_for_evaluation(written, predictor.tokenizer)
    packed_tokens = text_tokens(predictor.tokenizer, packed)
    encoded = count_encoded_tokens(predictor)

    def predicted(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return prediction_documents(docs, predictor.predict([d["text"] for d in docs]))

    def score() -> dict[str, float]:
        # Span scores as written only: the packed texts are scored for statements alone.
        as_written = document_scores(written, predicted(written))
        encoded[0] = 0
        in_articles = statement_scores(packed, predicted(packed))
        statement = float(as_written["statement"]["f1"]), float(in_articles["f1"])
        row = {"as_written": statement[0], "packed": statement[1], "mean": sum(statement) / 2}
        # Measured, not computed from the window: cues read again cost encoder passes too.
        row["encoder_work"] = encoded[0] / packed_tokens
        for part in ("source", "content"):
            exact = float(as_written[part]["exact"]["f1"])
            overlap = float(as_written[part]["overlap"]["f1"])
            row |= {
                f"{part}_exact": exact,
                f"{part}_overlap": overlap,
                f"{part}_mean": (exact + overlap) / 2,
            }
        return row

    return sweep_constants(decoding, grid, score)


def render(
    rows: Sequence[dict[str, Any]],
    chosen: dict[str, Any],
    shipped: dict[str, Any],
    min_gain: float = MIN_GAIN,
    model: str | None = None,
    objective: str = "statement",
    inserted_words: bool = False,
) -> str:
    """The Markdown report: the shipped setting, the choice and the best rows (of ``model``,
    a model folder; None: the bundled model) by ``objective`` (a key of :data:`OBJECTIVES`)."""
    names = list(shipped)
    key = OBJECTIVES[objective]
    # Settings chosen by cost are shown best first by mean statement F1, their cost beside it.
    rank_by = "mean" if objective == "cost" else key
    ranked = sorted(rows, key=lambda r: (-r[rank_by], changed(r, shipped)))[:TOP_ROWS]
    current = next(r for r in rows if r["values"] == shipped)
    shown = [current, *(r for r in ranked if r is not current)]

    def line(row: dict[str, Any]) -> list[str]:
        mark = "chosen" if row is chosen else "shipped" if row is current else ""
        if row is chosen and row is current:
            mark = "shipped, kept"
        return [
            *(str(row["values"][n]) for n in names),
            *(f"{row[k]:.4f}" for k in columns),
            mark,
        ]

    # Reports written before the span columns existed have only the statement ones.
    spans = CONTENT_COLUMNS if objective == "content" else SOURCE_COLUMNS
    measured = ("as_written", "packed", "mean", *spans, "encoder_work")
    columns = [k for k in measured if k in rows[0]]
    headers = {
        "as_written": "statement F1 as written",
        "packed": "packed",
        "mean": "mean",
        "source_exact": "source exact F1",
        "source_overlap": "source overlap F1",
        "source_mean": "source mean",
        "content_exact": "content exact F1",
        "content_overlap": "content overlap F1",
        "content_mean": "content mean",
        "encoder_work": "encoder work",
    }
    table = markdown_table([*names, *(headers[k] for k in columns), ""], [line(r) for r in shown])
    chooses_by = CHOOSES_BY[objective]
    rule = (
        f"choice is the {chooses_by} ({min_gain}; ties: the fewest constants changed)"
        if objective == "cost"
        else f"choice is the best {chooses_by} (ties: the fewest constants changed) if it "
        f"beats the shipped setting's by at least {min_gain}"
    )
    return "\n".join(
        [
            "# Span decoding constants, swept on validation",
            "",
            "Generated by `python training/sweep_decoding.py`"
            + (f" for the model in `{model}`" if model else "")
            + " (default backend, validation split "
            + (
                "with a word or phrase put between every source and its cue where one fits "
                "(`--inserted-words`), "
                if inserted_words
                else ""
            )
            + f"as written and packed into article-length texts, {len(rows)} combinations). The "
            f"{rule}; *encoder work* is the tokens the encoder ran per token of the packed "
            "texts. The test split and PolNeAR were not read.",
            "",
            table,
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Sweeps, writes ``<output>.md`` and ``<output>.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model folder (default: bundled)")
    parser.add_argument("--output", type=Path, default=Path("reports/decoding-sweep"))
    add_grid_argument(parser, '{"CONTENT_TAIL_MIN_PROBABILITY": [1.1, 0.2]}')
    parser.add_argument(
        "--min-gain",
        type=float,
        default=MIN_GAIN,
        help="smallest gain in the objective over the shipped setting that changes it",
    )
    parser.add_argument(
        "--objective",
        choices=sorted(OBJECTIVES),
        default="statement",
        help="what chooses: mean statement F1 (as written and packed); for constants that "
        "move only sources or contents, the mean of their exact and overlap span F1 (as "
        "written); for constants that trade accuracy for speed, the least encoder work among "
        "the settings whose mean statement F1 is less than the minimum gain under the best",
    )
    parser.add_argument(
        "--inserted-words",
        action="store_true",
        help="score the validation texts with an adverb or parenthetical put between every "
        "source and its cue where one fits (stance.augment), for constants meant for that",
    )
    args = parser.parse_args(argv)
    grid = grid_to_sweep(parser, args.grid, GRID, decoding)
    shipped = {name: getattr(decoding, name) for name in grid}
    rows = sweep(args.model, grid, args.inserted_words)
    chosen = choose(rows, shipped, args.min_gain, OBJECTIVES[args.objective])
    markdown = render(
        rows, chosen, shipped, args.min_gain, args.model, args.objective, args.inserted_words
    )
    write_sweep(args.output, shipped, chosen, rows, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
