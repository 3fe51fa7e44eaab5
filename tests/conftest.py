"""Shared fixtures. The Hub is unreachable here, so every test runs offline."""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def load_script(relative_path: str) -> ModuleType:
    """Imports a script of the repository (``training/…``, ``scripts/…``) as a module."""
    path = REPO / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    from stance.spark import local_session

    session = local_session("stance-tests", str(REPO), spark__sql__shuffle__partitions="2")
    yield session
    session.stop()
