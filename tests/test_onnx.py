"""The ONNX Runtime backend: choice, batch invariance, agreement with torch, export, bad files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tiny_stance_model

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


@pytest.fixture(scope="module")
def pipelines(torch_nlp) -> dict:
    """Torch, and the onnx backend in each compute mode (whatever "auto" picks on this CPU)."""
    return {
        "onnx-int8": stance.load(backend="onnx", onnx_compute="int8"),
        "onnx-fp32": stance.load(backend="onnx", onnx_compute="fp32"),
        "torch": torch_nlp,
    }


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


@pytest.mark.parametrize("backend", ["onnx-int8", "onnx-fp32", "torch"])
def test_results_do_not_depend_on_the_batch(pipelines, backend: str) -> None:
    pipe = pipelines[backend]
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


@pytest.mark.parametrize("mode", ["onnx-int8", "onnx-fp32"])
def test_onnx_agrees_with_torch(pipelines, mode: str) -> None:
    for text in TEXTS + FILLERS[2:]:
        fast, exact = pipelines[mode].predict(text), pipelines["torch"].predict(text)
        assert [(s.span_key(), s.label) for s in fast] == [(s.span_key(), s.label) for s in exact]
        for a, b in zip(fast, exact, strict=True):
            assert abs(a.score - b.score) < 0.05


def test_compute_modes(pipelines) -> None:
    """fp32 compute drops the activation rounding: its encoder is closer to torch's than int8's."""
    import numpy as np

    from stance.onnx_backend import resolve_compute

    assert pipelines["onnx-int8"].onnx_compute == "int8"
    assert pipelines["onnx-fp32"].onnx_compute == "fp32"
    assert pipelines["torch"].onnx_compute is None
    assert stance.load().onnx_compute == resolve_compute("auto")
    with pytest.raises(ValueError, match="onnx_compute must be one of auto, int8, fp32"):
        stance.load(onnx_compute="fast")
    tokenizer = pipelines["torch"].tokenizer
    encoded = [
        [tokenizer.cls_token_id, *tokenizer.encode(t)[0].tolist(), tokenizer.sep_token_id]
        for t in TEXTS
    ]
    width = max(len(e) for e in encoded) + 1  # even, and at least one padded row
    ids = np.array([e + [0] * (width - len(e)) for e in encoded], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    exact, _ = pipelines["torch"]._predictor.backend.encode(ids, mask)
    exact = exact[0].numpy()
    error = {}
    for mode in ("onnx-int8", "onnx-fp32"):
        states, _ = pipelines[mode]._predictor.backend.encode(ids, mask)
        error[mode] = float(np.abs(states - exact)[mask.astype(bool)].mean())
    assert error["onnx-fp32"] < error["onnx-int8"], error


def test_accuracy_level_edit_of_the_shipped_graphs() -> None:
    """The in-memory edit changes every MatMulNBits node's level and nothing else."""
    onnx = pytest.importorskip("onnx")
    from stance.onnx_backend import with_accuracy_level

    for path in sorted((DEFAULT_MODEL_DIR / "onnx").glob("*.onnx")):
        original = path.read_bytes()
        patched = with_accuracy_level(original, 1)
        assert len(patched) == len(original)
        before, after = onnx.load_from_string(original), onnx.load_from_string(patched)
        levels = [
            [a.i for a in n.attribute if a.name == "accuracy_level"]
            for n in after.graph.node
            if n.op_type == "MatMulNBits"
        ]
        assert levels and all(level == [1] for level in levels), path.name
        for node in before.graph.node:  # what the edit must leave alone
            for a in node.attribute:
                if a.name == "accuracy_level":
                    a.i = 1
        assert before.SerializeToString() == after.SerializeToString(), path.name
    with pytest.raises(ValueError, match="2 MatMulNBits nodes but 1 accuracy_level"):
        with_accuracy_level(b'"\x0bMatMulNBits' * 2 + b"\n\x0eaccuracy_level\x18\x04", 1)


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
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    prediction_window = (
        config.get("predict_window_length") or config["window_length"],
        config.get("predict_window_overlap") or config["window_overlap"],
    )
    assert (manifest["window_length"], manifest["window_overlap"]) == prediction_window
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


