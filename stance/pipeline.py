"""The public API: :func:`load` a model and :func:`predict` statements."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, overload

from stance.types import Statement

#: Folder of the model bundled with the package.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
#: The backends :func:`load` accepts.
BACKENDS: tuple[str, ...] = ("onnx", "torch")

# Lone surrogates are legal in a Python str (e.g. from `errors="surrogateescape"` decoding) but
# the Rust tokenizer rejects them; one U+FFFD per surrogate keeps every offset unchanged.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class StancePipeline:
    """A loaded model, ready to predict. Create it with :func:`stance.load`.

    Example:
        >>> import stance
        >>> nlp = stance.load()
        >>> [s.label for s in nlp.predict("Rates could rise in May, analysts said.")]
        ['speculation']
    """

    def __init__(self, predictor: Any, name: str, backend: str = "torch"):
        self._predictor = predictor
        self.name = name
        self.backend = backend

    @property
    def model(self) -> Any:
        """The underlying :class:`stance.modeling.StanceModel` (torch backend only).

        Raises:
            AttributeError: with the ONNX backend, which has no torch model.
        """
        if self.backend != "torch":
            raise AttributeError(
                "the onnx backend has no torch model: load with stance.load(..., backend='torch')"
            )
        return self._predictor.model

    @property
    def onnx_compute(self) -> str | None:
        """How the onnx backend's matrix products compute here (``"int8"`` or ``"fp32"``,
        after ``"auto"`` is resolved for the CPU); ``None`` with the torch backend."""
        return getattr(self._predictor.backend, "compute", None) if self.backend == "onnx" else None

    @property
    def tokenizer(self) -> Any:
        """The tokenizer (a private copy for the calling thread)."""
        return self._predictor.tokenizer

    @overload
    def predict(self, inputs: str, batch_size: int | None = ...) -> list[Statement]: ...

    @overload
    def predict(
        self, inputs: Iterable[str], batch_size: int | None = ...
    ) -> list[list[Statement]]: ...

    def predict(self, inputs: Any, batch_size: int | None = None) -> Any:
        """Finds attributed statements and their stance.

        Windows of similar length are packed into forward passes of at most ``batch_size *
        256`` tokens (many short windows, or ``batch_size`` full ones). Results do not depend on
        ``batch_size`` or on which other texts are in ``inputs``.

        Args:
            inputs: A text, a list of texts, or a ``datasets.Dataset`` with a ``text`` column.
            batch_size: Full-length windows (256 tokens each) per forward pass; ``None``: the
                backend's default (4 for onnx, where small batches are as fast and use less
                memory, which also caps passes at 16 windows; 32 for torch).

        Returns:
            For one text, its statements sorted by content start then cue start; for several,
            one such list per text. Empty or whitespace-only texts give ``[]``.

        Raises:
            TypeError: if a text is not a string.
            ValueError: if ``batch_size`` is not a positive integer.
        """
        if batch_size is not None and (
            not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        single = isinstance(inputs, str)
        texts = [inputs] if single else _texts(inputs)
        results: list[list[Statement]] = [[] for _ in texts]
        busy = [i for i, text in enumerate(texts) if text.strip()]
        if busy:
            readable = [_LONE_SURROGATE.sub("\ufffd", texts[i]) for i in busy]
            found = self._predictor.predict(readable, batch_size=batch_size)
            for i, clean, statements in zip(busy, readable, found, strict=True):
                results[i] = (
                    statements
                    if clean is texts[i] or clean == texts[i]
                    else [_with_text(s, texts[i]) for s in statements]
                )
        return results[0] if single else results


def _with_text(statement: Statement, text: str) -> Statement:
    """The statement with its span texts taken from ``text`` (same offsets)."""

    def span(value: Any) -> Any:
        return (
            None
            if value is None
            else dataclasses.replace(value, text=text[value.start : value.end])
        )

    return dataclasses.replace(
        statement,
        source=span(statement.source),
        cue=span(statement.cue),
        content=span(statement.content),
        source_description=span(statement.source_description),
    )


def _texts(inputs: Any) -> list[str]:
    if hasattr(inputs, "column_names") and hasattr(inputs, "features"):  # datasets.Dataset
        if "text" not in inputs.column_names:
            raise ValueError(
                f"the Dataset has no 'text' column (columns: {inputs.column_names}); "
                "rename yours with dataset.rename_column(name, 'text')"
            )
        inputs = inputs["text"]
    if isinstance(inputs, bytes):
        raise TypeError(
            "predict() takes str, not bytes: decode it first, e.g. data.decode('utf-8')"
        )
    if not isinstance(inputs, Iterable):
        raise TypeError(
            "predict() takes a str, a list of str or a datasets.Dataset, "
            f"not {type(inputs).__name__}"
        )
    texts = list(inputs)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text {i} is a {type(text).__name__}, not a str")
    return texts


def load(
    name_or_path: str | Path | None = None,
    revision: str | None = None,
    device: str | None = None,
    backend: str | None = None,
    threads: int | None = None,
    onnx_compute: str = "auto",
) -> StancePipeline:
    """Loads a stance model.

    Args:
        name_or_path: ``None`` for the bundled default model, a local folder, or a Hugging Face
            Hub id ("org/name"), downloaded once and cached by ``huggingface_hub``.
        revision: A Hub branch, tag or commit.
        device: ``"cpu"`` (default) or a torch device such as ``"cuda"`` (torch backend).
        backend: ``"onnx"`` (ONNX Runtime, int8, CPU; needs neither torch nor transformers),
            ``"torch"`` (fp32, any device), or ``None``: onnx when the model folder ships an
            ONNX export (the bundled model does) and no torch device is asked for, else torch.
        threads: CPU cores for the model (default: all usable ones). The onnx backend runs
            that many batches at once, one single-threaded pass per core; the torch backend
            sets torch's process-wide thread count.
        onnx_compute: How the onnx backend's int8-weight matrix products compute: ``"int8"``
            (int8 activations, fastest on CPUs with VNNI), ``"fp32"`` (fp32 activations,
            faster on AVX2-only CPUs) or ``"auto"``: int8 where the CPU has VNNI or AMX, else
            fp32. Both stay batch-independent; the benchmark reports which one ran.

    Returns:
        A :class:`StancePipeline`.

    Raises:
        stance.modeling.ModelFilesError: a folder lacks files or holds damaged ones.
        stance.hub.ModelNotAvailableError: a Hub model is not cached and cannot be fetched.

    Raises:
        ValueError: for an unknown backend, or a torch device with the onnx backend.

    Example:
        >>> nlp = load()
        >>> nlp.name, nlp.backend
        ('default', 'onnx')
        >>> load(backend="torch").backend
        'torch'
    """
    from stance.errors import ModelFilesError

    # The folder is resolved before torch is imported, so a Hub id that cannot be fetched fails
    # within seconds instead of after the heavy imports.
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} or None, got {backend!r}")
    if backend == "onnx" and device not in (None, "cpu"):
        raise ValueError(f"the onnx backend runs on the CPU; use backend='torch' for {device!r}")
    from stance.onnx_backend import check_compute, has_onnx

    check_compute(onnx_compute)  # before any download or model load
    if name_or_path is None:
        folder, name = DEFAULT_MODEL_DIR, "default"
        if not (folder / "config.json").exists():
            raise ModelFilesError(
                f"the bundled default model is missing from {folder}: reinstall stance-hedge "
                "(`pip install --force-reinstall stance-hedge`) or pass a model folder to load()"
            )
    else:
        path = Path(name_or_path).expanduser()
        looks_local = path.exists() or str(name_or_path).startswith((".", "/", "~"))
        if looks_local:
            if not path.is_dir():
                raise ModelFilesError(
                    f"model folder {path} does not exist; train one with `stance train CONFIG` "
                    "or pass a Hub id such as 'org/name'"
                )
            folder, name = path, str(path)
        else:
            from stance.hub import download

            folder, name = download(str(name_or_path), revision), str(name_or_path)
    if backend is None:
        import importlib.util

        # ONNX int8 is the default where it can run: within 0.5 point of torch fp32 on the test
        # split, faster, and as batch-independent (stance.decoding.pad_batch); torch is for
        # other devices and for models exported without ONNX.
        runtime = importlib.util.find_spec("onnxruntime") is not None
        fast = runtime and has_onnx(folder) and device in (None, "cpu")
        backend = "onnx" if fast else "torch"
    if backend == "onnx":
        from stance.onnx_backend import load_onnx_predictor

        predictor = load_onnx_predictor(folder, threads=threads, onnx_compute=onnx_compute)
        return StancePipeline(predictor, name, "onnx")
    try:
        from stance.inference import Predictor
        from stance.modeling import load_folder
    except ImportError as err:
        raise ImportError(
            f"the torch backend needs torch and transformers ({err}): install them with "
            "`pip install 'stance-hedge[torch]'`, or use backend='onnx'"
        ) from err
    from stance.tokenization import WordPieceTokenizer

    if threads:
        import torch

        torch.set_num_threads(threads)
    model = load_folder(folder)
    try:
        tokenizer = WordPieceTokenizer.from_folder(folder)
    except FileNotFoundError as err:
        raise ModelFilesError(f"{err}; re-save the model with its tokenizer") from err
    return StancePipeline(Predictor(model, tokenizer, device or "cpu"), name, "torch")


_default: StancePipeline | None = None
_default_lock = threading.Lock()


def default_pipeline() -> StancePipeline:
    """The bundled model, loaded once per process (thread-safe)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load()
        return _default


@overload
def predict(inputs: str, batch_size: int | None = ...) -> list[Statement]: ...


@overload
def predict(inputs: Sequence[str], batch_size: int | None = ...) -> list[list[Statement]]: ...


def predict(inputs: Any, batch_size: int | None = None) -> Any:
    """Finds attributed statements and their stance with the bundled default model.

    Args:
        inputs: A text, a list of texts, or a ``datasets.Dataset`` with a ``text`` column.
        batch_size: Windows per forward pass.

    Returns:
        ``list[Statement]`` for one text; a list of such lists for several.

    Example:
        >>> import stance
        >>> text = "The ministry denied that troops had crossed the border."
        >>> [(s.source.text, s.cue.text, s.content.text, s.label) for s in stance.predict(text)]
        [('The ministry', 'denied', 'troops had crossed the border', 'denial')]
    """
    return default_pipeline().predict(inputs, batch_size=batch_size)
