"""One Chroma collection per kind of chunk, and the upgrade of a store from one collection.

The configured collection (`papers`) holds the abstract chunks, one per paper with its
metadata, so it still lists the corpus; on a server `papers__window` and
`papers__sentence` hold the other kinds (a local store keeps them in a table, below). A
query then needs no filter on the kind: on the seed store (8,837 chunks)
an unfiltered Chroma query took 11 ms against 37-56 ms filtered on the kind, and the
filtered cost grew with the store (bench/scale.py: 977 ms a search at 10,000 papers).

A store written before this keeps every kind in the one collection, each chunk's `kind`
in its metadata. It is read as it is (filtered, as before), and `rag ingest` upgrades it
without embedding again: every chunk is copied, a page at a time, into its kind's
collection, the abstracts into a staged `papers__abstract`; then, in one write, the old
collection is dropped and the staged one renamed. (Deleting the moved chunks from the old
collection instead left its vector index at full size: Chroma only marks deleted vectors,
and at 10,000 papers the 10,000 abstracts kept a 150,000-vector index, +470 MB of RSS.)
An interrupted upgrade is finished by the next ingest; until then reads look in both places.

A local store keeps its window and sentence chunks out of Chroma, in rag/sentences.py's
table (only the abstract views are searched by nearest neighbour): an upgrade copies them
there, and `move_sibling` moves those of a store written with a `papers__window` or
`papers__sentence` collection (then dropped). A server store keeps those collections.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from rag.config import SEPARATOR
from rag.errors import StoreError
from rag.sentences import SentenceRow, SentenceTable

KINDS = ("abstract", "window", "sentence")
MOVED_KINDS = ("window", "sentence")  # the kinds that live beside the configured collection
LAYOUT_KEY, PER_KIND = "layout", "per-kind"  # collection metadata: set once every kind moved


def sibling(name: str, kind: str) -> str:
    """The collection holding the `kind` chunks of collection `name`."""
    return name if kind == "abstract" else f"{name}{SEPARATOR}{kind}"


def table_name(name: str, kind: str) -> str:
    """The table collection holding a local store's `kind` chunks of collection `name`:
    the sentences keep the plain name they were first stored under."""
    return name if kind == "sentence" else sibling(name, kind)


def user_facing(name: str) -> str:
    """The collection a Chroma collection belongs to (itself unless it is a sibling)."""
    return name.split(SEPARATOR)[0]


def both(*filters: dict | None) -> dict | None:
    """Chroma's `where` keeping what every given filter keeps (None: no filter)."""
    kept = [f for f in filters if f]
    return None if not kept else kept[0] if len(kept) == 1 else {"$and": kept}


@dataclass
class Collections:
    """The open collections of one corpus. `per_kind` is False for a store not yet upgraded;
    `staged` is where an upgrade copies the abstracts to."""

    main: object
    siblings: dict[str, object] = field(default_factory=dict)
    per_kind: bool = True
    staged: object = None

    def all(self) -> list:
        return [self.main, *self.siblings.values()]

    def sources(self, kind: str) -> list[tuple[object, dict | None]]:
        """Where the chunks of `kind` are: (collection, the filter that picks them there)."""
        if kind == "abstract":
            return [(self.main, None if self.per_kind else {"kind": "abstract"})]
        here = [(self.siblings[kind], None)] if kind in self.siblings else []
        return here if self.per_kind else [(self.main, {"kind": kind}), *here]

    def target(self, kind: str, where: str):
        """The collection new chunks of `kind` are written to."""
        if kind == "abstract":
            return self.main
        if kind not in self.siblings or not self.per_kind:
            raise StoreError(f"the store at {where} has the old layout (one collection for "
                             "every kind of chunk): run `rag ingest` to upgrade it")  # fmt: skip
        return self.siblings[kind]


