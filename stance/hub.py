"""Fetching stance models from the Hugging Face Hub, failing fast when offline."""

from __future__ import annotations

import os
import socket
from pathlib import Path

#: File names of pickled weights, which stance never loads (they can run code when unpickled).
PICKLE_SUFFIXES: tuple[str, ...] = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
MODEL_FILES = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "*.md",
    "*.json",
    "onnx/*.onnx",
    "onnx/manifest.json",
]
_HUB_HOST = "huggingface.co"


class ModelNotAvailableError(RuntimeError):
    """A Hub model is neither cached nor downloadable right now."""


def hub_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` asks for no network at all.

    Example:
        >>> import os
        >>> saved = dict(os.environ)
        >>> os.environ["HF_HUB_OFFLINE"] = "yes"
        >>> hub_offline()
        True
        >>> os.environ["HF_HUB_OFFLINE"] = "0"
        >>> hub_offline()
        False
        >>> os.environ.clear(); os.environ.update(saved)
    """
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub (or ``HF_ENDPOINT``) accepts a TCP connection within ``timeout`` s."""
    # A quick TCP probe bounds the wait: without it, huggingface_hub retries for ~25 s.
    endpoint = os.environ.get("HF_ENDPOINT", f"https://{_HUB_HOST}")
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def download(repo_id: str, revision: str | None = None) -> Path:
    """Returns a local folder with the model ``repo_id``, from the cache or the Hub.

    Only safetensors weights, JSON and the tokenizer are fetched (never pickles).

    Raises:
        ModelNotAvailableError: within seconds when the model is not cached and the Hub cannot be
            reached, saying how to get the model.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    how = (
        f"To use '{repo_id}' offline, download it once where the Hub is reachable "
        f"(`huggingface-cli download {repo_id}`) and copy the cache (HF_HOME), or pass a local "
        "folder to stance.load(); stance.load() with no argument uses the bundled default model."
    )
    try:
        return Path(
            snapshot_download(
                repo_id, revision=revision, allow_patterns=MODEL_FILES, local_files_only=True
            )
        )
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        pass
    if hub_offline():
        raise ModelNotAvailableError(
            f"'{repo_id}' is not in the cache and HF_HUB_OFFLINE is set. {how}"
        )
    if not hub_reachable():
        raise ModelNotAvailableError(f"'{repo_id}' is not cached and the Hub is unreachable. {how}")
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=MODEL_FILES))
    except Exception as err:  # the Hub client raises many types; all mean "not available"
        raise ModelNotAvailableError(f"could not download '{repo_id}': {err}. {how}") from err
