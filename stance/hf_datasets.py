"""Stance columns for a ``datasets.Dataset``, added with ``Dataset.map`` (batched, num_proc).

Example:
    >>> from datasets import Dataset
    >>> from stance.hf_datasets import add_stance_columns
    >>> ds = Dataset.from_dict({"body": ["Talks could resume by spring, a diplomat said.", ""]})
    >>> ds = add_stance_columns(ds, text_column="body")
    >>> ds.column_names
    ['body', 'statements', 'stance_labels']
    >>> ds[0]["stance_labels"], ds[0]["statements"][0]["source"]["text"], ds[1]["statements"]
    (['speculation'], 'a diplomat', [])
"""

from __future__ import annotations

from typing import Any

#: Column names added by :func:`add_stance_columns`.
STATEMENTS_COLUMN = "statements"
LABELS_COLUMN = "stance_labels"


def _features(dataset: Any) -> Any:
    """The dataset's features plus the two stance columns, from the one statement schema."""
    import pyarrow as pa
    from datasets import Features

    from stance.tables import statement_schema

    statement = pa.struct(list(statement_schema()))
    added = pa.schema(
        [(STATEMENTS_COLUMN, pa.list_(statement)), (LABELS_COLUMN, pa.list_(pa.string()))]
    )
    # Explicit types: a first batch without statements would otherwise be inferred as nulls
    # and clash with later batches.
    return Features({**dataset.features, **Features.from_arrow_schema(added)})


class _StanceMapper:
    """The map function: picklable; the model loads once in each process that runs it."""

    def __init__(self, text_column: str, model: str | None, batch_size: int, threads: int | None):
        self.text_column = text_column
        self.model = model
        self.batch_size = batch_size
        self.threads = threads
        self._nlp: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # The model never travels to worker processes; each loads its own copy.
        return {**self.__dict__, "_nlp": None}

    def __call__(self, batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        if self._nlp is None:
            import torch

            from stance.pipeline import load

            if self.threads is not None:
                torch.set_num_threads(self.threads)
            self._nlp = load(self.model)
        texts = [text if isinstance(text, str) else "" for text in batch[self.text_column]]
        found = self._nlp.predict(texts, batch_size=self.batch_size)
        return {
            STATEMENTS_COLUMN: [[st.to_dict() for st in statements] for statements in found],
            LABELS_COLUMN: [[st.label for st in statements] for statements in found],
        }


def add_stance_columns(
    dataset: Any,
    text_column: str = "text",
    *,
    model: str | None = None,
    batch_size: int = 32,
    map_batch_size: int = 64,
    num_proc: int | None = None,
    threads: int | None = None,
) -> Any:
    """Adds ``statements`` and ``stance_labels`` columns to a ``datasets.Dataset``.

    ``statements`` holds, per row, the list of ``Statement.to_dict()`` records (the ``jsonl``
    rows without ``document``); ``stance_labels`` their labels, handy for ``filter``. Null texts
    get no statements.

    Args:
        dataset: A ``datasets.Dataset``.
        text_column: The column holding the texts.
        model: Model folder or Hub id (default: the bundled model).
        batch_size: Windows per forward pass.
        map_batch_size: Rows per ``map`` batch.
        num_proc: Processes for ``map``; each loads the model once.
        threads: Torch threads per process (default: the cores divided among ``num_proc``).

    Returns:
        A new ``datasets.Dataset`` with the two columns.

    Raises:
        ValueError: the text column does not exist (the message lists the columns).
    """
    if text_column not in dataset.column_names:
        raise ValueError(
            f"the Dataset has no column '{text_column}' (columns: {dataset.column_names}); "
            "pass text_column=..."
        )
    if threads is None and num_proc:
        from stance.archive import default_threads

        threads = default_threads(num_proc)
    return dataset.map(
        _StanceMapper(text_column, model, batch_size, threads),
        batched=True,
        batch_size=map_batch_size,
        num_proc=num_proc,
        features=_features(dataset),
        desc="stance",
    )
