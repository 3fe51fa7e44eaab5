"""Shared fixtures. The Hub is unreachable here, so every test runs offline."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from types import ModuleType

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def run_stance(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The ``stance`` command run as a real subprocess, offline, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "stance.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
        cwd=REPO,
        timeout=300,
    )


def load_from_hub_cache(folder: Path, cache: Path, repo_id: str) -> subprocess.CompletedProcess:
    """Puts ``folder`` into a huggingface_hub cache as ``repo_id`` and, in a fresh offline
    process, loads it with ``stance.load(repo_id)`` and prints the labels of one sentence."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    code = (
        f"import stance; nlp = stance.load({repo_id!r}); "
        "print([s.label for s in nlp.predict('Talks could resume by spring, a diplomat said.')])"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(cache))
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )


def load_script(relative_path: str) -> ModuleType:
    """Imports a script of the repository (``training/…``, ``scripts/…``) as a module."""
    path = REPO / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    # Registered first: dataclasses look their module up while the script is executed.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def tiny_stance_model(
    role_dim: int | None = None, encoder: dict | None = None, **config_fields: object
):
    """A tiny random StanceModel (seeded), in eval mode.

    Args:
        role_dim: The role layer's width (None: the encoder's).
        encoder: Encoder config entries to change (say, its dropout probabilities).
        **config_fields: StanceConfig fields to change.
    """
    import torch

    from stance.configuration import StanceConfig
    from stance.modeling import StanceModel

    torch.manual_seed(0)
    config = StanceConfig(
        encoder_config={
            "model_type": "bert",
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "vocab_size": 30522,
            "max_position_embeddings": 128,
            **(encoder or {}),
        },
        role_ffn_dim=32,
        role_dim=role_dim,
        **{"window_length": 64, "window_overlap": 16, **config_fields},
    )
    return StanceModel(config).eval()


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
