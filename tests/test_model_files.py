"""Saving and loading: safetensors only, verified base weights, clear errors for damaged models."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import load_from_hub_cache

import stance
from stance.base_encoder import BaseEncoderError
from stance.modeling import ModelFilesError, StanceModel
from stance.pipeline import DEFAULT_MODEL_DIR


@pytest.fixture()
def model_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, folder)
    return folder


def test_default_model_is_small_and_safetensors_only() -> None:
    # The torch backend's files; the ONNX export in onnx/ is checked in test_onnx.py.
    files = {p.name: p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir() if p.is_file()}
    assert "model.safetensors" in files and "tokenizer.json" in files
    assert not [n for n in files if n.endswith((".bin", ".pt", ".pkl", ".ckpt"))]
    assert sum(files.values()) <= 25 * 1024 * 1024


def test_save_and_reload_round_trip(model_copy: Path, tmp_path: Path) -> None:
    model = StanceModel.from_pretrained(model_copy)
    model.save_pretrained(tmp_path / "again")
    shutil.copy(model_copy / "tokenizer.json", tmp_path / "again")
    text = "Prices could rise by March, the analyst said."
    first = stance.load(model_copy, backend="torch").predict(text)
    second = stance.load(tmp_path / "again").predict(text)
    assert [s.to_dict() for s in first] == [s.to_dict() for s in second]


def test_auto_classes_know_the_model() -> None:
    from transformers import AutoConfig

    config = AutoConfig.for_model("stance")
    assert type(config).__name__ == "StanceConfig"


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelFilesError, match="does not exist"):
        stance.load(tmp_path / "nowhere")


def test_missing_config(model_copy: Path) -> None:
    (model_copy / "config.json").unlink()
    with pytest.raises(ModelFilesError, match="no config.json"):
        stance.load(model_copy, backend="torch")


def test_truncated_weights(model_copy: Path) -> None:
    weights = model_copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100_000])
    with pytest.raises(ModelFilesError, match="model.safetensors is damaged"):
        stance.load(model_copy, backend="torch")


def test_pickle_instead_of_safetensors_is_never_loaded(model_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (model_copy / "model.safetensors").unlink()
    (model_copy / "pytorch_model.bin").write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ModelFilesError, match="pickled weights are never loaded"):
        stance.load(model_copy, backend="torch")
    assert not marker.exists()


def test_wrong_base_encoder_hash(model_copy: Path) -> None:
    config = json.loads((model_copy / "config.json").read_text())
    config["base_weights_sha256"] = "0" * 64
    (model_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(BaseEncoderError, match="sha256"):
        stance.load(model_copy, backend="torch")


def test_config_of_another_model(model_copy: Path) -> None:
    (model_copy / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelFilesError, match="not a stance model config"):
        stance.load(model_copy, backend="torch")


def test_bad_stance_temperature_is_named(model_copy: Path) -> None:
    config = json.loads((model_copy / "config.json").read_text())
    (model_copy / "config.json").write_text(json.dumps({**config, "stance_temperature": 0}))
    with pytest.raises(ModelFilesError, match="stance_temperature must be positive, got 0"):
        stance.load(model_copy, backend="torch")


@pytest.mark.parametrize("offsets", [[0.0, 1.0], [0.0, 0.0, "x", 0.0], [0.0, 0.0, 0.0, 1e999]])
def test_bad_stance_offsets_are_named(model_copy: Path, offsets: list) -> None:
    config = json.loads((model_copy / "config.json").read_text())
    (model_copy / "config.json").write_text(json.dumps({**config, "stance_offsets": offsets}))
    with pytest.raises(ModelFilesError, match="stance_offsets must be 4 finite numbers"):
        stance.load(model_copy, backend="torch")


def test_uncached_hub_id_fails_fast_offline() -> None:
    import time

    from stance.hub import ModelNotAvailableError

    started = time.time()
    with pytest.raises(ModelNotAvailableError, match="not in the cache"):
        stance.load("stance-nlp/not-a-cached-model")
    assert time.time() - started < 5


def test_hub_id_loads_from_the_local_cache_offline(tmp_path: Path) -> None:
    """A Hub model already in the huggingface_hub cache loads with HF_HUB_OFFLINE=1."""
    result = load_from_hub_cache(DEFAULT_MODEL_DIR, tmp_path / "hub", "stance-nlp/cached-model")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "speculation" in result.stdout