def _tiny_model(folder: Path, role_dim: int | None = None, **config_fields: object) -> None:
    tiny_stance_model(role_dim, **config_fields).save_pretrained(folder)
    shutil.copy(DEFAULT_MODEL_DIR / "tokenizer.json", folder)


@pytest.fixture(scope="module", params=[None, 16], ids=["encoder-width roles", "narrow roles"])
def tiny_export(tmp_path_factory, request) -> Path:
    """A tiny random model, exported; with role layers at the encoder's width or narrower."""
    from stance.export_onnx import main

    folder = tmp_path_factory.mktemp("tiny") / "model"
    _tiny_model(folder, role_dim=request.param)
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
    fast_pairs, fast_roles = fast._predictor.backend.read_cues(
        fast_states, mask, np.array([0]), cue
    )
    exact_pairs, exact_roles = exact._predictor.backend.read_cues(
        (exact_states, exact._predictor.backend._tensor(mask)), mask, np.array([0]), cue
    )
    assert np.abs(fast_roles - exact_roles)[:, :5].max() < 0.02
    content = np.zeros((1, 6), dtype=np.int64)
    content[0, 3:5] = 1
    item = np.array([0])
    fast_stance = fast._predictor.backend.classify_stance(fast_pairs, cue, item, content)
    exact_stance = exact._predictor.backend.classify_stance(exact_pairs, cue, item, content)
    assert fast_stance.shape == (1, 4) and np.abs(fast_stance - exact_stance).max() < 0.02
    text = " ".join(TEXTS)
    assert all(text[s.cue.start : s.cue.end] == s.cue.text for s in fast.predict(text))


def test_both_backends_predict_in_the_prediction_window(tmp_path: Path) -> None:
    """A model chosen to predict in shorter windows does so on torch and ONNX alike."""
    from stance.export_onnx import main

    folder = tmp_path / "model"
    _tiny_model(folder, predict_window_length=32, predict_window_overlap=8)
    assert main(["--model", str(folder)]) == 0
    manifest = json.loads((folder / "onnx" / "manifest.json").read_text())
    assert (manifest["window_length"], manifest["window_overlap"]) == (32, 8)
    for backend in ("torch", "onnx"):
        predictor = stance.load(folder, backend=backend)._predictor
        assert (predictor.window_length, predictor.window_overlap) == (32, 8), backend
        # A text longer than one window is cut into windows of that size.
        windows = predictor.windows([" ".join(TEXTS * 3)])
        assert len(windows) > 1 and max(len(w) for w in windows) <= 32


