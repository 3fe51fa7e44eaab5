"""Stance classification scores, as a Hugging Face ``evaluate`` metric.

A thin wrapper around :func:`stance.evaluation.stance_scores`, so scripts, tests and this metric
report identical numbers. Load it offline from its folder::

    evaluate.load("stance/metrics/stance_classification")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import evaluate

from stance.evaluation import probabilities_to_dict, stance_scores
from stance.metrics import string_metric_info

_DESCRIPTION = """
Scores the epistemic stance labels (denial, speculation, hedge, assertion) of attributed
statements: macro F1 over the labels that occur, accuracy, per-label precision/recall/F1/support,
the confusion matrix (gold rows, predicted columns) and, given probabilities, the expected
calibration error (10 equal-width bins over the maximum probability).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of predicted label strings.
    references: list of gold label strings.
    probabilities: optional list, one per example, of {label: prob} mappings, lists of four
        probabilities in (denial, speculation, hedge, assertion) order, or JSON strings of either.
Returns:
    {"macro_f1", "accuracy", "per_label", "confusion_matrix": {"labels", "matrix"}, "ece"}
    ("ece" is None without probabilities).
"""

_CITATION = """
@misc{stance,
  title = {stance: attributed statements and epistemic stance in English news},
  note = {stance_classification metric, see stance/evaluation.py}
}
"""

Probabilities = Sequence[Mapping[str, float] | Sequence[float] | str]


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class StanceClassification(evaluate.Metric):
    """Macro F1, accuracy, per-label scores, confusion matrix and ECE of stance labels.

    Example:
        >>> metric = StanceClassification()
        >>> scores = metric.compute(
        ...     predictions=["denial", "hedge"],
        ...     references=["denial", "assertion"],
        ...     probabilities=["[0.9, 0.0, 0.1, 0.0]", [0.0, 0.0, 0.6, 0.4]],
        ... )
        >>> scores["accuracy"], round(scores["ece"], 4)
        (0.5, 0.35)
    """

    def _info(self) -> evaluate.MetricInfo:
        return string_metric_info(_DESCRIPTION, _CITATION, _KWARGS_DESCRIPTION)

    def _compute(
        self,
        predictions: list[str],
        references: list[str],
        probabilities: Probabilities | None = None,
    ) -> dict[str, Any]:
        probs = None if probabilities is None else [probabilities_to_dict(p) for p in probabilities]
        return stance_scores(references, predictions, probs)
