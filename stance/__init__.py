"""stance: who says what in English news, and how sure are they.

Finds attributed statements (source, cue, content as character spans) and labels each with the
source's epistemic stance: denial, speculation, hedge or assertion.

Example:
    >>> import stance
    >>> for s in stance.predict("Talks could resume by spring, a diplomat said."):
    ...     print(s.source.text, "|", s.cue.text, "|", s.content.text, "|", s.label)
    a diplomat | said | Talks could resume by spring | speculation
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stance.types import LABELS, Span, Statement

__version__ = "0.1.0"
__all__ = ["LABELS", "Span", "Statement", "StancePipeline", "load", "predict", "__version__"]

if TYPE_CHECKING:
    from stance.pipeline import StancePipeline, load, predict


def __getattr__(name: str) -> Any:
    # torch and transformers load only when a model is first needed, so `import stance` stays
    # cheap for tools that only read outputs or annotations.
    if name in {"load", "predict", "StancePipeline"}:
        from stance import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'stance' has no attribute {name!r}")
