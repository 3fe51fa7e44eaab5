"""Trial of bias-corrected temperature scaling of the stance scores, on the validation split.

For each model, the uncalibrated stance scores of every gold statement are split into folds at
random; the temperature and per-label offsets
(:func:`stance.evaluation.fit_bias_corrected_temperature`) are fitted on the other folds and
each fold's macro-F1 is scored with and without them. For the first model, it also scores
end-to-end statement F1 on validation with the model's own calibration and with the offsets
fitted on all of validation (what training would store if they were adopted). The rule these
figures are read by is in ``reports/stance-bias-trial.md``.

``--fitted-offsets`` names the labels whose offsets are fitted (default: all but the first).

Usage:
    python training/trial_stance_offsets.py --models stance/default_model \
        runs/corpus-v10-seed14/model --output reports/stance-bias-trial-result
    python training/trial_stance_offsets.py --models stance/default_model \
        runs/seed-15-fresh/model runs/corpus-v10-seed14/model --fitted-offsets assertion \
        --output reports/stance-bias-trial-assertion
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import stance
from stance.corpus import read_corpus
from stance.evaluation import fit_bias_corrected_temperature, markdown_table, stance_scores
from stance.trainer import evaluate_model, raw_stance_probabilities


def scaled_labels(
    probabilities: np.ndarray, labels: Sequence[str], temperature: float, offsets: Sequence[float]
) -> list[str]:
    """The label with the highest calibrated score for each row of ``probabilities``."""
    scaled = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature + np.asarray(offsets)
    return [labels[i] for i in scaled.argmax(axis=1)]


def cross_fit(
    gold: Sequence[int], probabilities: Sequence[Sequence[float]], labels: Sequence[str],
    folds: int, seed: int, fitted_offsets: Sequence[int] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Held-out macro-F1 of each fold without and with a calibration fitted on the others
    (offsets of the labels ``fitted_offsets`` indexes; default: all but the first)."""
    gold_ids = np.asarray(gold)
    probs = np.asarray(probabilities, dtype=np.float64)
    order = np.random.default_rng(seed).permutation(len(gold_ids))
    rows = []
    for fold in range(folds):
        held_out = order[fold::folds]
        fitted_on = np.setdiff1d(order, held_out)
        temperature, offsets = fit_bias_corrected_temperature(
            probs[fitted_on], gold_ids[fitted_on], fitted_offsets
        )
        gold_labels = [labels[i] for i in gold_ids[held_out]]
        before = scaled_labels(probs[held_out], labels, 1.0, [0.0] * len(labels))
        after = scaled_labels(probs[held_out], labels, temperature, offsets)
        rows.append(
            {
                "fold": fold,
                "statements": len(held_out),
                "temperature": temperature,
                "offsets": dict(zip(labels, offsets, strict=True)),
                "macro_f1_without": stance_scores(gold_labels, before)["macro_f1"],
                "macro_f1_with": stance_scores(gold_labels, after)["macro_f1"],
            }
        )
    return rows


