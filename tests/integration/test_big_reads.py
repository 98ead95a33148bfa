"""Reads larger than SQLite's 32,766 variables, which Chroma's get binds one a record:
a whole-store read at 100,000 papers failed "too many SQL variables" before reads paged."""

from __future__ import annotations

import numpy as np
from chromadb.api.models.Collection import Collection

from rag import chroma
from rag.chroma import client, get_all, get_in
from rag.config import Settings
from rag.ingest import ingest_papers
from rag.store import Store
from rag.types import Paper
from tests.fakes import FakeEmbedder

RECORDS = 40_000  # over 32,766: one get of these with metadata failed


def test_a_get_of_more_records_than_sqlite_variables_reads_them_all(tmp_path):
    col = client(Settings(store_path=str(tmp_path / "s"))).create_collection("bigreads")
    for start in range(0, RECORDS, 5000):
        ids = range(start, start + 5000)
        col.add(ids=[f"c{i}" for i in ids], embeddings=np.random.rand(5000, 4).tolist(),
                documents=[f"d{i}" for i in ids],
                metadatas=[{"paper_id": f"p{i % 20_000}"} for i in ids])  # fmt: skip
    got = get_all(col, include=["metadatas", "documents"])
    assert len(set(got["ids"])) == len(got["metadatas"]) == len(got["documents"]) == RECORDS
    values = [f"p{i}" for i in range(0, 20_000, 2)]  # half the papers: 2 records each
    got = get_in(col, "paper_id", values, None, ["metadatas"])
    assert len(set(got["ids"])) == RECORDS // 2
    assert {m["paper_id"] for m in got["metadatas"]} == set(values)


def test_store_reads_page_through_chroma(tmp_path, monkeypatch):
    monkeypatch.setattr(chroma, "GET_PAGE", 3)  # 10 papers: four pages of three
    get = Collection.get

    def small_gets(self, *args, limit=None, **kwargs):  # as Chroma fails past 32,766
        assert kwargs.get("include") == [] or limit is not None and limit <= 3
        return get(self, *args, limit=limit, **kwargs)

    monkeypatch.setattr(Collection, "get", small_gets)
    store = Store(Settings(store_path=str(tmp_path / "s")), create=True,
                  embedder_name=FakeEmbedder.name)  # fmt: skip
    papers = [Paper(f"p{i}", f"Paper {i}", f"Paper {i} studies topic {i}. It works.")
              for i in range(10)]  # fmt: skip
    ingest_papers(papers, store, FakeEmbedder())
    assert set(store.papers()) == {p.id for p in papers}
    assert set(store.papers([f"p{i}" for i in range(7)])) == {f"p{i}" for i in range(7)}
    assert store.paper_count() == 10 and store.quick_papers() == 0
    assert len(store.chunk_index()) == store.count()
    assert all(store.sentences([p.id for p in papers]).values())
