"""Find a damaged local store and rebuild it from what it still holds.

Chroma keeps each record twice: in SQLite (id, text, metadata) and in a vector index.
Two processes writing at once (before rag/lock.py) left the two out of step: every
filtered query then failed with "Error finding id", or the process opening the store
crashed (a segmentation fault, so no `except` can catch it). Hence:

- `probe` opens the store in a child process and reads every kind of chunk; a crash or
  an error there is the damage, reported in one line, and the caller survives it. Its
  queries are filtered (on the kind, which every chunk carries): with one collection per
  kind a search needs no filter, and an unfiltered query over an index that lost its id
  map still answered (tests/integration/test_store.py), where a filtered one fails. It
  also reads the windows and sentences of the papers found (a local store's from
  rag/sentences.py);
- `recover_papers` reads the papers straight from the SQLite file, read-only, without
  Chroma's vector index, so it works however broken that index is. The rebuild then
  embeds them again: a damaged index cannot be trusted to pair vectors with ids.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from rag.config import Settings
from rag.errors import StoreError
from rag.records import parse_listings
from rag.types import Paper

# Long enough for Chroma to open and query a 100k-paper store on a slow disk.
PROBE_TIMEOUT_S = 120

_PROBE = """
import sys
from rag.config import Settings
from rag.store import Store
try:
    store = Store(Settings(store_path=sys.argv[1], collection=sys.argv[2]))
    vector = [1.0] + [0.0] * (store.dimension() - 1)
    for kind in ("abstract", "window", "sentence"):
        hits = store.query(vector, 10, kind, {"kind": kind})
        for read in ("window", "sentence"):  # a local store's: read from its table
            store.passages(read, [h.paper_id for h in hits])
except Exception as exc:
    sys.exit(str(exc.__cause__ or exc))
"""


def probe(settings: Settings) -> str | None:
    """None if the local store answers every kind of query; else what went wrong."""
    args = [sys.executable, "-c", _PROBE, settings.store_path, settings.collection]
    try:
        run = subprocess.run(args, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"opening it took over {PROBE_TIMEOUT_S} s"
    if run.returncode == 0:
        return None
    if run.returncode < 0:
        return f"Chroma crashed opening it (signal {-run.returncode})"
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "it cannot be read"


def recover_papers(settings: Settings) -> list[Paper]:
    """Every paper whose abstract chunk is in the store's SQLite file."""
    db = Path(settings.store_path) / "chroma.sqlite3"
    if not db.is_file():
        raise StoreError(f"no Chroma database in {settings.store_path}: nothing to repair")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(_RECORDS, (settings.collection,)).fetchall()
    records: dict[int, dict] = {}
    for rid, key, text, number in rows:
        records.setdefault(rid, {})[key] = text if text is not None else number
    return [
        Paper(
            r["paper_id"], r["title"], r["chroma:document"],
            parse_listings(r["listings"]), json.loads(r["extra"]),
        )  # fmt: skip
        for r in records.values()
        if r.get("kind") == "abstract"
    ]


_RECORDS = """
SELECT m.id, m.key, m.string_value, m.int_value
FROM embedding_metadata m
JOIN embeddings e ON e.id = m.id
JOIN segments s ON s.id = e.segment_id AND s.scope = 'METADATA'
JOIN collections c ON c.id = s.collection AND c.name = ?
"""


def set_aside(settings: Settings) -> Path:
    """Move the damaged store out of the way, keeping it for inspection."""
    path = Path(settings.store_path)
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    path.rename(aside)
    return aside
