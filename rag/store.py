"""The Chroma store: chunks with their vectors and paper metadata.

Local (PersistentClient at a path) by default; a Chroma server (`chroma run`) when
`chroma_url` is set, so many users can share one store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from rag.config import Settings
from rag.errors import StoreError, failures
from rag.keywords import KeywordIndex
from rag.lock import StoreLock, ingest_lock
from rag.records import metadata, paper, paper_texts, stored_signature
from rag.types import Chunk, Paper


@dataclass(frozen=True)
class StoredChunk:
    id: str
    paper_id: str
    text: str
    distance: float = 0.0


def _client(settings: Settings):
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
    return chromadb.PersistentClient(path=settings.store_path, settings=chroma_settings)


def _local_folder(settings: Settings, create: bool) -> Path:
    """The local store folder, checked before Chroma sees it (Chroma's errors are tracebacks)."""
    path = Path(settings.store_path)
    try:
        path.exists()
    except PermissionError:
        raise StoreError(
            f"no permission to open the store folder {path}: "
            "ask its owner for access, or give --store another folder"
        ) from None
    if path.exists() and not path.is_dir():
        raise StoreError(f"the store path {path} is a file, not a folder: give --store a folder")
    if not path.exists():
        if not create:
            raise StoreError(f"no store at {path}: run `rag ingest` first")
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {path} ({exc.strerror}): "
                             "give --store a folder you can write") from None  # fmt: skip
    return path


def collections(settings: Settings) -> list[tuple[str, int, str]]:
    """(name, chunks, embedder) of each collection in the store."""
    if not settings.chroma_url:
        _local_folder(settings, create=False)
    with failures(settings.chroma_url or settings.store_path):
        client = _client(settings)
        return [
            (c.name, c.count(), (c.metadata or {}).get("embedder", ""))
            for c in client.list_collections()
        ]


