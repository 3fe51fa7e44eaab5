"""Shared fixtures. The Hub is unreachable here, so every test runs offline."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def corpus() -> list[dict]:
    """The compiled corpus."""
    from stance.corpus import read_corpus

    return read_corpus()


@pytest.fixture(scope="session")
def nlp():
    """The bundled default model, loaded once per test session."""
    import stance

    return stance.load()


@pytest.fixture(scope="session")
def spark():
    """A local Spark session with two cores, shared by the whole test session."""
    pytest.importorskip(
        "pyspark", reason="pyspark is not installed: pip install -e '.[spark]' (needs Java 17)"
    )
    import sys

    from pyspark.sql import SparkSession

    # Python workers must run this interpreter (and find this checkout of stance).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
    )
    session = (
        SparkSession.builder.master("local[2]")
        .appName("stance-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
