"""Errors written for the user: what happened, and what to do about it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


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


# What Chroma's messages say when the store cannot be used, and what to tell the user.
# Seen with chromadb 1.5.9 in tests/integration/test_store.py.
READ_ONLY = ("readonly database", "read-only file system", "permission denied")
DISK_FULL = (  # the last: a write that failed below Chroma, as a full disk made it
    "disk is full", "no space left", "file too large", "disk i/o error",
    "failed to apply logs to the metadata segment",
)
# The last two: SQLite's, for a damaged sentence table (rag/sentences.py).
DAMAGED = ("error finding id", "error executing plan", "error loading hnsw",
           "database disk image is malformed", "file is not a database")  # fmt: skip
SERVER_GONE = ("connect", "connection", "timed out", "server disconnected")


@contextmanager
def failures(where: str) -> Iterator[None]:
    """Turn Chroma's and the OS's failures into one line naming the store and the fix."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if error := _explain(str(exc).lower() or type(exc).__name__.lower(), where):
            raise error from exc
        raise


def _explain(message: str, where: str) -> StoreError | None:
    if where.startswith(("http://", "https://")) and any(w in message for w in SERVER_GONE):
        return StoreError(f"lost the Chroma server at {where} ({message[:80]}); restart "
                          "it (`chroma run --path DIR`) and run the command again")  # fmt: skip
    if any(w in message for w in READ_ONLY):
        return StoreError(f"the store at {where} is read-only, and Chroma needs to write "
                          "even to search it: make it writable, or copy it and give "
                          "--store the copy")  # fmt: skip
    if any(w in message for w in DISK_FULL):
        return StoreError(f"cannot write to the store at {where} (disk full or failing): "
                          "free some space and run the command again; what was stored "
                          "is kept")  # fmt: skip
    if any(w in message for w in DAMAGED):
        return StoreError(f"the store at {where} is damaged ({message[:80]}): "
                          "run `rag ingest --repair`")  # fmt: skip
    return None
