"""The ONNX Runtime backend: int8 graphs behind the shared decoder.

Imports onnxruntime, tokenizers and numpy only (never torch or transformers), so it runs on a
light install (``pip install stance-hedge``). The graphs come from ``python -m
stance.export_onnx`` and are loaded from ``.onnx`` files only, after checking each file's sha256
against the manifest written with them.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from stance.base_encoder import file_sha256
from stance.decoding import Predictor, usable_cores
from stance.errors import ModelFilesError
from stance.tokenization import WordPieceTokenizer

ONNX_DIR = "onnx"
MANIFEST_FILE = "manifest.json"
ENCODER_FILE, ROLES_FILE, STANCE_FILE = "encoder.onnx", "roles.onnx", "stance.onnx"
MENTIONS_FILE, SPEAKERS_FILE = "mentions.onnx", "speakers.onnx"
WEIGHTS_NAME = "model.safetensors"
#: Padded tokens per forward pass. Measured on 600 generated paragraphs (2 cores): 1,024 tokens
#: ran as fast as 4,096 (10.8 s vs 11.5 s) with less than half the peak RSS (295 MB vs 644 MB):
#: the arena keeps the largest batch's activations (GELU intermediates dominate).
TOKEN_BUDGET = 1024
#: Larger passes are never faster, and ONNX Runtime's arena keeps the largest pass's activations
#: (a 1 MB text at 16,384 tokens per pass grew the process by 3 GB), so passes are capped.
MAX_TOKEN_BUDGET = 4096
EXPORT_COMMAND = "python -m stance.export_onnx --model {model} --output {output}"
#: How the int8-weight matrix products compute (``onnx_compute``): ``"int8"`` quantizes the
#: activations per row and multiplies in int8 (ONNX Runtime's ``accuracy_level=4``, as
#: exported); ``"fp32"`` multiplies fp32 activations by the dequantized weights
#: (``accuracy_level=1``); ``"auto"`` picks int8 on CPUs with VNNI or AMX int8 instructions and
#: fp32 on the others. Measured on an AVX2-only CPU (2 cores, no VNNI; 600 generated
#: paragraphs, the whole pipeline): int8 took 12.2 s, fp32 9.9 s, with 557 of 600 paragraphs'
#: statements identical. Without VNNI the int8 kernel emulates the dot products and is slower
#: than fp32 FMA.
ONNX_COMPUTE: tuple[str, ...] = ("auto", "int8", "fp32")
#: ``accuracy_level`` of each compute mode (ONNX Runtime's MatMulNBits attribute).
ACCURACY_LEVELS = {"int8": 4, "fp32": 1}
#: The graphs whose compute mode follows ``onnx_compute``: the encoder and the role layer, 98 %
#: of the forward time. The small heads keep the exported int8 compute: with fp32 compute, ONNX
#: Runtime picks the kernel by row count, so a speaker score moved in its last bit with the
#: number of sources in the pass (found by the head-item independence test), and the doc of
#: :mod:`stance.export_onnx` measured fp32 heads 3.5x slower per call.
SWITCHED_GRAPHS = (ENCODER_FILE, ROLES_FILE)
#: Graphs that get a second session over several cores for passes that run alone (one
#: paragraph's batch): a lone window does gain from intra-op threads (one paragraph 13.1 ms on
#: one core, 10.4 ms on two), though overlapping bulk passes do better on one core each.
SOLO_GRAPHS = (ENCODER_FILE, ROLES_FILE)
#: ONNX Runtime graph rewrites left out. Its SkipLayerNormalization fusion (residual add + layer
#: norm in one kernel) made the encoder slower: in ONNX Runtime's profile of the encoder on
#: 10 windows of 96 tokens (one thread) the fused kernel took 11.7 % of the time, the Add and
#: LayerNormalization it replaces 4-5 %, and the pass 13-15 % less time without it.
DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]
#: CPU flags (Linux ``/proc/cpuinfo``) under which the int8 kernel has native dot products.
INT8_DOT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
# In the serialized graph, a MatMulNBits node's op_type field (tag 4, length 11) and its
# accuracy_level attribute (name field, then the integer field, tag 3). Protobuf writes fields in
# number order, so the attribute's value is the one byte right after ``_LEVEL_FIELD``.
_MATMUL_NBITS = b'"\x0bMatMulNBits'
_LEVEL_FIELD = b"\n\x0eaccuracy_level\x18"


def cpuinfo_field(name: str) -> str:
    """The first value of a Linux ``/proc/cpuinfo`` field ("" elsewhere or when unreadable)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        pass
    return ""


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux reports them (empty elsewhere or when unreadable)."""
    return frozenset(cpuinfo_field("flags").split())


def check_compute(onnx_compute: str) -> None:
    """Raises ValueError naming the choices unless ``onnx_compute`` is one of them."""
    if onnx_compute not in ONNX_COMPUTE:
        raise ValueError(
            f"onnx_compute must be one of {', '.join(ONNX_COMPUTE)}, got {onnx_compute!r}"
        )


def resolve_compute(onnx_compute: str, flags: frozenset[str] | None = None) -> str:
    """``"int8"`` or ``"fp32"`` for an ``onnx_compute`` choice on this (or a given) CPU.

    Where the flags cannot be read (not Linux), ``"auto"`` keeps the exported int8 compute.

    Example:
        >>> resolve_compute("auto", frozenset({"avx2", "fma"}))
        'fp32'
        >>> resolve_compute("auto", frozenset({"avx2", "avx512_vnni"}))
        'int8'
        >>> resolve_compute("fp32", frozenset({"avx512_vnni"}))
        'fp32'
    """
    check_compute(onnx_compute)
    if onnx_compute != "auto":
        return onnx_compute
    flags = cpu_flags() if flags is None else flags
    if not flags:
        return "int8"
    return "int8" if flags & INT8_DOT_FLAGS else "fp32"


def with_accuracy_level(graph: bytes, level: int) -> bytes:
    """A serialized ONNX graph with every MatMulNBits node's ``accuracy_level`` set to ``level``.

    A same-length edit of one integer field per node, so the light install needs no ``onnx``
    package; it is applied only when every MatMulNBits node has exactly one such field.

    Raises:
        ValueError: the graph's MatMulNBits nodes and accuracy_level fields do not pair up.

    Example:
        >>> node = _MATMUL_NBITS + _LEVEL_FIELD + bytes([4])
        >>> with_accuracy_level(node, 1)[-1]
        1
    """
    if not 0 <= level < 128:  # one varint byte
        raise ValueError(f"accuracy_level must be in 0..127, got {level}")
    nodes = graph.count(_MATMUL_NBITS)
    fields = graph.count(_LEVEL_FIELD)
    if nodes != fields:
        raise ValueError(
            f"the graph has {nodes} MatMulNBits nodes but {fields} accuracy_level fields"
        )
    patched = bytearray(graph)
    position = graph.find(_LEVEL_FIELD)
    while position >= 0:
        value = position + len(_LEVEL_FIELD)
        if patched[value] >= 128:  # a multi-byte varint: not an exporter's level
            raise ValueError(f"unexpected accuracy_level encoding at byte {value}")
        patched[value] = level
        position = graph.find(_LEVEL_FIELD, value)
    return bytes(patched)


def even_rows(array: np.ndarray, axis: int = 0) -> np.ndarray:
    """``array`` with its last entry along ``axis`` repeated when that axis has odd length.

    ONNX Runtime's int8 MatMul kernel computes rows two at a time and gives the last row of an
    odd row count to a different kernel whose result differs slightly, so the heads' item rows
    are padded to an even count (and the extra outputs dropped): an item's result then does not
    depend on how many items share its pass. Windows get the same through
    :func:`stance.decoding.pad_batch` (even widths).

    Example:
        >>> even_rows(np.array([[1, 2], [3, 4], [5, 6]])).tolist()
        [[1, 2], [3, 4], [5, 6], [5, 6]]
        >>> even_rows(np.array([[1, 2, 3]]), axis=1).tolist()
        [[1, 2, 3, 3]]
    """
    if array.shape[axis] % 2 == 0:
        return array
    return np.concatenate([array, np.take(array, [-1], axis=axis)], axis=axis)


def onnx_folder(model_folder: Path) -> Path:
    """Where a model folder keeps its ONNX export."""
    return Path(model_folder) / ONNX_DIR


def has_onnx(model_folder: Path) -> bool:
    """Whether a model folder ships an ONNX export (its manifest)."""
    return (onnx_folder(model_folder) / MANIFEST_FILE).is_file()


_shared_arena_lock = threading.Lock()
_shared_arena_registered = False


def _register_shared_arena() -> None:
    """Registers one CPU arena allocator in ONNX Runtime's process environment, once.

    The backend opens a session per graph, and a second one per graph for batches that run
    alone (10 in all); each session's own arena keeps the largest activations it ever held, so
    the peak was the sum of ten peaks. Sessions that opt in (``session.use_env_allocators``)
    share this arena instead: on the benchmark's 1 MB input, peak RSS 573 / 543 MB with their
    own arenas, 474 / 460 MB shared, at the same speed (growing the arena by exactly what is
    requested instead of by powers of two fragmented it: 2 GB).
    """
    global _shared_arena_registered
    import onnxruntime as ort

    with _shared_arena_lock:
        if _shared_arena_registered:
            return
        memory = ort.OrtMemoryInfo(
            "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
        )
        # 0 / -1: no memory limit, and ONNX Runtime's default growth and chunk settings.
        ort.create_and_register_allocator(memory, ort.OrtArenaCfg(0, -1, -1, -1))
        _shared_arena_registered = True


def _session(graph: bytes, threads: int | None) -> Any:
    """An ONNX Runtime CPU session over a serialized graph (on the shared CPU arena)."""
    import onnxruntime as ort

    _register_shared_arena()
    options = ort.SessionOptions()
    options.add_session_config_entry("session.use_env_allocators", "1")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    # Between forward passes the decoder (Python) needs the cores; spinning workers would
    # take them from it.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # ONNX Runtime's memory patterns pre-plan one buffer per input shape and keep it; with
    # batches of many widths, overlapping on two cores, they held 100 MB more at the peak
    # (1 MB input: 640 MB with, 534 MB without, same speed).
    options.enable_mem_pattern = False
    return ort.InferenceSession(
        graph,
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=DISABLED_OPTIMIZERS,
    )


class OnnxBackend:
    """The three forward passes as ONNX Runtime sessions (CPU).

    Args:
        folder: The ONNX export folder (graphs and ``manifest.json``).
        manifest: The parsed manifest.
        threads: Intra-op threads per session (default: ONNX Runtime's choice, one per core).
        onnx_compute: How the int8-weight matrix products compute (:data:`ONNX_COMPUTE`).
        solo_threads: Intra-op threads of the :data:`SOLO_GRAPHS` sessions used inside
            :meth:`alone` (``None``: no such sessions; :meth:`alone` changes nothing).

    Attributes:
        compute: The compute mode in use, ``"int8"`` or ``"fp32"``.
    """

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        threads: int | None = None,
        onnx_compute: str = "auto",
        solo_threads: int | None = None,
    ):
        self.sessions: dict[str, Any] = {}
        self.solo_sessions: dict[str, Any] = {}
        self._local = threading.local()
        self.has_speakers = bool(manifest.get("speaker_head", False))
        self.compute = resolve_compute(onnx_compute)
        for name in graph_files(manifest):
            path = folder / name
            graph = path.read_bytes()
            if self.compute != "int8" and name in SWITCHED_GRAPHS:  # int8: as exported
                try:
                    graph = with_accuracy_level(graph, ACCURACY_LEVELS[self.compute])
                except ValueError as err:
                    raise ModelFilesError(
                        f"{path}: cannot switch its matrix products to {self.compute} ({err}); "
                        "load it with onnx_compute='int8'"
                    ) from err
            try:
                self.sessions[name] = _session(graph, threads)
                if solo_threads and name in SOLO_GRAPHS:
                    self.solo_sessions[name] = _session(graph, solo_threads)
            except Exception as err:  # onnxruntime raises its own (unexported) error types
                raise ModelFilesError(f"{path} cannot be loaded by onnxruntime: {err}") from err

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        """Within this block, the calling thread's passes use the solo sessions (all cores):
        for a pass that no other pass of the call overlaps. Results are the same either way
        (each output is computed by one thread, in the same order, whatever the thread count)."""
        before = getattr(self._local, "alone", False)
        self._local.alone = True
        try:
            yield
        finally:
            self._local.alone = before

    def _run(self, name: str, feeds: dict[str, np.ndarray]) -> list[Any]:
        solo = self.solo_sessions.get(name) if getattr(self._local, "alone", False) else None
        return (solo or self.sessions[name]).run(None, feeds)

    def encode(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[Any, np.ndarray]:
        """Encoder states and cue-tag probabilities."""
        states, cue_probs = self._run(
            ENCODER_FILE, {"input_ids": input_ids, "attention_mask": attention_mask}
        )
        return states, cue_probs

    def read_cues(
        self,
        states: Any,
        attention_mask: np.ndarray,
        pair_window: np.ndarray,
        pair_cue_mask: np.ndarray,
    ) -> tuple[Any, np.ndarray]:
        """Cue-conditioned states and role-tag probabilities."""
        pair_states, role_probs = self._run(
            ROLES_FILE,
            {
                "states": states,
                "attention_mask": attention_mask,
                "pair_window": pair_window.astype(np.int64),
                "pair_cue_mask": pair_cue_mask,
            },
        )
        return pair_states, role_probs

    def classify_stance(
        self,
        pair_states: Any,
        pair_cue_mask: np.ndarray,
        item_pair: np.ndarray,
        item_content_mask: np.ndarray,
    ) -> np.ndarray:
        """Stance probabilities of (pair, content) items."""
        (probs,) = self.sessions[STANCE_FILE].run(
            None,
            {
                "pair_states": pair_states,
                "pair_cue_mask": pair_cue_mask,
                "item_pair": even_rows(item_pair.astype(np.int64)),
                "item_content_mask": even_rows(item_content_mask),
            },
        )
        return probs[: len(item_pair)]

    def tag_mentions(self, states: Any) -> np.ndarray:
        """Speaker-mention tag probabilities."""
        (probs,) = self.sessions[MENTIONS_FILE].run(None, {"states": states})
        return probs

    def pool(self, states: Any, rows: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """Mean encoder states of token ranges (numpy)."""
        weights = masks.astype(np.float32)
        summed = np.einsum("nt,nth->nh", weights, states[rows])
        return summed / np.maximum(weights.sum(axis=1, keepdims=True), 1.0)

    def score_speakers(
        self, anchors: np.ndarray, candidates: np.ndarray, buckets: np.ndarray
    ) -> np.ndarray:
        """Mention-ranking logits (never named, the source itself, then the candidates)."""
        (logits,) = self.sessions[SPEAKERS_FILE].run(
            None,
            {
                "anchors": even_rows(anchors.astype(np.float32)),
                "candidates": even_rows(candidates.astype(np.float32)),
                "buckets": even_rows(even_rows(buckets.astype(np.int64)), axis=1),
            },
        )
        return logits[: len(anchors), : len(candidates) + 2]


def graph_files(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The graphs an export has: three, plus two for models with a speaker head."""
    extra = (MENTIONS_FILE, SPEAKERS_FILE) if manifest.get("speaker_head") else ()
    return (ENCODER_FILE, ROLES_FILE, STANCE_FILE, *extra)


def read_manifest(model_folder: Path) -> tuple[Path, dict[str, Any]]:
    """The ONNX folder and its manifest, after checking every file it names.

    Raises:
        ModelFilesError: the export is missing, damaged, or stale (made from other weights).
    """
    model_folder = Path(model_folder)
    folder = onnx_folder(model_folder)
    fix = "re-export it with `" + EXPORT_COMMAND.format(model=model_folder, output=folder) + "`"
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ModelFilesError(
            f"{model_folder} has no ONNX export ({path} is missing): {fix}, or load it with "
            "backend='torch'"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = dict(manifest["files"])
        labels, window_length = list(manifest["labels"]), int(manifest["window_length"])
        int(manifest["window_overlap"])
    except (ValueError, KeyError, TypeError) as err:
        raise ModelFilesError(f"{path} is not a valid stance ONNX manifest ({err}); {fix}") from err
    if not labels or window_length < 3:
        raise ModelFilesError(f"{path} has no labels or a bad window_length; {fix}")
    for name in graph_files(manifest):
        graph = folder / name
        if not graph.is_file():
            raise ModelFilesError(f"{graph} is missing; {fix}")
        # A checksum catches truncated or edited graphs before onnxruntime parses them.
        if name not in files or file_sha256(graph) != files[name]:
            raise ModelFilesError(f"{graph} is damaged (sha256 differs from {path}); {fix}")
    weights = model_folder / WEIGHTS_NAME
    source = manifest.get("source_weights_sha256")
    if weights.is_file() and source and file_sha256(weights) != source:
        raise ModelFilesError(
            f"the ONNX export in {folder} was made from other weights than {weights} (stale "
            f"after retraining?); {fix}"
        )
    # The stance graph bakes the calibration (temperature and offsets) in: a re-calibrated
    # config.json with an old export would give other scores on each backend.
    config_path = model_folder / "config.json"
    if config_path.is_file():
        try:
            config = json.loads(config_path.read_text())
            labels = len(config.get("labels") or manifest["labels"])
            calibration = {
                "stance_temperature": (float(config.get("stance_temperature", 1.0)), 1.0),
                "stance_offsets": (config.get("stance_offsets") or [0.0] * labels, [0.0] * labels),
            }
        except (ValueError, TypeError, AttributeError) as err:
            raise ModelFilesError(f"{config_path} is not a valid model config ({err})") from err
        for key, (value, default) in calibration.items():
            exported = manifest.get(key, default)
            if value != exported:
                raise ModelFilesError(
                    f"the ONNX export in {folder} was made with another {key} than "
                    f"{config_path} ({exported} vs {value}); {fix}"
                )
    return folder, manifest


def load_onnx_predictor(
    model_folder: Path, threads: int | None = None, onnx_compute: str = "auto"
) -> Predictor:
    """A :class:`stance.decoding.Predictor` over a model folder's ONNX export.

    Args:
        model_folder: A model folder with an ``onnx/`` export.
        threads: Batches run at once, one core each (default: one per usable core).
        onnx_compute: ``"auto"``, ``"int8"`` or ``"fp32"`` (:data:`ONNX_COMPUTE`).

    Raises:
        ModelFilesError: the export or the tokenizer is missing or damaged.

    Example:
        >>> from stance.pipeline import DEFAULT_MODEL_DIR
        >>> predictor = load_onnx_predictor(DEFAULT_MODEL_DIR)
        >>> found = predictor.predict(["Talks could resume by spring, a diplomat said."])
        >>> [s.label for s in found[0]]
        ['speculation']
    """
    folder, manifest = read_manifest(model_folder)
    # The tokenizer is shared with the torch files (one copy in the folder).
    tokenizer_folder = folder if (folder / "tokenizer.json").exists() else Path(model_folder)
    try:
        tokenizer = WordPieceTokenizer.from_folder(tokenizer_folder)
    except FileNotFoundError as err:
        raise ModelFilesError(f"{err}; re-save the model with its tokenizer") from err
    except Exception as err:  # the tokenizers library raises plain Exceptions on bad JSON
        raise ModelFilesError(f"{tokenizer_folder / 'tokenizer.json'} is damaged: {err}") from err
    # One single-threaded pass per core, several batches at once (Predictor's docstring says
    # why): 1.31x the encoder throughput of one pass over two intra-op threads on the 2-core
    # benchmark machine.
    workers = threads or usable_cores()
    return Predictor(
        OnnxBackend(
            folder, manifest, 1, onnx_compute, solo_threads=workers if workers > 1 else None
        ),
        tokenizer,
        manifest["labels"],
        int(manifest["window_length"]),
        int(manifest["window_overlap"]),
        token_budget=TOKEN_BUDGET,
        max_token_budget=MAX_TOKEN_BUDGET,
        workers=workers,
    )
