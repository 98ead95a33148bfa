"""Processes for the concurrency tests: `python -m tests.workers ingest|read|hold STORE ...`.

Real Chroma in real processes; the fake embedder keeps them fast (what is under test is
the store, not the vectors).
"""

from __future__ import annotations

import json
import sys
import time

from rag.chroma import one_writer
from rag.config import Settings
from rag.ingest import ingest
from rag.store import Store
from tests.fakes import FakeEmbedder


def ingest_files(store_path: str, *files: str) -> None:
    settings = Settings(store_path=store_path)
    with one_writer(settings, lambda message: print(message, flush=True)):
        store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
        report = ingest(files, store, FakeEmbedder())
    print(json.dumps({"added": report.added, "papers": report.papers}), flush=True)


def read_for(store_path: str, seconds: str) -> None:
    """Search in a loop, as a chat would; print how many reads failed and the counts seen."""
    store = Store(Settings(store_path=store_path))
    vector = FakeEmbedder().encode(["speech recognition for low-resource languages"])[0]
    errors, counts, until = [], set(), time.monotonic() + float(seconds)
    while time.monotonic() < until:
        try:
            found = [h.paper_id for h in store.query(vector, 10, "abstract")]
            store.passages("window", found)
            store.sentences(found)
            counts.add(len(store.papers()))
        except Exception as exc:  # the test wants to see every kind of failure
            errors.append(repr(exc)[:200])
    print(json.dumps({"errors": errors, "counts": sorted(counts)}), flush=True)


def hold(store_path: str, seconds: str) -> None:
    """Hold the ingest lock, as a long ingest would."""
    with one_writer(Settings(store_path=store_path), print):
        print("holding", flush=True)
        time.sleep(float(seconds))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"ingest": ingest_files, "read": read_for, "hold": hold}[command](*args)
