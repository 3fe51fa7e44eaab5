"""One typed row schema for statements in tables: Parquet parts, ``datasets`` columns, Spark.

Every tabular output is built from :func:`statement_schema`, so a Parquet part, a
``datasets.Dataset`` column and a Spark DataFrame hold the same fields with the same types as the
``jsonl`` rows of :func:`stance.render.as_records`.

pyarrow is imported only when a schema is asked for, so ``import stance`` stays light.

Example:
    >>> from stance.tables import statement_schema
    >>> statement_schema().names[:4]
    ['source', 'cue', 'content', 'label']
    >>> statement_schema(with_document=True).names[:3]
    ['document', 'doc_id', 'source']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stance.types import LABELS


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as err:  # pragma: no cover - pyarrow comes with the spark and train extras
        raise ImportError(
            "tables of statements need pyarrow: `pip install 'stance-hedge[spark]'` "
            "(or `pip install pyarrow`)"
        ) from err
    return pyarrow


def statement_schema(with_document: bool = False) -> Any:
    """The Arrow schema of one statement row (the fields of ``Statement.to_dict()``).

    Args:
        with_document: Prepend ``document`` (where the text came from) and ``doc_id``.

    Returns:
        A ``pyarrow.Schema``. ``source`` is nullable (agentless statements have none), and so is
        ``speaker`` (never named, or a model without a speaker head) and ``source_description`` (the
        text gives none).
    """
    pa = _pyarrow()
    span = pa.struct([("text", pa.string()), ("start", pa.int64()), ("end", pa.int64())])
    fields = [
        pa.field("source", span, nullable=True),
        pa.field("cue", span),
        pa.field("content", span),
        pa.field("label", pa.string()),
        pa.field("score", pa.float64()),
        pa.field("scores", pa.struct([(label, pa.float64()) for label in LABELS])),
        pa.field(
            "speaker",
            pa.struct([*((f.name, f.type) for f in span), ("name", pa.string())]),
            nullable=True,
        ),
        pa.field("source_description", span, nullable=True),
    ]
    if with_document:
        fields = [pa.field("document", pa.string()), pa.field("doc_id", pa.string()), *fields]
    return pa.schema(fields)


def rows_to_table(rows: Sequence[dict[str, Any]], with_document: bool = True) -> Any:
    """A ``pyarrow.Table`` of statement rows (dicts as :func:`stance.render.as_records` makes).

    Example:
        >>> rows_to_table([], with_document=True).num_rows
        0
    """
    pa = _pyarrow()
    return pa.Table.from_pylist(list(rows), schema=statement_schema(with_document))
