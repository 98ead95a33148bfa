"""One store's open Chroma client, collections and tables, and the locking around them.

Every read and write of a store goes through `reading`/`writing`: on a local store they
take the store lock (rag/lock.py), reopen what another process changed since, and turn
Chroma's failures into one-line StoreErrors. A Chroma server needs no lock of ours.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rag.chroma import client, local_folder
from rag.config import Settings
from rag.errors import failures
from rag.layout import MOVED_KINDS, Collections, open_collections, table_name
from rag.lock import StoreLock
from rag.sentences import SentenceTable

# Chroma caps one request at a few thousand records (max_batch_size); stay well under.
WRITE_BATCH = 1000


class Connection:
    """The client, the collections of each kind (rag/layout.py) and, for a local store,
    the SQLite tables of windows and sentences (rag/sentences.py)."""

    def __init__(self, settings: Settings, create: bool, stamp: str) -> None:
        """`stamp`: the embedder a new collection is stamped with."""
        self.settings, self._create, self._stamp = settings, create, stamp
        self.where = settings.chroma_url or settings.store_path
        self.folder = None if settings.chroma_url else local_folder(settings, create)
        self._lock = StoreLock(self.folder) if self.folder else None
        # The chat's threads take turns: flock belongs to the open file, not the thread, so
        # one thread's unlock would end another's read, and a reopen (_catch_up) would close
        # the connections another thread is reading.
        self._turn = threading.RLock()
        self.client = None
        self.cols: Collections | None = None
        self.tables: dict[str, SentenceTable] = {}
        self._generation = -1

    def _open(self) -> None:
        """(Re)open the client: a fresh one sees what other processes wrote."""
        if self.client is not None and self.folder:
            self.client.close()
        for table in self.tables.values():
            table.close()
        with failures(self.where):
            self.client = client(self.settings)
            name = self.settings.collection
            made = MOVED_KINDS if self.folder is None else ()
            self.cols = open_collections(self.client, name, self._create, self._stamp,
                                         self.where, made)  # fmt: skip
            if self.folder is not None:
                self.tables = {
                    kind: SentenceTable(self.folder, table_name(name, kind), self._create)
                    for kind in MOVED_KINDS
                }

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._turn, self._locked_read():
            yield

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._turn, self._locked_write():
            yield

    @contextmanager
    def _locked_read(self) -> Iterator[None]:
        if self._lock is None:
            if self.cols is None:
                self._open()
            with failures(self.where):
                yield
            return
        with self._lock.reading() as generation:
            self._catch_up(generation)
            with failures(self.where):
                yield

    @contextmanager
    def _locked_write(self) -> Iterator[None]:
        if self._lock is None:
            with failures(self.where):
                yield
            return
        with self._lock.writing() as generation:
            self._catch_up(generation)
            with failures(self.where):
                yield
        self._generation += 1  # our own write: no need to reopen for it

    def _catch_up(self, generation: int) -> None:
        if generation != self._generation:
            self._open()
            self._generation = generation

    def generation(self) -> int:
        """How many write batches the local store has seen (0 for a server)."""
        if self._lock is None:
            return 0
        with self._turn, self._lock.reading() as generation:
            return generation

    def in_pages(self, copy: Callable[[int], int]) -> None:
        """Run a copy a page of WRITE_BATCH chunks at a time, each page its own locked write
        (so readers wait for one page at most), until a page comes back short."""
        offset = 0
        while (copied := self._write_page(copy, offset)) == WRITE_BATCH:
            offset += copied

    def _write_page(self, copy: Callable[[int], int], offset: int) -> int:
        with self.writing():
            return copy(offset)

    def close(self) -> None:
        if self._lock:
            self._lock.close()
        for table in self.tables.values():
            table.close()
        if self.client is not None and self.folder:
            self.client.close()
