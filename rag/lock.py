"""Processes sharing one local store take turns: Chroma's local client is not process-safe.

Measured with chromadb 1.5.9 (two real processes, tests/integration/test_store.py):
two writers at once leave a store that fails every query ("Error finding id") or
crashes the process that opens it; a reader during a write fails the same way in most
tries, and keeps failing afterwards, because each client caches the vector index in
memory. So, with `flock` on files inside the store folder (the kernel drops a lock
when its process dies, so a killed ingest never leaves a stale one):

- one ingest at a time: `ingest.lock` is held for a whole run; a second run waits;
- each write batch holds `store.lock` exclusively and every read holds it shared, so a
  reader never meets a half-written batch;
- the writer bumps a generation number in `store.lock` after each batch; a reader that
  sees a new one reopens its client before reading (about 20 ms).
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STORE_LOCK = "store.lock"
INGEST_LOCK = "ingest.lock"


class StoreLock:
    """Shared reads and exclusive writes on one store folder, with a generation number."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STORE_LOCK
        self._fd = _open(self.path)

    @contextmanager
    def reading(self) -> Iterator[int]:
        """Hold the shared lock; yields the generation the store is at."""
        if self._fd is None:  # read-only folder without a lock file: no writer can exist
            yield 0
            return
        fcntl.flock(self._fd, fcntl.LOCK_SH)
        try:
            yield self._generation()
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextmanager
    def writing(self) -> Iterator[int]:
        """Hold the exclusive lock, yielding the generation; readers see the next one."""
        if self._fd is None:
            yield 0
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield self._generation()
        finally:
            os.pwrite(self._fd, str(self._generation() + 1).encode().ljust(20), 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _generation(self) -> int:
        text = os.pread(self._fd, 20, 0).strip()
        return int(text) if text.isdigit() else 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@contextmanager
def ingest_lock(folder: Path, waiting: Callable[[str], None]) -> Iterator[None]:
    """One ingest per store: a second one waits for the first, saying whose turn it is."""
    path = folder / INGEST_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 20, 0).decode(errors="replace").strip() or "?"
            waiting(f"waiting for another ingest into {folder} (process {holder}) to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _open(path: Path) -> int | None:
    """The lock file, created if we may; read-only when the folder is (shared locks work)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