def test_both_backends_report_calibrated_stance_scores(tmp_path: Path) -> None:
    """The stance temperature softens the scores alike on torch and ONNX (labels unchanged),
    the offsets shift them alike, and an export made before the config was re-calibrated is
    refused as stale."""
    import numpy as np

    from stance.export_onnx import main

    calibrations = {
        "raw": (1.0, [0.0, 0.0, 0.0, 0.0]),
        "soft": (4.0, [0.0, 0.0, 0.0, 0.0]),
        "shifted": (4.0, [0.0, 0.5, -0.5, 1.0]),
    }
    scores = {}
    for name, (temperature, offsets) in calibrations.items():
        folder = tmp_path / name
        _tiny_model(folder, stance_temperature=temperature, stance_offsets=offsets)
        assert main(["--model", str(folder)]) == 0
        manifest = json.loads((folder / "onnx" / "manifest.json").read_text())
        assert (manifest["stance_temperature"], manifest["stance_offsets"]) == (
            temperature,
            offsets,
        )
        for backend in ("torch", "onnx"):
            predictor = stance.load(folder, backend=backend)._predictor
            ids, mask = np.array([[101, 2000, 2001, 2002, 102, 0]]), np.array([[1] * 5 + [0]])
            states, _ = predictor.backend.encode(ids, mask)
            cue, content = np.zeros((1, 6), dtype=np.int64), np.zeros((1, 6), dtype=np.int64)
            cue[0, 2], content[0, 3:5] = 1, 1
            pairs, _ = predictor.backend.read_cues(states, mask, np.array([0]), cue)
            probs = predictor.backend.classify_stance(pairs, cue, np.array([0]), content)[0]
            scores[name, backend] = probs
    for backend in ("torch", "onnx"):
        raw, soft = scores["raw", backend], scores["soft", backend]
        assert raw.argmax() == soft.argmax() and soft.max() < raw.max()
        for name, (temperature, offsets) in calibrations.items():
            # softmax(logits / T + offsets) from the uncalibrated probabilities
            scaled = np.exp(np.log(raw) / temperature + np.array(offsets))
            assert np.abs(scores[name, backend] - scaled / scaled.sum()).max() < 0.02, backend
    config_path = tmp_path / "shifted" / "config.json"
    config = json.loads(config_path.read_text())
    for key, value in {"stance_temperature": 2.0, "stance_offsets": [0.0, 0.5, -0.5, 2.0]}.items():
        config_path.write_text(json.dumps({**config, key: value}))
        with pytest.raises(ModelFilesError, match=f"another {key}.*re-export"):
            stance.load(tmp_path / "shifted", backend="onnx")


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


@pytest.mark.parametrize(
    ("role_dim", "role_layers"),
    [(None, 1), (16, 1), (None, 2)],
    ids=["encoder-width roles", "narrow roles", "two role layers"],
)
def test_cue_reader_computes_read_cues(role_dim: int | None, role_layers: int) -> None:
    """The exported role graph's form (per-window projection) is the model's own function."""
    import torch

    from stance.export_onnx import CueReader

    model = tiny_stance_model(role_dim, role_layers=role_layers)
    with torch.no_grad():  # fresh layer norms are the identity: make every term count
        for parameter in model.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
    states = torch.randn(3, 9, 32)
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[2, 6:] = 0
    pair_window = torch.tensor([0, 0, 1, 2, 2])
    cue = torch.zeros(5, 9, dtype=torch.long)
    for pair, (start, end) in enumerate([(1, 2), (6, 8), (0, 1), (4, 6), (5, 6)]):
        cue[pair, start:end] = 1
    with torch.no_grad():
        expected = model.read_cues(states, mask, pair_window, cue)
        got = CueReader(model)(states, mask, pair_window, cue)
    real = mask[pair_window].bool()
    assert torch.allclose(got[real], expected[real], atol=1e-5)
    assert not torch.allclose(got[real][:9], got[real][9:18], atol=1e-3)  # cue-dependent


def test_cue_reader_on_the_shipped_model() -> None:
    import numpy as np
    import torch

    from stance.decoding import pad_batch
    from stance.export_onnx import CueReader

    predictor = stance.load(backend="torch")._predictor
    windows = predictor.windows(TEXTS)
    batch = pad_batch(windows, predictor.tokenizer.pad_token_id)
    ids, attention = (torch.from_numpy(array) for array in batch)
    model = predictor.model
    cue = torch.zeros(len(windows), ids.shape[1], dtype=torch.long)
    cue[:, 3] = 1
    pair_window = torch.arange(len(windows))
    with torch.no_grad():
        states = model.encode(ids, attention)
        expected = model.read_cues(states, attention, pair_window, cue)
        got = CueReader(model)(states, attention, pair_window, cue)
    real = attention.bool()
    assert np.abs((got - expected)[real].numpy()).max() < 1e-4


