"""Chooses the window a trained model predicts with, on the validation split.

The corpus documents are mostly short, while news articles fill every window they are cut
into; the window a model reads articles best in need not be the one it was trained in, and
windows differ in cost (a larger overlap runs the encoder over more tokens). Each candidate
``(length, overlap)`` is scored end to end on the validation split as written and packed into
article-length texts (``stance.trainer.pack_for_evaluation``); the choice is the cheapest
window (least encoder work per text token, ``encoder_work``) among those within
``EQUIVALENT_F1`` of the best mean statement F1 of the two readings, of the windows that keep
long contents: a short window can cut a content that runs past its edge, so a candidate whose
recall of contents of 26 or more words (mean of both readings) falls more than
``LONG_CONTENT_TOLERANCE`` under the training window's is not eligible, nor one whose speaker
resolution (sources needing resolution, as written) falls more than ``SPEAKER_TOLERANCE`` under
it: speakers are resolved among the mentions one window holds. The test split and PolNeAR are
never read here.

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
from stance.sweeps import count_encoded_tokens, text_tokens

#: Words from which a content counts as long (the corpus's ``long_content`` tag).
LONG_CONTENT_WORDS = 26
#: How far under the training window's long-content recall a candidate may fall.
LONG_CONTENT_TOLERANCE = 0.02
#: How far under the training window's speaker-resolution accuracy (sources needing
#: resolution, as written) a candidate may fall.
SPEAKER_TOLERANCE = 0.02
#: Mean statement F1 differences up to this count as equal (about 3 statements of validation's
#: 680, within the noise of a retraining); the cheaper window is then chosen, since a window
#: with a larger overlap runs the encoder over more tokens (128 / 64: 1.5 times 96 / 24's).
EQUIVALENT_F1 = 0.005
#: (length, overlap) candidates, special tokens included in the length.
#: The quarter overlaps keep every cue half an overlap of context; the smaller ones (an eighth
#: to a sixth) cost less encoder work per text token and are kept only if they score as well.
#: The larger overlaps at the training length (a third up to most of the window) give a cue
#: near a window's edge up to 40 tokens of context on that side, enough for a quote of a
#: sentence or two before its "he said", at up to 6.7 times the encoder tokens of the text
#: (by the window alone; cues read again near an edge come on top, and are counted).
CANDIDATES: tuple[tuple[int, int], ...] = (
    (64, 16),
    (96, 16),
    (96, 24),
    (96, 32),
    (96, 40),
    (96, 48),
    (96, 56),
    (96, 64),
    (96, 72),
    (96, 80),
    (128, 16),
    (128, 24),
    (128, 32),
    (128, 64),
    (160, 24),
    (160, 40),
    (192, 32),
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
    from stance.trainer import pack_for_evaluation, speaker_resolution

    def content_length(text: str, statement: dict[str, Any]) -> str:
        words = len(statement["content"]["text"].split())
        return "long" if words >= LONG_CONTENT_WORDS else "short"

    texts = {"as_written": docs, "packed": pack_for_evaluation(docs, tokenizer)}
    packed_tokens = text_tokens(tokenizer, texts["packed"])
    rows = []
    for length, overlap in candidates:
        model.config.predict_window_length = length
        model.config.predict_window_overlap = overlap
        predictor = Predictor(model, tokenizer)
        row: dict[str, Any] = {"window_length": length, "window_overlap": overlap}
        for name, part in texts.items():
            encoded = count_encoded_tokens(predictor) if name == "packed" else None
            pred = prediction_documents(part, predictor.predict([d["text"] for d in part]))
            if encoded is not None:
                # Measured rather than computed from the window: cues read again near window
                # edges (stance.decoding.REREAD_CONTEXT_TOKENS) cost encoder passes too.
                row["encoder_work"] = encoded[0] / packed_tokens
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
        if getattr(model.config, "speaker_head", False):
            # Speakers are resolved among the mentions a window holds, so the window decides
            # them too (as written only: packing joins unrelated documents' speakers).
            resolved = speaker_resolution(predictor, docs)["model"]["all"]
            row["speaker_accuracy"] = resolved["accuracy"]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return rows


def encoder_work(row: dict[str, Any]) -> float:
    """Encoder tokens run per text token in a long text: as measured on the packed texts
    (``row["encoder_work"]``), else the window over its step.

    Example:
        >>> encoder_work({"window_length": 96, "window_overlap": 24})
        1.3428571428571427
        >>> encoder_work({"window_length": 96, "window_overlap": 24, "encoder_work": 1.9})
        1.9
    """
    if "encoder_work" in row:
        return row["encoder_work"]
    size = row["window_length"] - 2  # [CLS] and [SEP]
    return size / (size - row["window_overlap"])


def choose(rows: Sequence[dict[str, Any]], training_window: tuple[int, int]) -> dict[str, Any]:
    """The cheapest window among the best, of those that keep long contents.

    Eligible: mean long-content recall at most ``LONG_CONTENT_TOLERANCE`` under the training
    window's and, for models with a speaker head, speaker-resolution accuracy at most
    ``SPEAKER_TOLERANCE`` under it. Among the eligible windows within ``EQUIVALENT_F1`` of the
    best mean statement F1, the one with the least encoder work per text token wins (ties: the
    longer window).

    Example:
        >>> rows = [
        ...     {"window_length": 64, "window_overlap": 16, "mean_statement_f1": 0.9,
        ...      "mean_long_content_recall": 0.5},
        ...     {"window_length": 96, "window_overlap": 24, "mean_statement_f1": 0.799,
        ...      "mean_long_content_recall": 0.8},
        ...     {"window_length": 128, "window_overlap": 64, "mean_statement_f1": 0.8,
        ...      "mean_long_content_recall": 0.8},
        ... ]
        >>> choose(rows, training_window=(128, 64))["window_length"]
        96
    """
    reference = next(
        r for r in rows if (r["window_length"], r["window_overlap"]) == tuple(training_window)
    )
    floor = reference["mean_long_content_recall"] - LONG_CONTENT_TOLERANCE
    eligible = [r for r in rows if r["mean_long_content_recall"] >= floor]
    if "speaker_accuracy" in reference:
        speaker_floor = reference["speaker_accuracy"] - SPEAKER_TOLERANCE
        eligible = [r for r in eligible if r["speaker_accuracy"] >= speaker_floor]
    best = max(r["mean_statement_f1"] for r in eligible)
    equivalent = [r for r in eligible if r["mean_statement_f1"] >= best - EQUIVALENT_F1]
    return min(equivalent, key=lambda r: (round(encoder_work(r), 6), -r["window_length"]))


def reread_setting() -> str:
    """The re-reading constants the windows were scored with (``stance.decoding``).

    Example:
        >>> reread_setting().startswith("REREAD_CONTEXT_TOKENS ")
        True
    """
    from stance import decoding

    return (
        f"REREAD_CONTEXT_TOKENS {decoding.REREAD_CONTEXT_TOKENS}, "
        f"REREAD_EDGE_TOKENS {decoding.REREAD_EDGE_TOKENS}"
    )


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
            "speaker accuracy",
            "encoder work",
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
                f"{r['speaker_accuracy']:.3f}" if "speaker_accuracy" in r else "—",
                f"{encoder_work(r):.2f}",
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
            "choice is the cheapest window (fewest encoder tokens per text token; ties: the "
            f"longer window) among those within {EQUIVALENT_F1} of the best mean statement F1, "
            f"of the windows whose recall of contents of {LONG_CONTENT_WORDS}+ words (mean of "
            f"both readings) is at most {LONG_CONTENT_TOLERANCE} under the training window's and "
            "whose speaker-resolution accuracy (sources needing resolution, as written) is at "
            f"most {SPEAKER_TOLERANCE} under it; training and epoch selection used the training "
            "window. *Encoder work*: encoder tokens run per text token of a long text, counted "
            "over the packed texts (windows, and the windows cues near an edge are read again "
            f"in: {reread_setting()}).",
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
    training_window = (nlp.model.config.window_length, nlp.model.config.window_overlap)
    # The training window is the reference the eligibility floors are measured from.
    candidates = CANDIDATES if training_window in CANDIDATES else (*CANDIDATES, training_window)
    rows = score_windows(nlp.model, nlp.tokenizer, docs, candidates)
    chosen = choose(rows, training_window)
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
