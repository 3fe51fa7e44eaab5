"""Chooses the window a trained model predicts with, on the validation split.

The corpus documents mostly fill a third of a 256-token window, while news articles fill every
window they are cut into; a model trained on the former can read the latter better in shorter
windows. Each candidate ``(length, overlap)`` is scored end to end on the validation split as
written and packed into article-length texts (``stance.trainer.pack_for_evaluation``); the
choice is the best mean statement F1 of the two (ties: the longer window) among the windows
that keep long contents: a short window can cut a content that runs past its edge, so a
candidate whose recall of contents of 26 or more words (mean of both readings) falls more than
``LONG_CONTENT_TOLERANCE`` under the training window's is not eligible. The test split and
PolNeAR are never read here.

Usage:
    python training/choose_window.py --model runs/default/model --output reports/predict-window \
        [--write]

``--write`` stores the choice in the model folder's ``config.json``
(``predict_window_length`` / ``predict_window_overlap``); put the same two values in the
training config so that a rerun saves them too, and re-export the ONNX model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.evaluation import markdown_table

#: Words from which a content counts as long (the corpus's ``long_content`` tag).
LONG_CONTENT_WORDS = 26
#: How far under the training window's long-content recall a candidate may fall.
LONG_CONTENT_TOLERANCE = 0.02
#: (length, overlap) candidates, special tokens included in the length.
CANDIDATES: tuple[tuple[int, int], ...] = (
    (64, 16),
    (96, 24),
    (128, 32),
    (128, 64),
    (160, 40),
    (192, 48),
    (256, 64),
)


def score_windows(
    model: Any, tokenizer: Any, docs: list[dict[str, Any]], candidates: Sequence[tuple[int, int]]
) -> list[dict[str, Any]]:
    """End-to-end validation figures of ``model`` for each candidate prediction window."""
    from stance.evaluation import (
        content_recall_by,
        prediction_documents,
        span_scores,
        statement_scores,
    )
    from stance.inference import Predictor
    from stance.trainer import pack_for_evaluation

    def content_length(text: str, statement: dict[str, Any]) -> str:
        words = len(statement["content"]["text"].split())
        return "long" if words >= LONG_CONTENT_WORDS else "short"

    texts = {"as_written": docs, "packed": pack_for_evaluation(docs, tokenizer, model.config)}
    rows = []
    for length, overlap in candidates:
        model.config.predict_window_length = length
        model.config.predict_window_overlap = overlap
        predictor = Predictor(model, tokenizer)
        row: dict[str, Any] = {"window_length": length, "window_overlap": overlap}
        for name, part in texts.items():
            pred = prediction_documents(part, predictor.predict([d["text"] for d in part]))
            row[name] = {
                "statement_f1": statement_scores(part, pred)["f1"],
                "content_overlap_f1": span_scores(part, pred, "content")["f1"],
                "source_overlap_f1": span_scores(part, pred, "source")["f1"],
                "long_content_recall": content_recall_by(part, pred, content_length)["long"][
                    "recall"
                ],
            }
        for key in ("statement_f1", "long_content_recall"):
            row[f"mean_{key}"] = (row["as_written"][key] + row["packed"][key]) / 2
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return rows


def choose(rows: Sequence[dict[str, Any]], training_window: int) -> dict[str, Any]:
    """The best mean statement F1 among the windows that keep long contents (ties: longer).

    Example:
        >>> rows = [
        ...     {"window_length": 64, "mean_statement_f1": 0.9, "mean_long_content_recall": 0.5},
        ...     {"window_length": 96, "mean_statement_f1": 0.8, "mean_long_content_recall": 0.8},
        ...     {"window_length": 256, "mean_statement_f1": 0.8, "mean_long_content_recall": 0.8},
        ... ]
        >>> choose(rows, training_window=256)["window_length"]
        256
    """
    floor = (
        next(r["mean_long_content_recall"] for r in rows if r["window_length"] == training_window)
        - LONG_CONTENT_TOLERANCE
    )
    eligible = [r for r in rows if r["mean_long_content_recall"] >= floor]
    return max(eligible, key=lambda r: (round(r["mean_statement_f1"], 6), r["window_length"]))


def render(rows: Sequence[dict[str, Any]], chosen: dict[str, Any], model: str, docs: int) -> str:
    """The Markdown report."""
    table = markdown_table(
        [
            "window / overlap",
            "statement F1 as written",
            "statement F1 packed",
            "mean",
            "content F1 as written",
            "content F1 packed",
            "long-content recall (mean)",
        ],
        [
            [
                f"{r['window_length']} / {r['window_overlap']}"
                + (" (chosen)" if r is chosen else ""),
                f"{r['as_written']['statement_f1']:.3f}",
                f"{r['packed']['statement_f1']:.3f}",
                f"{r['mean_statement_f1']:.3f}",
                f"{r['as_written']['content_overlap_f1']:.3f}",
                f"{r['packed']['content_overlap_f1']:.3f}",
                f"{r['mean_long_content_recall']:.3f}",
            ]
            for r in rows
        ],
    )
    return "\n".join(
        [
            "# Prediction window",
            "",
            f"Generated by `python training/choose_window.py` for `{model}` on the validation "
            f"split ({docs} documents), as written and packed into article-length texts. The "
            "choice is the best mean statement F1 (ties: the longer window) among the windows "
            f"whose recall of contents of {LONG_CONTENT_WORDS}+ words (mean of both readings) is "
            f"at most {LONG_CONTENT_TOLERANCE} under the training window's; training and epoch "
            "selection used the training window.",
            "",
            table,
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Scores the candidates, writes the report and, with ``--write``, the choice."""
    import stance
    from stance.corpus import read_corpus

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="trained model folder")
    parser.add_argument("--output", type=Path, default=Path("reports/predict-window"))
    parser.add_argument("--write", action="store_true", help="store the choice in config.json")
    args = parser.parse_args(argv)
    nlp = stance.load(args.model, backend="torch")
    docs = [d for d in read_corpus() if d["split"] == "validation"]
    rows = score_windows(nlp.model, nlp.tokenizer, docs, CANDIDATES)
    chosen = choose(rows, nlp.model.config.window_length)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(
        json.dumps({"model": args.model, "chosen": chosen, "candidates": rows}, indent=1) + "\n"
    )
    args.output.with_suffix(".md").write_text(render(rows, chosen, args.model, len(docs)))
    print(args.output.with_suffix(".md").read_text())
    if args.write:
        path = Path(args.model) / "config.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        config["predict_window_length"] = chosen["window_length"]
        config["predict_window_overlap"] = chosen["window_overlap"]
        path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote the chosen window to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
