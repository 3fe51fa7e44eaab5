"""Exceptions that callers catch, importable without torch (``stance.load`` raises them)."""

from __future__ import annotations


class ModelFilesError(RuntimeError):
    """A model folder is missing files or holds damaged ones."""
