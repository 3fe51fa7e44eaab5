"""The ONNX Runtime backend: choice, batch invariance, agreement with torch, export, bad files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import stance
from stance.errors import ModelFilesError
from stance.pipeline import DEFAULT_MODEL_DIR

REPO = Path(__file__).resolve().parent.parent
TEXTS = [
    "The Harbour Ministry on Friday denied that its patrol boats had entered the bay.",
    "Talks could resume by spring, a senior diplomat said on Tuesday.",
    '"We believe the leak probably started in the eastern tank," plant manager Ivo Brandt said.',
    "According to the port authority, 42 vessels were waiting offshore on Monday.",
]
#: Texts of very different lengths (one needs several windows) to share batches with TEXTS.
FILLERS = [
    "No statement here at all.",
    " ".join(
        f"Officials in Varno said stage {i} of the bridge might open in May." for i in range(40)
    ),
    "The mayor said the vote would go ahead, but aides told reporters it could be delayed.",
]


@pytest.fixture(scope="module")
def onnx_nlp():
    return stance.load(backend="onnx")


@pytest.fixture(scope="module")
def torch_nlp():
    return stance.load(backend="torch")


@pytest.fixture()
def model_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, folder)
    return folder


def test_backend_choice(onnx_nlp, torch_nlp) -> None:
    assert onnx_nlp.backend == "onnx" and torch_nlp.backend == "torch"
    # ONNX is the default on the CPU (as batch-independent as torch, and faster).
    assert stance.load().backend == "onnx"
    assert stance.load(device="cpu").backend == "onnx"
    assert type(torch_nlp.model).__name__ == "StanceModel"
    with pytest.raises(AttributeError, match="backend='torch'"):
        _ = onnx_nlp.model
    with pytest.raises(ValueError, match="backend must be one of"):
        stance.load(backend="tensorflow")
    with pytest.raises(ValueError, match="runs on the CPU"):
        stance.load(backend="onnx", device="cuda")


def test_model_without_export_falls_back_to_torch(model_copy: Path) -> None:
    shutil.rmtree(model_copy / "onnx")
    assert stance.load(model_copy).backend == "torch"
    with pytest.raises(ModelFilesError, match="stance.export_onnx"):
        stance.load(model_copy, backend="onnx")


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_results_do_not_depend_on_the_batch(onnx_nlp, torch_nlp, backend: str) -> None:
    pipe = onnx_nlp if backend == "onnx" else torch_nlp
    alone = [pipe.predict(text) for text in TEXTS]
    mixed = pipe.predict([FILLERS[1], *TEXTS[:2], FILLERS[0], *TEXTS[2:], FILLERS[2]], batch_size=3)
    together = mixed[1:3] + mixed[4:6]
    for one, other in zip(alone, together, strict=True):
        assert [(s.span_key(), s.label) for s in one] == [(s.span_key(), s.label) for s in other]
        for a, b in zip(one, other, strict=True):
            assert all(abs(a.scores[k] - b.scores[k]) < 1e-4 for k in a.scores)
    # The token budget changes how windows are packed, never the result.
    packed = pipe.predict(TEXTS + FILLERS, batch_size=1)
    assert [[s.to_dict()["label"] for s in r] for r in packed[:4]] == [
        [s.label for s in r] for r in alone
    ]


def test_onnx_agrees_with_torch(onnx_nlp, torch_nlp) -> None:
    for text in TEXTS + FILLERS[2:]:
        fast, exact = onnx_nlp.predict(text), torch_nlp.predict(text)
        assert [(s.span_key(), s.label) for s in fast] == [(s.span_key(), s.label) for s in exact]
        for a, b in zip(fast, exact, strict=True):
            assert abs(a.score - b.score) < 0.05


def test_onnx_path_imports_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, stance; onnx_nlp = stance.load(backend='onnx'); "
        "found = onnx_nlp.predict('Talks could resume by spring, a diplomat said.'); "
        "labels = [s.label for s in found]; "
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules); "
        "print(onnx_nlp.backend, labels, heavy)"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "onnx ['speculation'] []"


def test_shipped_export_is_current_and_small() -> None:
    """The ONNX files were exported from the shipped weights (re-export after retraining)."""
    from stance.onnx_backend import file_sha256, read_manifest

    folder, manifest = read_manifest(DEFAULT_MODEL_DIR)
    assert manifest["source_weights_sha256"] == file_sha256(DEFAULT_MODEL_DIR / "model.safetensors")
    files = [p for p in folder.iterdir() if p.is_file()]
    assert not [p for p in files if p.suffix in {".bin", ".pt", ".pkl", ".npy", ".ckpt"}]
    assert sum(p.stat().st_size for p in files) <= 25_000_000


def test_damaged_graph(model_copy: Path) -> None:
    graph = model_copy / "onnx" / "encoder.onnx"
    graph.write_bytes(graph.read_bytes()[:100_000])
    with pytest.raises(ModelFilesError, match="encoder.onnx is damaged"):
        stance.load(model_copy, backend="onnx")


def test_missing_graph_and_pickle_instead(model_copy: Path, tmp_path: Path) -> None:
    import pickle

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (model_copy / "onnx" / "roles.onnx").unlink()
    (model_copy / "onnx" / "roles.pkl").write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ModelFilesError, match="roles.onnx is missing"):
        stance.load(model_copy, backend="onnx")
    assert not marker.exists()


def test_graph_that_is_not_onnx_even_with_a_matching_checksum(model_copy: Path) -> None:
    from stance.onnx_backend import file_sha256

    graph = model_copy / "onnx" / "stance.onnx"
    graph.write_bytes(b"not a protobuf")
    manifest_path = model_copy / "onnx" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["stance.onnx"] = file_sha256(graph)
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelFilesError, match="cannot be loaded by onnxruntime"):
        stance.load(model_copy, backend="onnx")


def test_bad_manifest(model_copy: Path) -> None:
    (model_copy / "onnx" / "manifest.json").write_text("{not json")
    with pytest.raises(ModelFilesError, match="not a valid stance ONNX manifest"):
        stance.load(model_copy, backend="onnx")


def test_stale_export_after_retraining(model_copy: Path) -> None:
    manifest_path = model_copy / "onnx" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["source_weights_sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelFilesError, match="stale"):
        stance.load(model_copy, backend="onnx")


# ------------------------------------------------------------------------ export, tiny model


def _tiny_model(folder: Path) -> None:
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
        },
        role_ffn_dim=32,
        window_length=64,
        window_overlap=16,
    )
    model = StanceModel(config).eval()
    model.save_pretrained(folder)
    shutil.copy(DEFAULT_MODEL_DIR / "tokenizer.json", folder)


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory) -> Path:
    from stance.export_onnx import main

    folder = tmp_path_factory.mktemp("tiny") / "model"
    _tiny_model(folder)
    assert main(["--model", str(folder)]) == 0
    return folder


def test_export_of_a_tiny_model(tiny_export: Path) -> None:
    import numpy as np

    manifest = json.loads((tiny_export / "onnx" / "manifest.json").read_text())
    assert manifest["window_length"] == 64 and set(manifest["files"]) == {
        "encoder.onnx",
        "roles.onnx",
        "stance.onnx",
    }
    fast = stance.load(tiny_export, backend="onnx")
    exact = stance.load(tiny_export, backend="torch")
    assert fast.backend == "onnx"
    # A random model finds arbitrary statements; what must agree is what the graphs compute.
    ids, mask = np.array([[101, 2000, 2001, 2002, 102, 0]]), np.array([[1, 1, 1, 1, 1, 0]])
    fast_states, fast_cues = fast._predictor.backend.encode(ids, mask)
    (exact_states, _), exact_cues = exact._predictor.backend.encode(ids, mask)
    assert np.abs(fast_cues - exact_cues)[:, :5].max() < 0.02
    cue = np.zeros((1, 6), dtype=np.int64)
    cue[0, 2] = 1
    _, fast_roles = fast._predictor.backend.read_cues(fast_states, mask, np.array([0]), cue)
    _, exact_roles = exact._predictor.backend.read_cues(
        (exact_states, exact._predictor.backend._tensor(mask)), mask, np.array([0]), cue
    )
    assert np.abs(fast_roles - exact_roles)[:, :5].max() < 0.02
    text = " ".join(TEXTS)
    assert all(text[s.cue.start : s.cue.end] == s.cue.text for s in fast.predict(text))


@pytest.mark.slow
def test_export_is_deterministic(tiny_export: Path, tmp_path: Path) -> None:
    from stance.export_onnx import export

    export(tiny_export, tmp_path / "again")
    first = json.loads((tiny_export / "onnx" / "manifest.json").read_text())["files"]
    second = json.loads((tmp_path / "again" / "manifest.json").read_text())["files"]
    assert first == second


def test_head_items_do_not_depend_on_their_neighbours(onnx_nlp) -> None:
    """Stance items and speaker anchors give the same scores alone as among others."""
    import numpy as np

    backend, rng = onnx_nlp._predictor.backend, np.random.default_rng(0)
    width, hidden = 12, 384
    states = rng.standard_normal((2, width, hidden)).astype(np.float32)
    attention = np.ones((2, width), dtype=np.int64)
    cue_mask = np.zeros((3, width), dtype=np.int64)
    cue_mask[:, 3:5] = 1
    pair_states, _ = backend.read_cues(states, attention, np.array([0, 1, 1]), cue_mask)
    contents = np.zeros((3, width), dtype=np.int64)
    contents[0, 5:9], contents[1, 6:11], contents[2, 1:3] = 1, 1, 1
    items = np.array([0, 1, 2])
    together = backend.classify_stance(pair_states, cue_mask, items, contents)
    for i in range(3):
        one = slice(i, i + 1)
        alone = backend.classify_stance(pair_states, cue_mask, items[one], contents[one])
        assert np.array_equal(alone[0], together[i])
    anchors = rng.standard_normal((3, hidden)).astype(np.float32)
    candidates = rng.standard_normal((5, hidden)).astype(np.float32)
    buckets = rng.integers(0, 10, (3, 5))
    ranked = backend.score_speakers(anchors, candidates, buckets)
    assert ranked.shape == (3, 7)
    for i in range(3):
        one = backend.score_speakers(anchors[i : i + 1], candidates, buckets[i : i + 1])
        assert np.array_equal(one[0], ranked[i])
