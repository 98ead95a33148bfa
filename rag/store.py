"""The Chroma store: chunks with their vectors and paper metadata.

Local (PersistentClient at a path) by default; a Chroma server (`chroma run`) when
`chroma_url` is set, so many users can share one store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from rag.config import Settings
from rag.errors import StoreError
from rag.types import Chunk, Listing, Paper


@dataclass(frozen=True)
class StoredChunk:
    id: str
    paper_id: str
    text: str
    distance: float = 0.0


def _client(settings: Settings, create: bool):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises several kinds when the server is down
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_url} ({exc}); "
                "start it with `chroma run --path DIR` or unset RAG_CHROMA_URL"
            ) from None
    path = Path(settings.store_path)
    if not create and not path.exists():
        raise StoreError(f"no store at {path}: run `rag ingest` first")
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class Store:
    """Chunks keyed by content hash; each chunk's metadata carries its paper."""

    def __init__(self, settings: Settings, create: bool = False, embedder_name: str = "") -> None:
        client = _client(settings, create)
        self.where = settings.chroma_url or settings.store_path
        if create:
            self._col = client.get_or_create_collection(
                settings.collection,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedder": embedder_name},
            )
        else:
            from chromadb.errors import NotFoundError

            try:
                self._col = client.get_collection(settings.collection, embedding_function=None)
            except NotFoundError:
                raise StoreError(
                    f"no collection {settings.collection!r} in {self.where}: run `rag ingest` first"
                ) from None
        self.embedder_name = (self._col.metadata or {}).get("embedder", "")
        if embedder_name:
            self.check_embedder(embedder_name)

    def check_embedder(self, name: str) -> None:
        """Vectors from two embedders cannot be compared: refuse to mix them."""
        if self.embedder_name and self.embedder_name != name:
            raise StoreError(
                f"the store at {self.where} was built with embedder {self.embedder_name!r}, "
                f"not {name!r}: use the same RAG_EMBEDDER or ingest into a new --store"
            )

    def count(self) -> int:
        return self._col.count()

    def add(
        self, chunks: list[Chunk], papers: dict[str, Paper], vectors: list[list[float]]
    ) -> None:
        self._col.upsert(
            ids=[c.id for c in chunks],
            embeddings=vectors,
            documents=[c.text for c in chunks],
            metadatas=[_metadata(c, papers[c.paper_id]) for c in chunks],
        )

    def update_metadata(self, chunks: list[Chunk], papers: dict[str, Paper]) -> None:
        """Refresh paper metadata (new listings) without re-embedding."""
        for batch in _batches(chunks):
            self._col.update(
                ids=[c.id for c in batch],
                metadatas=[_metadata(c, papers[c.paper_id]) for c in batch],
            )

    def delete(self, ids: Iterable[str]) -> None:
        for batch in _batches(list(ids)):
            self._col.delete(ids=batch)

    def papers(self) -> dict[str, tuple[Paper, str]]:
        """Every paper, rebuilt from its abstract chunk, with that chunk's id."""
        got = self._col.get(where={"kind": "abstract"}, include=["documents", "metadatas"])
        return {
            m["paper_id"]: (_paper(m, doc), cid)
            for cid, doc, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def chunk_index(self) -> dict[str, tuple[str, str]]:
        """chunk id -> (paper id, stored listings): what ingest compares against."""
        got = self._col.get(include=["metadatas"])
        return {
            cid: (m["paper_id"], m.get("listings", ""))
            for cid, m in zip(got["ids"], got["metadatas"], strict=True)
        }

    def sentences(self, paper_ids: list[str]) -> dict[str, list[tuple[str, list[float]]]]:
        """Each paper's sentences with their stored vectors, in abstract order."""
        got = self._col.get(
            where={"$and": [{"kind": "sentence"}, {"paper_id": {"$in": paper_ids}}]},
            include=["documents", "metadatas", "embeddings"],
        )
        rows = sorted(
            zip(got["metadatas"], got["documents"], got["embeddings"], strict=True),
            key=lambda r: (r[0]["paper_id"], r[0]["position"]),
        )
        out: dict[str, list[tuple[str, list[float]]]] = {pid: [] for pid in paper_ids}
        for meta, doc, vector in rows:
            out[meta["paper_id"]].append((doc, list(map(float, vector))))
        return out

    def query(self, vector: list[float], n: int, kind: str) -> list[StoredChunk]:
        """Nearest chunks of one kind, with cosine distance."""
        n = min(n, self.count())
        if n == 0:
            return []
        got = self._col.query(
            query_embeddings=[vector],
            n_results=n,
            where={"kind": kind},
            include=["documents", "metadatas", "distances"],
        )
        return [
            StoredChunk(cid, m["paper_id"], doc, dist)
            for cid, doc, m, dist in zip(
                got["ids"][0],
                got["documents"][0],
                got["metadatas"][0],
                got["distances"][0],
                strict=True,
            )
        ]


# Chroma caps one request at a few thousand records (max_batch_size); stay well under.
WRITE_BATCH = 1000


def _batches(items: list) -> Iterable[list]:
    for i in range(0, len(items), WRITE_BATCH):
        yield items[i : i + WRITE_BATCH]


def _metadata(chunk: Chunk, paper: Paper) -> dict:
    return {
        "paper_id": paper.id,
        "title": paper.title,
        "kind": chunk.kind,
        "position": chunk.position,
        "listings": listings_json(paper),
        "extra": json.dumps(paper.metadata),
    }


def listings_json(paper: Paper) -> str:
    return json.dumps([[x.source, x.date] for x in paper.listings])


def parse_listings(text: str) -> tuple[Listing, ...]:
    return tuple(Listing(src, date) for src, date in json.loads(text))


def _paper(meta: dict, abstract: str) -> Paper:
    listings = parse_listings(meta["listings"])
    return Paper(meta["paper_id"], meta["title"], abstract, listings, json.loads(meta["extra"]))