def open_collections(
    client, name: str, create: bool, stamp: str, where: str, made: tuple[str, ...] = MOVED_KINDS
) -> Collections:
    """The corpus `name`'s collections; with `create`, any of the `made` kinds' that are
    missing are made (a local store makes no window or sentence collection, but reads an
    old one)."""
    from chromadb.errors import NotFoundError

    def get(full_name: str):
        try:
            return client.get_collection(full_name, embedding_function=None)
        except NotFoundError:
            return None

    def make(full_name: str, embedder: str):
        meta = {"hnsw:space": "cosine", "embedder": embedder}
        if full_name in (name, staged_name):
            meta[LAYOUT_KEY] = PER_KIND  # a new store starts with the new layout
        return client.get_or_create_collection(full_name, embedding_function=None, metadata=meta)

    staged_name = f"{name}{SEPARATOR}abstract"
    main = get(name)
    if main is None and (staged := get(staged_name)) is not None:
        main = staged  # an upgrade stopped between dropping the old collection and renaming
        if create:
            main.modify(name=name)
    if main is None and not create:
        raise StoreError(f"no collection {name!r} in {where}: run `rag ingest` first")
    main = main or make(name, stamp)
    embedder = (main.metadata or {}).get("embedder") or stamp
    cols = Collections(main, per_kind=(main.metadata or {}).get(LAYOUT_KEY) == PER_KIND)
    for kind in MOVED_KINDS:
        full_name = sibling(name, kind)
        col = make(full_name, embedder) if create and kind in made else get(full_name)
        if col is not None:
            cols.siblings[kind] = col
    if create and not cols.per_kind:
        cols.staged = make(staged_name, embedder)
    return cols


def copy_page(
    cols: Collections, offset: int, size: int, tables: dict[str, SentenceTable]
) -> int:
    """Copy a page of the old collection's chunks into their kinds' collections, or into
    their kinds' `tables` (a local store) (upsert: a page copied twice after an
    interruption is the same). Returns how many were read."""
    got = cols.main.get(
        offset=offset, limit=size, include=["embeddings", "documents", "metadatas"]
    )
    by_kind: dict[str, list[int]] = {}
    for i, meta in enumerate(got["metadatas"]):
        by_kind.setdefault(meta["kind"], []).append(i)
    for kind, rows in by_kind.items():
        if kind in tables:
            tables[kind].write(sentence_rows(got, rows))
            continue
        target = cols.staged if kind == "abstract" else cols.siblings[kind]
        target.upsert(
            ids=[got["ids"][i] for i in rows],
            embeddings=[got["embeddings"][i] for i in rows],
            documents=[got["documents"][i] for i in rows],
            metadatas=[got["metadatas"][i] for i in rows],
        )
    return len(got["ids"])


def swap_in(client, cols: Collections, folder: Path | None) -> None:
    """Drop the old collection and give its name to the staged one (every chunk copied)."""
    name = cols.main.name
    drop(client, cols.main, folder)
    cols.staged.modify(name=name)
    cols.main, cols.staged, cols.per_kind = cols.staged, None, True


def move_sibling(
    cols: Collections, kind: str, offset: int, size: int, table: SentenceTable
) -> int:
    """Copy a page of the Chroma collection of `kind` into `table` (its vectors as they are:
    nothing is embedded). Returns how many were read; the collection is dropped after."""
    got = cols.siblings[kind].get(
        offset=offset, limit=size, include=["embeddings", "documents", "metadatas"]
    )
    table.write(sentence_rows(got, range(len(got["ids"]))))
    return len(got["ids"])


def drop_sibling(client, cols: Collections, kind: str, folder: Path | None) -> None:
    """Drop the Chroma collection of `kind` once `move_sibling` has copied every row."""
    drop(client, cols.siblings.pop(kind), folder)


def drop(client, col, folder: Path | None) -> None:
    """Delete a collection and, in a local store's `folder`, the vector-index folders Chroma
    leaves behind: its delete_collection removes only the SQLite rows (chroma-core/chroma
    #5520, open for the pinned 1.5), which would keep a dropped window index on disk
    (hundreds of MB at 100,000 papers)."""
    left = [] if folder is None else [folder / seg for seg in _segments(folder, str(col.id))]
    client.delete_collection(col.name)
    for path in left:
        if path.is_dir():
            shutil.rmtree(path)


def _segments(folder: Path, collection_id: str) -> list[str]:
    """The segment ids of a collection, read from the store's Chroma SQLite file."""
    with closing(sqlite3.connect(folder / "chroma.sqlite3")) as con:
        rows = con.execute("SELECT id FROM segments WHERE collection = ?", (collection_id,))
        return [seg for (seg,) in rows]


def sentence_rows(got: dict, rows) -> list[SentenceRow]:
    """The rows at these indexes of a Chroma `get` (with embeddings, documents, metadatas)."""
    return [
        SentenceRow(
            got["ids"][i],
            got["metadatas"][i]["paper_id"],
            got["metadatas"][i]["position"],
            got["documents"][i],
            got["embeddings"][i],
        )
        for i in rows
    ]
