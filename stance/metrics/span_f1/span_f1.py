"""Span F1 for attributed statements, as a Hugging Face ``evaluate`` metric.

A thin wrapper around :func:`stance.evaluation.document_scores`: all scoring logic lives there so
that scripts, tests and this metric report identical numbers. Load it offline from its folder::

    evaluate.load("stance/metrics/span_f1")
"""

from __future__ import annotations

import json
from typing import Any

import evaluate

from stance.evaluation import document_scores
from stance.metrics import string_metric_info

_DESCRIPTION = """
Scores attributed-statement extraction. Each prediction and reference is one document serialised
as JSON: {"id", "text", "statements": [{"source", "cue", "content", "label"}]}, with spans as
{"start", "end", "text"} or {"pieces": [[start, end], ...], "text"}. For each part (source, cue,
content) the distinct spans of each document are matched one-to-one, by exact trimmed offsets
("exact") or by word-token F1 >= 0.5 ("overlap"), and micro-averaged over documents. Statement
scores require content overlap and, for the labelled figures, the same stance label.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of JSON strings, one predicted document each.
    references: list of JSON strings, the gold documents in the same order (same texts).
Returns:
    {"source" | "cue" | "content": {"exact" | "overlap": {"precision", "recall", "f1", "tp",
    "n_gold", "n_pred"}}, "statement": {"precision", "recall", "f1", ..., "unlabelled": {...}}}
    (labelled statement figures are None when the references carry no labels).
"""

_CITATION = """
@misc{stance,
  title = {stance: attributed statements and epistemic stance in English news},
  note = {span_f1 metric, see stance/evaluation.py}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SpanF1(evaluate.Metric):
    """Source/cue/content span P/R/F1 (exact and token overlap) plus statement scores.

    Example:
        >>> import json
        >>> doc = {"id": "d1", "text": "Marsh said it rained.", "statements": [{
        ...     "source": {"start": 0, "end": 5, "text": "Marsh"},
        ...     "cue": {"start": 6, "end": 10, "text": "said"},
        ...     "content": {"start": 11, "end": 20, "text": "it rained"},
        ...     "label": "assertion"}]}
        >>> scores = SpanF1().compute(predictions=[json.dumps(doc)], references=[json.dumps(doc)])
        >>> scores["content"]["overlap"]["f1"], scores["statement"]["f1"]
        (1.0, 1.0)
    """

    def _info(self) -> evaluate.MetricInfo:
        return string_metric_info(_DESCRIPTION, _CITATION, _KWARGS_DESCRIPTION)

    def _compute(self, predictions: list[str], references: list[str]) -> dict[str, Any]:
        return document_scores(
            [json.loads(doc) for doc in references], [json.loads(doc) for doc in predictions]
        )
