"""Errors shared by both backends (kept free of torch so the ONNX path can raise them)."""

from __future__ import annotations


class ModelFilesError(RuntimeError):
    """A model folder is missing files or holds damaged ones."""