def test_static_encoder_export(tmp_path: Path) -> None:
    """``--static-encoder``: fixed activation scales, so a window's states do not depend on the
    windows it shares a pass with; a calibration file without text is refused."""
    import numpy as np

    from stance.decoding import pad_batch
    from stance.export_onnx import main

    folder = tmp_path / "model"
    _tiny_model(folder)
    calibration = tmp_path / "calibration.txt"
    calibration.write_text("\n".join(TEXTS + FILLERS), encoding="utf-8")
    command = ["--model", str(folder), "--static-encoder", "--calibration", str(calibration)]
    assert main(command) == 0
    manifest = json.loads((folder / "onnx" / "manifest.json").read_text())
    assert manifest["quantization"].startswith("encoder: static QDQ int8")
    predictor = stance.load(folder, backend="onnx")._predictor
    windows = predictor.windows(TEXTS + FILLERS[:1])
    pad = predictor.tokenizer.pad_token_id
    together, _ = predictor.backend.encode(*pad_batch(windows, pad))
    for row, window in enumerate(windows):
        alone, _ = predictor.backend.encode(*pad_batch([window], pad))
        length = len(window)
        assert np.array_equal(alone[0, :length], together[row, :length])
    calibration.write_text("\n\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(command)


def test_worker_threads_do_not_change_results(onnx_nlp) -> None:
    """Batches run on several threads at once give what one thread gives, to the last score
    and speaker, whatever order the batches finish in."""
    texts = TEXTS + FILLERS
    one = stance.load(backend="onnx", threads=1)
    three = stance.load(backend="onnx", threads=3)  # more workers than cores is allowed
    assert (one._predictor.workers, three._predictor.workers) == (1, 3)
    expected = [[s.to_dict() for s in r] for r in one.predict(texts, batch_size=1)]
    for _ in range(3):  # thread scheduling differs from run to run
        found = three.predict(texts, batch_size=1)
        assert [[s.to_dict() for s in r] for r in found] == expected
    assert [[s.to_dict() for s in r] for r in onnx_nlp.predict(texts)] == expected
    # A paragraph whose one batch runs alone takes the all-core sessions: same result.
    assert set(three._predictor.backend.solo_sessions) == {"encoder.onnx", "roles.onnx"}
    assert one._predictor.backend.solo_sessions == {}
    for text, statements in zip(texts, expected, strict=True):
        assert [s.to_dict() for s in three.predict(text)] == statements


def test_a_small_input_is_spread_over_the_workers(onnx_nlp) -> None:
    predictor = stance.load(backend="onnx", threads=2)._predictor
    windows = predictor.windows([FILLERS[1]])  # one text, several windows
    assert len(windows) >= 3
    batches = predictor.batches(windows)
    assert len(batches) >= 2  # within the default token budget, yet on both workers
    assert sorted(i for b in batches for i in b.tolist()) == list(range(len(windows)))
    one_worker = stance.load(backend="onnx", threads=1)._predictor
    assert len(one_worker.batches(windows)) == 1  # one worker: one pass, as before
    # A batch never drops below one whole window, however many workers there are.
    many = stance.load(backend="onnx", threads=64)._predictor
    assert len(many.batches(windows)) == len(windows)


def test_a_failing_batch_fails_the_call() -> None:
    predictor = stance.load(backend="onnx", threads=2)._predictor

    def run(batch: int) -> None:
        if batch == 3:
            raise RuntimeError("batch 3 broke")

    with pytest.raises(RuntimeError, match="batch 3 broke"):
        predictor.run_batches(run, list(range(6)))
    with pytest.raises(ValueError, match="workers must be at least 1"):
        type(predictor)(
            predictor.backend, predictor._tokenizer, predictor.labels, 96, 16, workers=0
        )


def test_sessions_share_one_arena_registered_once() -> None:
    import stance
    from stance import onnx_backend

    first = stance.load(backend="onnx")
    onnx_backend._register_shared_arena()  # again: a no-op, not an ONNX Runtime error
    second = stance.load(backend="onnx")
    assert onnx_backend._shared_arena_registered
    text = "The ministry denied the report, a spokeswoman said on Monday."
    assert first.predict(text) == second.predict(text)
