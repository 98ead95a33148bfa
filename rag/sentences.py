"""The window and sentence table of a local store: one SQLite file beside Chroma's.

Window and sentence chunks are never searched by nearest neighbour: retrieval reads the
windows of its candidate papers and the evidence step the sentences of the few papers
retrieved, by paper id. In Chroma, any read loads a collection's whole vector index into
memory: the sentence collection added 215 MB of RSS at 10,000 papers (bench/scale.py)
and would add about 2 GB at 100,000. Here a read costs only the rows it reads. Each kind
is its own collection of rows (rag/layout.py, table_name). Vectors are float16 (half the
bytes; cosines move by about 1e-3, far below the gaps between sentences that
rag/compose.py acts on). Each write is one SQLite transaction, so a batch of one kind is
stored whole or not at all. A server store keeps these kinds in Chroma.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

FILE = "sentences.sqlite3"
VECTOR_TYPE = np.float16  # 768 bytes a sentence at 384 dimensions (all-MiniLM-L6-v2)
# SQLite's default cap on `?` parameters is 32,766 (3.32+); one IN (...) stays well under.
IN_BATCH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sentences (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    paper_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (collection, id)
);
CREATE INDEX IF NOT EXISTS sentences_by_paper ON sentences (collection, paper_id, position);
"""


class SentenceRow(NamedTuple):
    id: str
    paper_id: str
    position: int
    text: str
    vector: Sequence[float]


Sentences = dict[str, list[tuple[str, np.ndarray]]]  # paper id -> (text, vector), in order
Passages = dict[str, list[SentenceRow]]  # paper id -> its rows (float32 vectors), in order


class SentenceTable:
    """One collection's rows (a kind's chunks) in the store folder's FILE. The caller holds
    the store lock (rag/lock.py) around every call, as for Chroma: shared to read,
    exclusive to write."""

    def __init__(self, folder: Path, collection: str, create: bool = False) -> None:
        """Without `create`, a missing file is an empty table and is not made (a reader
        of a store written before this file existed)."""
        self.path, self.collection = folder / FILE, collection
        self._con: sqlite3.Connection | None = None
        if create or self.path.exists():
            # check_same_thread off: the chat reads from worker threads; the lock orders them.
            self._con = sqlite3.connect(self.path, check_same_thread=False)
            if create:
                with self._con:
                    self._con.executescript(_SCHEMA)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def write(self, rows: Iterable[SentenceRow]) -> None:
        """Insert or replace these rows in one transaction (a row written twice is the same)."""
        values = [
            (self.collection, r.id, r.paper_id, r.position, r.text, _blob(r.vector))
            for r in rows
        ]
        if not values:
            return
        with self._writable():
            self._con.executemany(
                "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?, ?, ?)", values
            )

    def delete(self, ids: Iterable[str]) -> None:
        """Delete rows by id, in one transaction (a missing id is no error)."""
        if self._con is None:
            return
        with self._writable():
            self._con.executemany(
                "DELETE FROM sentences WHERE collection = ? AND id = ?",
                [(self.collection, cid) for cid in ids],
            )

    def read(self, paper_ids: Sequence[str]) -> Passages:
        """These papers' rows in abstract order, vectors as float32 arrays."""
        out: Passages = {pid: [] for pid in paper_ids}
        if self._con is None:
            return out
        ids = list(dict.fromkeys(paper_ids))
        for i in range(0, len(ids), IN_BATCH):
            chosen = ids[i : i + IN_BATCH]
            rows = self._con.execute(
                "SELECT id, paper_id, position, text, vector FROM sentences WHERE collection = ? "
                f"AND paper_id IN ({','.join('?' * len(chosen))}) ORDER BY paper_id, position",
                [self.collection, *chosen],
            )
            for cid, pid, position, text, blob in rows:
                vector = np.frombuffer(blob, VECTOR_TYPE).astype(np.float32)
                out[pid].append(SentenceRow(cid, pid, position, text, vector))
        return out

    def ids(self) -> dict[str, str]:
        """Chunk id -> paper id, for every row (what ingest compares)."""
        if self._con is None:
            return {}
        query = "SELECT id, paper_id FROM sentences WHERE collection = ?"
        return dict(self._con.execute(query, (self.collection,)))

    def count(self) -> int:
        if self._con is None:
            return 0
        query = "SELECT COUNT(*) FROM sentences WHERE collection = ?"
        return self._con.execute(query, (self.collection,)).fetchone()[0]

    def _writable(self) -> sqlite3.Connection:
        """The connection as a transaction (commit on success, roll back on error)."""
        if self._con is None:
            raise RuntimeError(f"{self.path} was opened for reading only")
        return self._con


def counts(folder: Path) -> dict[str, int]:
    """Rows per collection in a store folder (none when it has no FILE)."""
    path = folder / FILE
    if not path.exists():
        return {}
    con = sqlite3.connect(path)
    try:
        query = "SELECT collection, COUNT(*) FROM sentences GROUP BY collection"
        return dict(con.execute(query))
    finally:
        con.close()


def _blob(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype=VECTOR_TYPE).tobytes()
