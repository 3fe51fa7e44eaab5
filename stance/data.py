"""Loading the annotated corpus as a ``datasets.DatasetDict`` (offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stance.corpus import CORPUS_PATH, SPLITS, read_corpus


def _features() -> Any:
    from datasets import Features, List, Value

    span = {"start": Value("int32"), "end": Value("int32"), "text": Value("string")}
    return Features(
        {
            "id": Value("string"),
            "domain": Value("string"),
            "split": Value("string"),
            "constructions": List(Value("string")),
            "annotation_pass": Value("string"),
            "text": Value("string"),
            "statements": List(
                {
                    "source": span,
                    "cue": span,
                    "content": span,
                    "label": Value("string"),
                    "constructions": List(Value("string")),
                    # The canonical mention of who is speaking (None: never named / no source).
                    "speaker": span,
                }
            ),
        }
    )


def load_annotations(path: str | Path = CORPUS_PATH) -> Any:
    """Loads the compiled corpus as a ``DatasetDict`` with train, validation and test splits.

    Reads the JSONL shipped in ``data/annotations``; no network access is needed.

    Args:
        path: The compiled corpus (``python -m stance.corpus compile`` writes it).

    Returns:
        ``datasets.DatasetDict``; a null source or speaker is ``None``.

    Example:
        >>> from stance.data import load_annotations
        >>> corpus = load_annotations()
        >>> sorted(corpus)
        ['test', 'train', 'validation']
    """
    from datasets import Dataset, DatasetDict

    docs = read_corpus(Path(path))
    features = _features()
    return DatasetDict(
        {
            split: Dataset.from_list([d for d in docs if d["split"] == split], features=features)
            for split in SPLITS
        }
    )