def end_to_end(
    nlp: Any, docs: list[dict[str, Any]], temperature: float, offsets: list[float]
) -> dict[str, Any]:
    """Validation scores of ``nlp``'s model under a given calibration."""
    config = nlp.model.config
    config.stance_temperature, config.stance_offsets = temperature, offsets
    scores = evaluate_model(nlp.model, nlp.tokenizer, docs)
    return {
        "stance_temperature": temperature,
        "stance_offsets": dict(zip(config.labels, offsets, strict=True)),
        "stance_macro_f1": scores["stance"]["macro_f1"],
        "stance_ece": scores["stance"]["ece"],
        "denial": scores["stance"]["per_label"]["denial"],
        "confusion_matrix": scores["stance"]["confusion_matrix"],
        "statement_f1": scores["statements"]["f1"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", required=True, help="model folders")
    parser.add_argument("--folds", type=int, default=2, help="cross-fit folds")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold split")
    parser.add_argument(
        "--fitted-offsets",
        nargs="+",
        default=None,
        help="labels whose offsets are fitted (default: all but the first label)",
    )
    parser.add_argument("--output", required=True, help="report path without extension")
    args = parser.parse_args(argv)

    docs = [d for d in read_corpus() if d["split"] == "validation"]
    result: dict[str, Any] = {"command": [sys.executable, *sys.argv], "models": {}}
    for n, model_path in enumerate(args.models):
        nlp = stance.load(model_path, backend="torch")
        config = nlp.model.config
        shipped = (config.stance_temperature, list(config.stance_offsets))
        fitted_offsets = None
        if args.fitted_offsets is not None:
            unknown = sorted(set(args.fitted_offsets) - set(config.labels))
            if unknown:
                parser.error(f"--fitted-offsets {unknown} are not labels: {config.labels}")
            fitted_offsets = [config.labels.index(label) for label in args.fitted_offsets]
        gold, probabilities = raw_stance_probabilities(nlp.model, nlp.tokenizer, docs)
        entry: dict[str, Any] = {
            "statements": len(gold),
            "folds": cross_fit(
                gold, probabilities, config.labels, args.folds, args.seed, fitted_offsets
            ),
        }
        fitted = fit_bias_corrected_temperature(probabilities, gold, fitted_offsets)
        if n == 0:
            entry["end_to_end"] = {
                "own calibration": end_to_end(nlp, docs, *shipped),
                "fitted offsets": end_to_end(nlp, docs, *fitted),
            }
        else:
            entry["fitted"] = {"stance_temperature": fitted[0], "stance_offsets": fitted[1]}
        result["models"][model_path] = entry
        print(model_path, json.dumps(entry["folds"]), flush=True)

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    output.with_suffix(".md").write_text(render(result, args), encoding="utf-8")
    return 0


def render(result: dict[str, Any], args: argparse.Namespace) -> str:
    """The Markdown report."""
    lines = [
        "# Bias-corrected temperature scaling of the stance scores: result",
        "",
        f"Command: `python training/trial_stance_offsets.py --models {' '.join(args.models)} "
        f"--folds {args.folds} --seed {args.seed}"
        + (f" --fitted-offsets {' '.join(args.fitted_offsets)}" if args.fitted_offsets else "")
        + f" --output {args.output}`. Validation split, "
        "gold statements; the rule is in `reports/stance-bias-trial.md`.",
        "",
        "## Cross-fit: held-out macro-F1 without and with the fitted calibration",
        "",
    ]
    rows = []
    for model_path, entry in result["models"].items():
        for fold in entry["folds"]:
            offsets = ", ".join(f"{k} {v:+.2f}" for k, v in fold["offsets"].items())
            rows.append(
                [model_path, fold["fold"], fold["statements"], fold["temperature"], offsets,
                 fold["macro_f1_without"], fold["macro_f1_with"],
                 f"{fold['macro_f1_with'] - fold['macro_f1_without']:+.4f}"]
            )  # fmt: skip
    lines.append(
        markdown_table(
            ["model", "fold", "statements", "T", "offsets", "without", "with", "change"], rows
        )
    )
    first = next(iter(result["models"].values()))
    lines += ["## End to end on validation (first model)", ""]
    rows = []
    for name, scores in first["end_to_end"].items():
        offsets = ", ".join(f"{k} {v:+.2f}" for k, v in scores["stance_offsets"].items())
        denial = scores["denial"]
        rows.append(
            [name, scores["stance_temperature"], offsets, scores["stance_macro_f1"],
             scores["stance_ece"], denial["precision"], denial["recall"],
             f"{scores['statement_f1']:.4f}"]
        )  # fmt: skip
    lines.append(
        markdown_table(
            [
                "calibration",
                "T",
                "offsets",
                "stance macro-F1",
                "ECE",
                "denial P",
                "denial R",
                "statement F1",
            ],
            rows,
        )  # fmt: skip
    )
    lines += ["Confusion matrices (rows gold, columns predicted):", ""]
    for name, scores in first["end_to_end"].items():
        matrix = scores["confusion_matrix"]
        lines += [f"*{name}*", ""]
        lines.append(
            markdown_table(
                ["gold \\ predicted", *matrix["labels"]],
                [
                    [gold, *row]
                    for gold, row in zip(matrix["labels"], matrix["matrix"], strict=True)
                ],
            )
        )
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
