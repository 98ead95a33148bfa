"""One collection per kind of chunk, and the upgrade of a store written with one collection
for every kind (before rag/layout.py). Real Chroma, fake embedder."""

from __future__ import annotations

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from click.testing import CliRunner

from rag.chunking import chunk_paper, embed_text
from rag.cli import main
from rag.config import Settings
from rag.corpus import read_papers
from rag.ingest import ingest_papers
from rag.layout import copy_page, open_collections
from rag.records import metadata
from rag.repair import probe
from rag.store import Store
from tests.conftest import SEED_FILE
from tests.fakes import FakeEmbedder

QUERY = "speech recognition for low-resource languages"


def _client(settings: Settings):
    return chromadb.PersistentClient(
        path=settings.store_path, settings=ChromaSettings(anonymized_telemetry=False)
    )


def _old_store(tmp_path) -> tuple[Settings, dict[str, list[float]]]:
    """A store as Store.add wrote it before: every kind in one collection, told apart by
    the `kind` in each chunk's metadata. Returns its settings and every chunk's vector."""
    settings = Settings(store_path=str(tmp_path / "store"))
    papers = {p.id: p for p in read_papers([SEED_FILE])}
    chunks = [c for p in papers.values() for c in chunk_paper(p)]
    vectors = FakeEmbedder().encode([embed_text(c) for c in chunks])
    client = _client(settings)
    col = client.get_or_create_collection(
        settings.collection,
        embedding_function=None,
        metadata={"hnsw:space": "cosine", "embedder": FakeEmbedder.name},
    )
    for i in range(0, len(chunks), 1000):
        col.upsert(
            ids=[c.id for c in chunks[i : i + 1000]],
            embeddings=vectors[i : i + 1000],
            documents=[c.text for c in chunks[i : i + 1000]],
            metadatas=[metadata(c, papers[c.paper_id]) for c in chunks[i : i + 1000]],
        )
    client.close()
    return settings, {c.id: v for c, v in zip(chunks, vectors, strict=True)}


def _kinds(settings: Settings) -> dict[str, dict[str, list[float]]]:
    """Each collection's chunks with their vectors, read straight from Chroma."""
    client = _client(settings)
    out = {}
    for col in client.list_collections():
        got = client.get_collection(col.name).get(include=["embeddings", "metadatas"])
        kinds = {m["kind"] for m in got["metadatas"]}
        out[col.name] = (kinds, dict(zip(got["ids"], got["embeddings"], strict=True)))
    client.close()
    return out


def _ranked(hits) -> list[tuple[str, float]]:
    """Ids and distances to 5 places (a copied vector may differ in its last bits)."""
    return sorted((round(h.distance, 5), h.id) for h in hits)


def test_a_new_store_keeps_each_kind_in_its_own_collection(tmp_path):
    settings = Settings(store_path=str(tmp_path / "store"))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    report = ingest_papers(read_papers([SEED_FILE]), store, FakeEmbedder())

    found = _kinds(settings)
    assert {name: kinds for name, (kinds, _) in found.items()} == {
        "papers": {"abstract"},
        "papers__window": {"window"},
        "papers__sentence": {"sentence"},
    }
    assert store.count() == report.chunks == sum(len(v) for _, v in found.values())
    listed = CliRunner().invoke(main, ["collections", "--store", settings.store_path])
    assert listed.exit_code == 0, listed.output
    line = f"* papers  {report.chunks} chunks  embedder fake-embedder"
    assert listed.output.splitlines() == [line]


def test_an_old_store_is_read_as_it_is_and_upgraded_by_ingest_without_embedding(tmp_path):
    settings, vectors = _old_store(tmp_path)
    vector = FakeEmbedder().encode([QUERY])[0]
    old = Store(settings)  # reading does not change the layout
    before = {kind: old.query(vector, 10, kind) for kind in ("abstract", "window", "sentence")}
    papers = old.papers()
    assert all(len(hits) == 10 for hits in before.values()) and len(papers) == 88
    assert old.paper_count() == 88
    old.close()

    said: list[str] = []
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name, report=said.append)
    assert said == [
        f"upgrading the store at {settings.store_path} to one collection per kind "
        f"of chunk (copying {len(vectors)} chunks, embedding nothing)",
        "upgraded",
    ]
    assert store.paper_count() == 88
    found = _kinds(settings)
    assert {name: kinds for name, (kinds, _) in found.items()} == {
        "papers": {"abstract"},
        "papers__window": {"window"},
        "papers__sentence": {"sentence"},
    }
    moved = {cid: v for _, got in found.values() for cid, v in got.items()}
    assert moved.keys() == vectors.keys()
    assert all(np.allclose(moved[cid], vectors[cid]) for cid in vectors)
    embedder = FakeEmbedder()
    report = ingest_papers(read_papers([SEED_FILE]), store, embedder)
    assert (report.added, report.removed, embedder.calls) == (0, 0, 0)
    after = {kind: store.query(vector, 10, kind) for kind in before}
    assert {k: _ranked(v) for k, v in after.items()} == {k: _ranked(v) for k, v in before.items()}
    assert store.papers() == papers
    assert probe(settings) is None


def test_an_interrupted_upgrade_reads_whole_and_the_next_ingest_finishes_it(tmp_path):
    settings, vectors = _old_store(tmp_path)
    vector = FakeEmbedder().encode([QUERY])[0]
    old = Store(settings)
    before = {kind: _ranked(old.query(vector, 10, kind)) for kind in ("window", "sentence")}
    old.close()
    client = _client(settings)
    cols = open_collections(client, "papers", True, FakeEmbedder.name, "here")
    copy_page(cols, 0, 300)  # killed after the first page: every chunk still in `papers`

    half = Store(settings)
    assert not half._cols.per_kind and half._cols.siblings
    assert {k: _ranked(half.query(vector, 10, k)) for k in before} == before
    half.close()
    offset = 300
    while copied := copy_page(cols, offset, 300):
        offset += copied
    client.delete_collection("papers")  # killed before the staged collection was renamed
    client.close()

    staged = Store(settings)
    assert {k: _ranked(staged.query(vector, 10, k)) for k in before} == before
    assert len(staged.papers()) == 88
    staged.close()
    Store(settings, create=True, embedder_name=FakeEmbedder.name).close()
    found = _kinds(settings)
    assert {name: kinds for name, (kinds, _) in found.items()} == {
        "papers": {"abstract"},
        "papers__window": {"window"},
        "papers__sentence": {"sentence"},
    }
    assert sum(len(v) for _, v in found.values()) == len(vectors)


def test_a_bad_collection_name_with_the_separator_is_one_line(tmp_path):
    result = CliRunner().invoke(
        main, ["search", "speech", "--store", str(tmp_path), "--collection", "papers__window"]
    )
    assert result.exit_code == 2
    assert "without '__'" in result.output.strip().splitlines()[-1]
