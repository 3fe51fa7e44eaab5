"""Local Hugging Face ``evaluate`` metric modules (Hub metrics cannot load offline)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

METRICS_DIR = Path(__file__).resolve().parent


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
