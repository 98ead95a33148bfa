"""The Chroma store: chunks with their vectors and paper metadata.

Local (PersistentClient at a path) by default; a Chroma server (`chroma run`) when
`chroma_url` is set, so many users can share one store. Each kind of chunk has its own
collection (rag/layout.py), so a search filters on nothing but the user's filters. Only
the abstract views are searched by nearest neighbour; windows and sentences are read by
paper id, for the papers a search considers. A local store keeps those two kinds in a
SQLite table (rag/sentences.py), so their vectors never load into memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.chroma import get_all, get_in
from rag.chunking import is_quick
from rag.config import Settings
from rag.connection import WRITE_BATCH, Connection
from rag.errors import StoreError
from rag.keywords import KeywordIndex
from rag.layout import both, sentence_rows
from rag.records import metadata, paper, paper_texts, stored_signature
from rag.sentences import Passages, SentenceRow, Sentences
from rag.types import Chunk, Paper
from rag.upgrade import upgrade


@dataclass(frozen=True)
class StoredChunk:
    id: str
    paper_id: str
    text: str
    distance: float = 0.0
    paper: Paper | None = None  # an abstract chunk's paper, rebuilt from its metadata


class Store:
    """Chunks keyed by content hash; each chunk's metadata carries its paper. Every read
    and write goes through `db` (rag/connection.py), which locks and reopens."""

    def __init__(
        self,
        settings: Settings,
        create: bool = False,
        embedder_name: str = "",
        report: Callable[[str], None] = lambda line: None,
    ) -> None:
        """With `create`, a missing store is made and an older one upgraded, saying so
        through `report` (rag/upgrade.py)."""
        self.settings = settings
        self.db = db = Connection(settings, create, embedder_name)
        self.where, self.folder = db.where, db.folder
        with db.reading():
            pass
        self.embedder_name = (db.cols.main.metadata or {}).get("embedder", "")
        if embedder_name:
            self.check_embedder(embedder_name)
        if create:
            upgrade(db, report)

    def close(self) -> None:
        self.db.close()

    def check_embedder(self, name: str) -> None:
        """Vectors from two embedders cannot be compared: refuse to mix them."""
        if self.embedder_name and self.embedder_name != name:
            raise StoreError(
                f"the store at {self.where} was built with embedder {self.embedder_name!r}, "
                f"not {name!r}: use the same RAG_EMBEDDER or ingest into a new --store"
            )

    def keywords(self) -> KeywordIndex | None:
        """The keyword index saved with a local store (None for a server or an old store)."""
        if self.folder is None:
            return None
        with self.db.reading():
            return KeywordIndex.load(self.folder)

    def save_keywords(self) -> None:
        """Index every stored paper's words; readers load the new index on their next query."""
        if self.folder is None:
            return
        index = KeywordIndex.build(paper_texts(self.papers()))
        with self.db.writing():
            index.save(self.folder)

    def generation(self) -> int:
        """How many write batches the local store has seen (0 for a server): readers
        compare it to know when what they loaded is stale."""
        return self.db.generation()

    def dimension(self) -> int:
        """Length of the stored vectors (0 when empty)."""
        with self.db.reading():
            got = self.db.cols.main.get(limit=1, include=["embeddings"])
        return len(got["embeddings"][0]) if len(got["embeddings"]) else 0

    def paper_count(self) -> int:
        """Papers stored (one abstract chunk each), without reading them."""
        with self.db.reading():
            ((col, kind),) = self.db.cols.sources("abstract")
            return col.count() if kind is None else len(get_all(col, kind)["ids"])

    def quick_papers(self) -> int:
        """Papers whose abstract is still a quick view (rag/chunking.py): an ingest stopped
        before embedding them whole. Reads ids only."""
        with self.db.reading():
            ((col, kind),) = self.db.cols.sources("abstract")
            return sum(map(is_quick, get_all(col, kind)["ids"]))

    def count(self) -> int:
        """Chunks of every kind (during a move of windows or sentences out of Chroma, some
        twice)."""
        with self.db.reading():
            in_tables = sum(table.count() for table in self.db.tables.values())
            return in_tables + sum(col.count() for col in self.db.cols.all())

    def add(
        self,
        chunks: list[Chunk],
        papers: dict[str, Paper],
        vectors: list[list[float]],
        replacing: Sequence[str] = (),
    ) -> None:
        """Write chunks with their vectors, each kind into its collection (a local store's
        windows and sentences into their tables, last: a transaction each, after Chroma
        took the rest), in one batch under the write lock, deleting the abstract chunks
        they replace (quick views) in the same write, so a reader never finds a paper twice."""
        with self.db.writing():
            if replacing:
                self.db.cols.main.delete(ids=list(replacing))
            by_kind = _by_kind(list(zip(chunks, vectors, strict=True)))
            in_tables = {kind: by_kind.pop(kind, []) for kind in self.db.tables}
            for kind, rows in by_kind.items():
                self.db.cols.target(kind, self.where).upsert(
                    ids=[c.id for c, _ in rows],
                    embeddings=[v for _, v in rows],
                    documents=[c.text for c, _ in rows],
                    metadatas=[metadata(c, papers[c.paper_id]) for c, _ in rows],
                )
            for kind, rows in in_tables.items():
                self.db.tables[kind].write(
                    SentenceRow(c.id, c.paper_id, c.position, c.text, v) for c, v in rows
                )

    def update_metadata(self, chunks: list[Chunk], papers: dict[str, Paper]) -> None:
        """Refresh paper metadata (new listings) without re-embedding. A local store's
        table rows carry no paper metadata: nothing to refresh."""
        chunks = [c for c in chunks if c.kind not in self.db.tables]
        for batch in _batches(chunks):
            with self.db.writing():
                for kind, rows in _by_kind([(c, None) for c in batch]).items():
                    self.db.cols.target(kind, self.where).update(
                        ids=[c.id for c, _ in rows],
                        metadatas=[metadata(c, papers[c.paper_id]) for c, _ in rows],
                    )

    def delete(self, ids: Iterable[str]) -> None:
        """Delete chunks by id, whatever their kind (a missing id is no error)."""
        for batch in _batches(list(ids)):
            with self.db.writing():
                for col in self.db.cols.all():
                    col.delete(ids=batch)
                for table in self.db.tables.values():
                    table.delete(batch)

    def papers(
        self, ids: list[str] | None = None, where: dict | None = None
    ) -> dict[str, tuple[Paper, str]]:
        """Papers rebuilt from their abstract chunks, with that chunk's id: these `ids`
        (or every paper) that `where` keeps."""
        if ids is not None and not ids:
            return {}
        include = ("documents", "metadatas")
        with self.db.reading():
            ((col, kind),) = self.db.cols.sources("abstract")
            kept = both(kind, where)
            got = (get_all(col, kept, include) if ids is None
                   else get_in(col, "paper_id", ids, kept, include))  # fmt: skip
        return {
            m["paper_id"]: (paper(m, doc), cid)
            for cid, doc, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def chunk_index(self) -> dict[str, tuple[str, str, str]]:
        """chunk id -> (paper id, stored listings, metadata signature): what ingest compares.
        A row in a table takes its paper's, from the paper's abstract chunk (a row whose
        paper has none: no listings, and a signature nothing matches)."""
        with self.db.reading():
            gots = [get_all(col, include=["metadatas"]) for col in self.db.cols.all()]
            in_table = {cid: pid for t in self.db.tables.values() for cid, pid in t.ids().items()}
        index = {
            cid: (m["paper_id"], m.get("listings", ""), stored_signature(m))
            for got in gots
            for cid, m in zip(got["ids"], got["metadatas"], strict=True)
        }
        by_paper = {pid: rest for pid, *rest in index.values()}
        orphan = ("[]", "")
        rows = {cid: (pid, *by_paper.get(pid, orphan)) for cid, pid in in_table.items()}
        return rows | index

    def passages(self, kind: str, paper_ids: list[str]) -> Passages:
        """Each paper's chunks of `kind` with their stored vectors (float32 arrays), in
        abstract order: from a local store's table, and from Chroma (the abstracts, a
        server's other kinds, or those of a local store not yet moved)."""
        if not paper_ids:
            return {}
        include = ("documents", "metadatas", "embeddings")
        with self.db.reading():
            table = self.db.tables.get(kind)
            in_table = table.read(paper_ids) if table is not None else {}
            gots = [get_in(col, "paper_id", paper_ids, kept, include)
                    for col, kept in self.db.cols.sources(kind)]  # fmt: skip
        found = {  # by id: an interrupted upgrade may have left a chunk in two places
            r.id: r for got in gots for r in sentence_rows(got, range(len(got["ids"])))
        }
        out: Passages = {pid: [] for pid in paper_ids}
        for r in sorted(found.values(), key=lambda r: (r.paper_id, r.position)):
            out[r.paper_id].append(r._replace(vector=np.asarray(r.vector, dtype=np.float32)))
        for pid, rows in in_table.items():
            out[pid] = out[pid] or rows  # moved whole, or not yet: one place holds them all
        return out

    def sentences(self, paper_ids: list[str]) -> Sentences:
        """Each paper's sentences with their vectors, in abstract order (the evidence)."""
        return {
            pid: [(r.text, r.vector) for r in rows]
            for pid, rows in self.passages("sentence", paper_ids).items()
        }

    def query(
        self, vector: list[float], n: int, kind: str, where: dict | None = None
    ) -> list[StoredChunk]:
        """Nearest chunks of one kind (of the papers `where` keeps), with cosine distance,
        abstract chunks with their paper (the search shows them without reading again).
        Only `where` filters the query (None: no filter, the fast path); an empty
        collection or one smaller than n answers with what it has."""
        with self.db.reading():
            gots = [
                col.query(
                    query_embeddings=[vector],
                    n_results=n,
                    where=both(kinds, where),
                    include=["documents", "metadatas", "distances"],
                )
                for col, kinds in self.db.cols.sources(kind)
            ]
        found = {
            cid: StoredChunk(
                cid, m["paper_id"], doc, dist, paper(m, doc) if kind == "abstract" else None
            )
            for got in gots
            for cid, doc, m, dist in zip(
                got["ids"][0],
                got["documents"][0],
                got["metadatas"][0],
                got["distances"][0],
                strict=True,
            )
        }
        return sorted(found.values(), key=lambda c: c.distance)[:n]


def _by_kind(rows: list[tuple[Chunk, object]]) -> dict[str, list[tuple[Chunk, object]]]:
    out: dict[str, list[tuple[Chunk, object]]] = {}
    for row in rows:
        out.setdefault(row[0].kind, []).append(row)
    return out


def _batches(items: list) -> Iterable[list]:
    for i in range(0, len(items), WRITE_BATCH):
        yield items[i : i + WRITE_BATCH]
