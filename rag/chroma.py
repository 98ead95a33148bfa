"""Where a store is: the Chroma client (a local folder or a server), the folder checked
before Chroma sees it, the one-writer lock of an ingest, the corpora a store holds, and
reads of any size."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlparse

from rag.config import Settings
from rag.errors import StoreError, failures
from rag.layout import both, user_facing
from rag.lock import ingest_lock
from rag.sentences import counts as sentence_counts


def client(settings: Settings):
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


def local_folder(settings: Settings, create: bool) -> Path:
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
    """(name, chunks, embedder) of each corpus in the store: a collection with its
    siblings (rag/layout.py) and a local store's table rows (rag/sentences.py), their
    chunks counted together."""
    in_table = {} if settings.chroma_url else sentence_counts(local_folder(settings, False))
    with failures(settings.chroma_url or settings.store_path):
        chroma = client(settings)
        found: dict[str, list] = {}
        for name, n in in_table.items():  # a table collection may be a sibling's name
            found.setdefault(user_facing(name), [0, ""])[0] += n
        for c in chroma.list_collections():
            entry = found.setdefault(user_facing(c.name), [0, ""])
            entry[0] += c.count()
            if c.name == user_facing(c.name):
                entry[1] = (c.metadata or {}).get("embedder", "")
        return [(name, chunks, embedder) for name, (chunks, embedder) in sorted(found.items())]


@contextmanager
def one_writer(settings: Settings, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold for a whole ingest: one writer per local store (a Chroma server orders its own)."""
    if settings.chroma_url:
        yield
        return
    folder = local_folder(settings, create=True)
    with ExitStack() as stack:
        with failures(str(folder)):
            stack.enter_context(ingest_lock(folder, waiting))
        yield


# Chroma binds SQL variables per record it returns with documents or metadata, and SQLite
# allows 32,766: a get of 40,000 records failed "too many SQL variables" (2026-12-03, so
# did a $in of 40,000 ids; the 100,000-paper bench died on it). Reads go by pages.
GET_PAGE = 10_000


def get_all(col, where: dict | None = None, include: Sequence[str] = ()) -> dict[str, list]:
    """Every record `where` keeps, a page at a time: Chroma's get, without its limit."""
    pages = []
    while True:
        got = col.get(where=where, include=list(include), limit=GET_PAGE,
                      offset=GET_PAGE * len(pages))  # fmt: skip
        pages.append(got)
        if len(got["ids"]) < GET_PAGE:
            return _merged(pages, include)


def get_in(
    col, key: str, values: Sequence[str], where: dict | None, include: Sequence[str]
) -> dict[str, list]:
    """The records whose `key` is one of `values` (and that `where` keeps), by pages of
    values."""
    pages = [
        get_all(col, both(where, {key: {"$in": list(values[i : i + GET_PAGE])}}), include)
        for i in range(0, len(values), GET_PAGE)
    ]
    return _merged(pages, include)


def _merged(pages: list[dict], include: Sequence[str]) -> dict[str, list]:
    return {
        field: [x for page in pages for x in (page[field] if page[field] is not None else [])]
        for field in ("ids", *include)
    }
