"""Errors written for the user: what happened, and what to do about it."""

from __future__ import annotations


class RagError(Exception):
    """Base of every error the faces turn into a one-line message and an exit code."""

    exit_code = 1


class ConfigError(RagError):
    """A setting, flag or config file is invalid."""

    exit_code = 2


class CorpusError(RagError):
    """An input file cannot be read as papers."""


class StoreError(RagError):
    """The store is missing, empty, or was built with another embedder."""

    exit_code = 3


class ModelError(RagError):
    """The GGUF model or embedder cannot be loaded."""

    exit_code = 4
