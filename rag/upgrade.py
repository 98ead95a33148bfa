"""Bringing an older store to the current layout, at the next `rag ingest`.

Two steps, each copying stored vectors (nothing is embedded again) a page at a time under
the write lock, so readers keep working: a store written with one collection for every
kind of chunk gets one collection per kind (rag/layout.py), and a local store's window and
sentence collections move out of Chroma into their SQLite tables (rag/sentences.py).
Interrupted, either leaves the store readable and the next ingest copies again.
"""

from __future__ import annotations

from collections.abc import Callable

from rag.connection import WRITE_BATCH, Connection
from rag.layout import copy_page, drop_sibling, move_sibling, swap_in
from rag.sentences import FILE as SENTENCE_FILE


def upgrade(db: Connection, report: Callable[[str], None]) -> None:
    """Run whichever steps this store still needs, saying so through `report` (each
    copies every chunk of its kind: minutes on a big store)."""
    if not db.cols.per_kind:
        with db.reading():
            chunks = sum(col.count() for col in db.cols.all())
        report(f"upgrading the store at {db.where} to one collection per kind of chunk "
               f"(copying {chunks} chunks, embedding nothing)")  # fmt: skip
        _per_kind(db)
        report("upgraded")
    for kind in [k for k in db.tables if k in db.cols.siblings]:
        with db.reading():
            moving = db.cols.siblings[kind].count()
        report(f"moving the {kind} vectors of the store at {db.where} out of Chroma into "
               f"{SENTENCE_FILE} (copying {moving} chunks, embedding nothing)")  # fmt: skip
        _move(db, kind)
        report("moved")


def _per_kind(db: Connection) -> None:
    """Copy every chunk into one collection per kind, then swap the new one in."""
    db.in_pages(lambda offset: copy_page(db.cols, offset, WRITE_BATCH, db.tables))
    with db.writing():
        swap_in(db.client, db.cols, db.folder)


def _move(db: Connection, kind: str) -> None:
    """Copy a local store's Chroma collection of `kind` into its table, then drop it.
    Interrupted, reads look in both places and the next ingest copies again (the same
    rows: a row written twice is the same)."""
    db.in_pages(  # the table looked up each page: a reopen replaces it
        lambda offset: move_sibling(db.cols, kind, offset, WRITE_BATCH, db.tables[kind])
    )
    with db.writing():
        drop_sibling(db.client, db.cols, kind, db.folder)
