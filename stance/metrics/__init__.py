"""Local Hugging Face ``evaluate`` metric modules (Hub metrics cannot load offline)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

METRICS_DIR = Path(__file__).resolve().parent


def string_metric_info(description: str, citation: str, inputs_description: str) -> Any:
    """``evaluate.MetricInfo`` for metrics whose predictions and references are strings."""
    import datasets
    import evaluate

    return evaluate.MetricInfo(
        description=description,
        citation=citation,
        inputs_description=inputs_description,
        features=datasets.Features(
            {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
        ),
    )


@cache
def load_metric(name: str) -> Any:
    """Loads ``span_f1`` or ``stance_classification`` from this folder with ``evaluate.load``.

    Example:
        >>> load_metric("stance_classification").compute(
        ...     predictions=["hedge"], references=["hedge"])["accuracy"]
        1.0
    """
    import evaluate

    folder = METRICS_DIR / name
    if not (folder / f"{name}.py").exists():
        raise ValueError(f"no metric module {name!r} in {METRICS_DIR}")
    return evaluate.load(str(folder))
