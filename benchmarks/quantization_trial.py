"""Three int8 forms of the encoder graph, measured in one run: speed and validation accuracy.

Usage::

    python benchmarks/quantization_trial.py [--paragraphs 600]

All three are made from the default model's fp32 encoder export:

- *weight-only*: every MatMul weight int8 per block of 128 rows, activations quantized per row
  at run time (:func:`stance.export_onnx.quantize`; the form shipped before this trial);
- *static, every MatMul*: QDQ, int8 weights per output channel, uint8 activations with scales
  fixed from calibration windows of training-split documents (MinMax), never validation or test;
- *static, feed-forward output weight-only*: as the previous, but the feed-forward output
  projections (whose inputs, after GELU, have the widest ranges) keep the weight-only form
  (:func:`stance.export_onnx.quantize_static_encoder`).

Measured on the same machine in one run: the encoder's time over the benchmark's generated
paragraphs (best of three passes), and the whole ONNX predictor's validation figures with each
encoder in place (the other graphs as shipped). The rule, fixed before the run: export the
fastest form that loses at most 0.5 point (the issue's bound for the ONNX backend) of the
weight-only form's validation stance macro-F1 and content F1. Writes
``reports/quantization-trial.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
#: Largest accuracy loss (validation, points of F1) a faster encoder may cost to be adopted.
MAX_LOSS = 0.005
#: Fewest statements identical to the torch backend's, below weight-only's share (added after
#: the first run; see the report).
MAX_AGREEMENT_LOSS = 0.02
#: Largest 95th-percentile score difference from torch, as a multiple of weight-only's.
MAX_SCORE_SPREAD = 2.0


def _with_encoder(folder: Path, encoder: Path, into: Path) -> Path:
    """A copy of a model folder whose ONNX export uses ``encoder`` (manifest updated)."""
    from stance.base_encoder import streamed_sha256

    shutil.copytree(folder, into)
    shutil.copy(encoder, into / "onnx" / "encoder.onnx")
    manifest_path = into / "onnx" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["encoder.onnx"] = streamed_sha256(encoder)
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return into


def _agreement(found: list[list[Any]], reference: list[list[Any]]) -> dict[str, float]:
    """How many statements are the torch backend's own (spans and label), and how far the
    scores of those move."""
    identical, differences, total = 0, [], 0
    for statements, exact in zip(found, reference, strict=True):
        scores = {(s.span_key(), s.label): s.score for s in exact}
        total += len(statements)
        for statement in statements:
            key = (statement.span_key(), statement.label)
            if key in scores:
                identical += 1
                differences.append(abs(statement.score - scores[key]))
    return {
        "statements": total,
        "identical_to_torch": identical / max(total, 1),
        "score_difference_p95": float(np.percentile(differences, 95)) if differences else 0.0,
    }


def _measure(
    folder: Path, validation: list[dict], texts: list[str], reference: list[list[Any]]
) -> dict[str, Any]:
    from stance.backend_accuracy import backend_accuracy
    from stance.decoding import pad_batch
    from stance.onnx_backend import load_onnx_predictor

    predictor = load_onnx_predictor(folder, onnx_compute="int8")
    windows = predictor.windows(texts)
    batches = [
        pad_batch([windows[i] for i in b], predictor.pad_token_id)
        for b in predictor.batches(windows)
    ]
    predictor.encode_only(batches[:1])
    passes = []
    for _ in range(3):
        started = time.perf_counter()
        predictor.encode_only(batches)
        passes.append(time.perf_counter() - started)
    found = predictor.predict([d["text"] for d in validation])
    return {
        "encoder_seconds": min(passes),
        "validation": backend_accuracy(predictor, validation),
        "agreement": _agreement(found, reference),
        "encoder_mb": (folder / "onnx" / "encoder.onnx").stat().st_size / 1e6,
    }


def render(results: dict[str, Any]) -> str:
    base = results["variants"]["weight-only"]
    rows = []
    for name, result in results["variants"].items():
        v, a = result["validation"], result["agreement"]
        speed = base["encoder_seconds"] / result["encoder_seconds"]
        rows.append(
            f"| {name} | {result['encoder_seconds']:.2f} s | {speed:.2f}× | "
            f"{v['stance_macro_f1']:.3f} | {v['content_overlap_f1']:.3f} | "
            f"{v['statement_f1']:.3f} | {v.get('speaker_resolution_accuracy', float('nan')):.3f} | "
            f"{a['identical_to_torch']:.3f} | {a['score_difference_p95']:.3f} | "
            f"{result['encoder_mb']:.1f} MB | {result['chosen']} |"
        )
    return "\n".join(
        [
            "# Encoder quantization trial",
            "",
            f"Generated by `python benchmarks/quantization_trial.py` on {results['date']} "
            f"({results['cpu']}), each form made from the default model's fp32 encoder export. "
            f"Static calibration: {results['calibration_docs']} training-split documents "
            f"(MinMax). Encoder time: {results['paragraphs']} generated benchmark paragraphs, "
            "best of three passes, int8 compute; speed relative to weight-only. Accuracy: the ONNX "
            "predictor with each encoder (the other graphs as shipped), validation split "
            f"({results['validation_docs']} documents).",
            "",
            "Rule fixed before the first run: export the fastest form that loses at most "
            f"{MAX_LOSS * 100:.1f} point of the weight-only form's validation stance macro-F1 "
            "and content F1. It chose the mixed static form; the backend-agreement test "
            "(`tests/test_onnx.py`) then failed with it (a score 0.11 from torch's on a short "
            "text), so two columns were added after that run and a second condition with "
            f"them: at most {MAX_AGREEMENT_LOSS * 100:.0f} points fewer statements identical to "
            "the torch backend's (source, cue and content spans, label) than weight-only, and "
            "a 95th-percentile score difference (on those identical statements) at most "
            f"{MAX_SCORE_SPREAD:.0f}× weight-only's.",
            "",
            "| encoder | time | speed | stance macro-F1 | content F1 | statement F1 "
            "| speaker resolution | identical to torch | score Δ p95 | size | chosen |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=1200)
    parser.add_argument("--output", type=Path, default=REPO / "reports" / "quantization-trial")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import torch
    from corpus import generate
    from run import cpu_description

    import stance
    from stance.corpus import read_corpus
    from stance.export_onnx import (
        CALIBRATION_DOCUMENTS,
        calibration_batches,
        export_fp32,
        quantize,
        quantize_static_encoder,
    )
    from stance.modeling import load_folder
    from stance.pipeline import DEFAULT_MODEL_DIR

    validation = [d for d in read_corpus() if d["split"] == "validation"]
    texts = [p.text for p in generate(args.paragraphs)]
    exact = stance.load(DEFAULT_MODEL_DIR, backend="torch")._predictor
    batches = calibration_batches(exact)
    reference = exact.predict([d["text"] for d in validation])
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "cpu": cpu_description(),
        "calibration_docs": CALIBRATION_DOCUMENTS,
        "paragraphs": args.paragraphs,
        "validation_docs": len(validation),
        "variants": {},
    }
    forms = {
        "weight-only": lambda source, target: quantize(source, target),
        "static, every MatMul": lambda source, target: quantize_static_encoder(
            source, target, batches, weight_only_ffn_output=False
        ),
        "static, feed-forward output weight-only": lambda source, target: quantize_static_encoder(
            source, target, batches, weight_only_ffn_output=True
        ),
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        torch.manual_seed(0)
        fp32 = export_fp32(load_folder(DEFAULT_MODEL_DIR), work)["encoder.onnx"]
        for number, (name, make) in enumerate(forms.items()):
            encoder = work / f"encoder-{number}.onnx"
            make(fp32, encoder)
            folder = _with_encoder(DEFAULT_MODEL_DIR, encoder, work / f"model-{number}")
            results["variants"][name] = _measure(folder, validation, texts, reference)
    base = results["variants"]["weight-only"]
    eligible = [
        name
        for name, result in results["variants"].items()
        if result["validation"]["stance_macro_f1"]
        >= base["validation"]["stance_macro_f1"] - MAX_LOSS
        and result["validation"]["content_overlap_f1"]
        >= base["validation"]["content_overlap_f1"] - MAX_LOSS
        and result["agreement"]["identical_to_torch"]
        >= base["agreement"]["identical_to_torch"] - MAX_AGREEMENT_LOSS
        and result["agreement"]["score_difference_p95"]
        <= MAX_SCORE_SPREAD * base["agreement"]["score_difference_p95"]
    ]
    chosen = min(eligible, key=lambda name: results["variants"][name]["encoder_seconds"])
    for name, result in results["variants"].items():
        result["chosen"] = "yes" if name == chosen else "no"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(render(results))
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