@contextmanager
def one_writer(settings: Settings, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold for a whole ingest: one writer per local store (a Chroma server orders its own)."""
    if settings.chroma_url:
        yield
        return
    folder = _local_folder(settings, create=True)
    with ExitStack() as stack:
        with failures(str(folder)):
            stack.enter_context(ingest_lock(folder, waiting))
        yield


class Store:
    """Chunks keyed by content hash; each chunk's metadata carries its paper.

    Every read and write goes through `_reading`/`_writing`: on a local store they take
    the store lock (rag/lock.py) and turn Chroma's failures into one-line StoreErrors.
    """

    def __init__(self, settings: Settings, create: bool = False, embedder_name: str = "") -> None:
        self.settings, self._create = settings, create
        self.where = settings.chroma_url or settings.store_path
        self.folder = None if settings.chroma_url else _local_folder(settings, create)
        self._lock = StoreLock(self.folder) if self.folder else None
        self._stamp = embedder_name  # the embedder a new collection is stamped with
        self._client = self._col = None
        self._generation = -1
        with self._reading():
            pass
        self.embedder_name = (self._col.metadata or {}).get("embedder", "")
        if embedder_name:
            self.check_embedder(embedder_name)

    def _open(self) -> None:
        """(Re)open the client: a fresh one sees what other processes wrote."""
        if self._client is not None and self.folder:
            self._client.close()
        with failures(self.where):
            self._client = _client(self.settings)
            self._col = self._collection(self._client)

    def _collection(self, client):
        from chromadb.errors import NotFoundError

        name = self.settings.collection
        if self._create:
            return client.get_or_create_collection(
                name,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedder": self._stamp},
            )
        try:
            return client.get_collection(name, embedding_function=None)
        except NotFoundError:
            raise StoreError(
                f"no collection {name!r} in {self.where}: run `rag ingest` first"
            ) from None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        if self._lock is None:
            if self._col is None:
                self._open()
            with failures(self.where):
                yield
            return
        with self._lock.reading() as generation:
            self._catch_up(generation)
            with failures(self.where):
                yield

    @contextmanager
    def _writing(self) -> Iterator[None]:
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

    def close(self) -> None:
        if self._lock:
            self._lock.close()
        if self._client is not None and self.folder:
            self._client.close()

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
        with self._reading():
            return KeywordIndex.load(self.folder)

    def save_keywords(self) -> None:
        """Index every stored paper's words; readers load the new index on their next query."""
        if self.folder is None:
            return
        index = KeywordIndex.build(paper_texts(self.papers()))
        with self._writing():
            index.save(self.folder)

    def generation(self) -> int:
        """How many write batches the local store has seen (0 for a server): readers
        compare it to know when what they loaded is stale."""
        if self._lock is None:
            return 0
        with self._lock.reading() as generation:
            return generation

    def dimension(self) -> int:
        """Length of the stored vectors (0 when empty)."""
        with self._reading():
            got = self._col.get(limit=1, include=["embeddings"])
        return len(got["embeddings"][0]) if len(got["embeddings"]) else 0

    def count(self) -> int:
        with self._reading():
            return self._col.count()

    def add(
        self, chunks: list[Chunk], papers: dict[str, Paper], vectors: list[list[float]]
    ) -> None:
        with self._writing():
            self._col.upsert(
                ids=[c.id for c in chunks],
                embeddings=vectors,
                documents=[c.text for c in chunks],
                metadatas=[metadata(c, papers[c.paper_id]) for c in chunks],
            )

    def update_metadata(self, chunks: list[Chunk], papers: dict[str, Paper]) -> None:
        """Refresh paper metadata (new listings) without re-embedding."""
        for batch in _batches(chunks):
            with self._writing():
                self._col.update(
                    ids=[c.id for c in batch],
                    metadatas=[metadata(c, papers[c.paper_id]) for c in batch],
                )

    def delete(self, ids: Iterable[str]) -> None:
        for batch in _batches(list(ids)):
            with self._writing():
                self._col.delete(ids=batch)

    def papers(
        self, ids: list[str] | None = None, where: dict | None = None
    ) -> dict[str, tuple[Paper, str]]:
        """Papers rebuilt from their abstract chunks, with that chunk's id: these `ids`
        (or every paper) that `where` keeps."""
        where = _both({"kind": "abstract"}, where)
        if ids is not None:
            if not ids:
                return {}
            where = _both(where, {"paper_id": {"$in": ids}})
        with self._reading():
            got = self._col.get(where=where, include=["documents", "metadatas"])
        return {
            m["paper_id"]: (paper(m, doc), cid)
            for cid, doc, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def chunk_index(self) -> dict[str, tuple[str, str, str]]:
        """chunk id -> (paper id, stored listings, metadata signature): what ingest compares."""
        with self._reading():
            got = self._col.get(include=["metadatas"])
        return {
            cid: (m["paper_id"], m.get("listings", ""), stored_signature(m))
            for cid, m in zip(got["ids"], got["metadatas"], strict=True)
        }

    def sentences(self, paper_ids: list[str]) -> dict[str, list[tuple[str, list[float]]]]:
        """Each paper's sentences with their stored vectors, in abstract order."""
        with self._reading():
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

    def query(
        self, vector: list[float], n: int, kind: str, where: dict | None = None
    ) -> list[StoredChunk]:
        """Nearest chunks of one kind (of the papers `where` keeps), with cosine distance."""
        with self._reading():
            n = min(n, self._col.count())
            if n == 0:
                return []
            got = self._col.query(
                query_embeddings=[vector],
                n_results=n,
                where=_both({"kind": kind}, where),
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


def _both(a: dict, b: dict | None) -> dict:
    return {"$and": [a, b]} if b else a


def _batches(items: list) -> Iterable[list]:
    for i in range(0, len(items), WRITE_BATCH):
        yield items[i : i + WRITE_BATCH]
