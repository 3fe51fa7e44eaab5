"""Stance on Spark: a pandas UDF that turns a DataFrame text column into statement rows.

Needs the ``spark`` extra (``pip install 'stance-hedge[spark]'``): pyspark, pyarrow, pandas. The
model loads once per Python worker process of each executor and is reused for every batch and
every task that worker runs (Spark reuses Python workers by default,
``spark.python.worker.reuse=true``).

Example (see ``examples/spark_stance.py`` for a spark-submit script)::

    from pyspark.sql import SparkSession
    from stance.spark import statement_rows

    spark = SparkSession.builder.master("local[2]").getOrCreate()
    news = spark.createDataFrame([("a1", "Talks could resume by spring, a diplomat said.")],
                                 ["id", "body"])
    statement_rows(news, text_column="body", id_column="id").show()
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: Pipelines of this Python worker, by model: loaded on the first batch, kept for the next ones.
_PIPELINES: dict[str | None, Any] = {}


def local_session(app_name: str, checkout: str, **config: str) -> Any:
    """A ``local[2]`` SparkSession whose Python workers run this interpreter and this checkout.

    For tests and benchmarks on one machine: the UI is off, Arrow is on, logging is quiet.

    Args:
        app_name: The Spark application name.
        checkout: A folder put first on the workers' ``PYTHONPATH`` (the source tree of stance).
        **config: Further Spark settings (dots written as ``__``), e.g.
            ``spark__sql__shuffle__partitions="2"``.
    """
    from pyspark.sql import SparkSession

    # Python workers must run this interpreter (and find this checkout of stance).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (checkout, os.environ.get("PYTHONPATH", "")) if p
    )
    builder = SparkSession.builder.master("local[2]").appName(app_name)
    builder = builder.config("spark.ui.enabled", "false")
    for key, value in config.items():
        builder = builder.config(key.replace("__", "."), value)
    session = builder.config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def statement_type() -> Any:
    """The Spark type of one statement row, from the one schema in :mod:`stance.tables`."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_type

    from stance.tables import statement_schema

    return from_arrow_type(pa.struct(list(statement_schema())))


def _pipeline(model: str | None, threads: int | None) -> Any:
    nlp = _PIPELINES.get(model)
    if nlp is None:
        from stance.pipeline import load

        if threads is not None:
            import torch

            # Spark runs one task per core, so each worker's torch keeps to its share.
            torch.set_num_threads(threads)
        nlp = _PIPELINES[model] = load(model)
    return nlp


def predict_series(
    texts: Any, model: str | None = None, batch_size: int = 32, threads: int | None = None
) -> Any:
    """Statements of a pandas Series of texts: one list of ``Statement.to_dict()`` per text.

    Null texts give no statements. This is the body of :func:`statements_udf`; it needs no Spark.
    ``threads`` (torch threads) applies when this process first loads the model; ``None`` keeps
    torch's setting.

    Example:
        >>> import pandas as pd
        >>> out = predict_series(pd.Series(["The ministry denied the report.", None]))
        >>> [[s["label"] for s in row] for row in out]
        [['denial'], []]
    """
    import pandas as pd

    nlp = _pipeline(model, threads)
    values = [text if isinstance(text, str) else "" for text in texts]
    found = nlp.predict(values, batch_size=batch_size)
    return pd.Series([[st.to_dict() for st in statements] for statements in found])


def statements_udf(model: str | None = None, batch_size: int = 32, threads: int = 1) -> Any:
    """A pandas UDF: a text column in, an array of statement structs out.

    Args:
        model: Model folder or Hub id, reachable from every executor (default: the bundled
            model, which ships inside the installed package).
        batch_size: Windows per forward pass.
        threads: Torch threads per Python worker (Spark already runs one task per core).

    Returns:
        A UDF to use as ``df.withColumn("statements", statements_udf()("text"))``.
    """
    import pandas as pd
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import ArrayType

    def statements(texts: pd.Series) -> pd.Series:
        return predict_series(texts, model=model, batch_size=batch_size, threads=threads)

    # Spark picks the UDF kind from the type hints, which `from __future__ import annotations`
    # turns into strings it cannot resolve here: give it the classes themselves.
    statements.__annotations__ = {"texts": pd.Series, "return": pd.Series}
    return pandas_udf(statements, ArrayType(statement_type()))  # type: ignore[call-overload]


def statement_rows(
    df: Any,
    text_column: str = "text",
    id_column: str | None = None,
    *,
    model: str | None = None,
    batch_size: int = 32,
    threads: int = 1,
) -> Any:
    """One row per statement: ``doc_id`` plus the fields of the ``jsonl`` rows.

    Args:
        df: A Spark DataFrame.
        text_column: The column holding the texts.
        id_column: The column identifying documents (default: none; ``doc_id`` is then null).
        model: See :func:`statements_udf`.
        batch_size: Windows per forward pass.
        threads: Torch threads per Python worker.

    Returns:
        A DataFrame with ``doc_id, source, cue, content, label, score, scores, speaker,
        source_description``. Texts without statements give no rows.

    Raises:
        ValueError: a named column does not exist (the message lists the columns).
    """
    from pyspark.sql import functions as F

    for option, column in (("text_column", text_column), ("id_column", id_column)):
        if column is not None and column not in df.columns:
            raise ValueError(
                f"the DataFrame has no column '{column}' ({option}); columns: {df.columns}"
            )
    doc_id = F.col(id_column).cast("string") if id_column else F.lit(None).cast("string")
    udf = statements_udf(model=model, batch_size=batch_size, threads=threads)
    return (
        df.select(doc_id.alias("doc_id"), udf(F.col(text_column)).alias("statements"))
        .select("doc_id", F.explode("statements").alias("s"))
        .select("doc_id", "s.*")
    )
