"""One collection per kind of chunk (a local store's windows and sentences in their SQLite
table), and the upgrades of a store written with one collection for every kind (before
rag/layout.py) or with Chroma window and sentence collections (before rag/sentences.py).
Real Chroma, fake embedder."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from click.testing import CliRunner

from rag.chunking import chunk_paper, embed_text
from rag.cli import main
from rag.config import Settings
from rag.corpus import read_papers
from rag.ingest import ingest_papers
from rag.layout import copy_page, move_sibling, open_collections, table_name
from rag.records import metadata
from rag.repair import probe
from rag.sentences import SentenceTable
from rag.store import Store
from tests.conftest import SEED_FILE
from tests.fakes import FakeEmbedder

QUERY = "speech recognition for low-resource languages"
# What a local store holds in Chroma; its windows and sentences are in rag/sentences.py's table.
LOCAL = {"papers": {"abstract"}}
WINDOWS, SENTENCES = 418, 878  # the seed page's (tests/conftest.py: SEED_FILE)


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


def _per_kind_store(tmp_path) -> tuple[Settings, dict[str, list[float]]]:
    """A store as Store.add wrote it before rag/sentences.py: a Chroma collection per kind,
    `papers__sentence` among them. Returns its settings and every chunk's vector."""
    settings = Settings(store_path=str(tmp_path / "store"))
    papers = {p.id: p for p in read_papers([SEED_FILE])}
    chunks = [c for p in papers.values() for c in chunk_paper(p)]
    vectors = FakeEmbedder().encode([embed_text(c) for c in chunks])
    client = _client(settings)
    cols = open_collections(client, settings.collection, True, FakeEmbedder.name, "here")
    for kind, col in {"abstract": cols.main, **cols.siblings}.items():
        rows = [(c, v) for c, v in zip(chunks, vectors, strict=True) if c.kind == kind]
        col.upsert(
            ids=[c.id for c, _ in rows],
            embeddings=[v for _, v in rows],
            documents=[c.text for c, _ in rows],
            metadatas=[metadata(c, papers[c.paper_id]) for c, _ in rows],
        )
    client.close()
    return settings, {c.id: v for c, v in zip(chunks, vectors, strict=True)}


def _sentences(store: Store) -> dict[str, list[tuple[str, list[float]]]]:
    return store.sentences(sorted(store.papers()))


def _windows(store: Store) -> dict[str, list[tuple[str, list[float]]]]:
    found = store.passages("window", sorted(store.papers()))
    return {pid: [(r.text, r.vector) for r in rows] for pid, rows in found.items()}


def _same_sentences(got: dict, expected: dict) -> bool:
    """The same texts in the same order, vectors equal to float16's precision."""
    def same(a: list, b: list) -> bool:
        return [t for t, _ in a] == [t for t, _ in b] and all(
            np.allclose(x, y, atol=1e-3) for (_, x), (_, y) in zip(a, b, strict=True)
        )

    return got.keys() == expected.keys() and all(same(got[p], expected[p]) for p in expected)


def _table(settings: Settings, kind: str = "sentence") -> SentenceTable:
    return SentenceTable(Path(settings.store_path), table_name(settings.collection, kind))


def _in_tables(settings: Settings) -> int:
    return _table(settings, "window").count() + _table(settings).count()


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


def _stray_folders(settings: Settings) -> set[str]:
    """Vector-index folders in the store no live collection owns (a dropped one's)."""
    folder = Path(settings.store_path)
    with sqlite3.connect(folder / "chroma.sqlite3") as con:
        live = {seg for (seg,) in con.execute("SELECT id FROM segments")}
    return {d.name for d in folder.iterdir() if d.is_dir() and d.name != "keywords"} - live


def _ranked(hits) -> list[tuple[str, float]]:
    """Ids and distances to 5 places (a copied vector may differ in its last bits)."""
    return sorted((round(h.distance, 5), h.id) for h in hits)


def test_a_new_store_keeps_each_kind_in_its_own_collection(tmp_path):
    settings = Settings(store_path=str(tmp_path / "store"))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    report = ingest_papers(read_papers([SEED_FILE]), store, FakeEmbedder())

    found = _kinds(settings)
    assert {name: kinds for name, (kinds, _) in found.items()} == LOCAL
    assert (_table(settings, "window").count(), _table(settings).count()) == (WINDOWS, SENTENCES)
    in_tables = _in_tables(settings)
    assert store.count() == report.chunks == in_tables + sum(len(v) for _, v in found.values())
    sentences, windows = _sentences(store), _windows(store)
    assert all(sentences.values()) and len(sentences) == 88
    assert all(windows.values()) and len(windows) == 88
    listed = CliRunner().invoke(main, ["collections", "--store", settings.store_path])
    assert listed.exit_code == 0, listed.output
    line = f"* papers  {report.chunks} chunks  embedder fake-embedder"
    assert listed.output.splitlines() == [line]


def test_each_collection_has_its_own_sentence_rows_and_deletes_reach_them(tmp_path):
    settings = Settings(store_path=str(tmp_path / "store"))
    other = Settings(store_path=settings.store_path, collection="physics")
    papers = read_papers([SEED_FILE])
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    physics = Store(other, create=True, embedder_name=FakeEmbedder.name)
    ingest_papers(papers, store, FakeEmbedder())
    ingest_papers(papers[:10], physics, FakeEmbedder())
    assert len(_sentences(physics)) == 10 and len(_sentences(store)) == 88

    gone = [c.id for c in chunk_paper(papers[0])]
    store.delete(gone)
    assert not set(gone) & set(store.chunk_index())
    assert set(gone) <= set(physics.chunk_index())  # the other collection keeps its rows
    assert store.sentences([papers[0].id]) == {papers[0].id: []}
    listed = CliRunner().invoke(main, ["collections", "--store", settings.store_path])
    lines = listed.output.splitlines()
    assert lines[0].startswith(f"* papers  {store.count()} chunks")
    assert lines[1].startswith(f"  physics  {physics.count()} chunks") and len(lines) == 2
    report = ingest_papers(papers, store, FakeEmbedder())  # the deleted paper comes back whole
    assert report.added == len(gone) and len(store.sentences([papers[0].id])[papers[0].id])


def test_an_old_store_is_read_as_it_is_and_upgraded_by_ingest_without_embedding(tmp_path):
    settings, vectors = _old_store(tmp_path)
    vector = FakeEmbedder().encode([QUERY])[0]
    old = Store(settings)  # reading does not change the layout
    before = {kind: old.query(vector, 10, kind) for kind in ("abstract", "window", "sentence")}
    papers, sentences, windows = old.papers(), _sentences(old), _windows(old)
    assert all(len(hits) == 10 for hits in before.values()) and len(papers) == 88
    assert old.paper_count() == 88 and all(sentences.values()) and all(windows.values())
    old.close()

    said: list[str] = []
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name, report=said.append)
    assert said == [
        f"upgrading the store at {settings.store_path} to one collection per kind "
        f"of chunk (copying {len(vectors)} chunks, embedding nothing)",
        "upgraded",
    ]
    assert store.paper_count() == 88 and not _stray_folders(settings)
    found = _kinds(settings)
    assert {name: kinds for name, (kinds, _) in found.items()} == LOCAL
    moved = {cid: v for _, got in found.values() for cid, v in got.items()}
    tables = _table(settings, "window").ids().keys() | _table(settings).ids().keys()
    assert moved.keys() | tables == vectors.keys()
    assert all(np.allclose(v, vectors[cid]) for cid, v in moved.items())
    assert _same_sentences(_sentences(store), sentences)
    assert _same_sentences(_windows(store), windows)
    embedder = FakeEmbedder()
    report = ingest_papers(read_papers([SEED_FILE]), store, embedder)
    assert (report.added, report.removed, embedder.calls) == (0, 0, 0)
    assert _ranked(store.query(vector, 10, "abstract")) == _ranked(before["abstract"])
    assert store.papers() == papers
    assert probe(settings) is None


def test_an_interrupted_upgrade_reads_whole_and_the_next_ingest_finishes_it(tmp_path):
    settings, vectors = _old_store(tmp_path)
    vector = FakeEmbedder().encode([QUERY])[0]
    old = Store(settings)
    before = {kind: _ranked(old.query(vector, 10, kind)) for kind in ("window", "sentence")}
    sentences, windows = _sentences(old), _windows(old)
    old.close()
    client = _client(settings)
    cols = open_collections(client, "papers", True, FakeEmbedder.name, "here")
    copy_page(cols, 0, 300, {})  # as the code before rag/sentences.py: Chroma siblings
    # killed after the first page: every chunk still in `papers`
    half = Store(settings)
    assert not half.db.cols.per_kind and half.db.cols.siblings
    assert {k: _ranked(half.query(vector, 10, k)) for k in before} == before
    half.close()
    offset = 300
    while copied := copy_page(cols, offset, 300, {}):
        offset += copied
    client.delete_collection("papers")  # killed before the staged collection was renamed
    client.close()

    staged = Store(settings)
    assert {k: _ranked(staged.query(vector, 10, k)) for k in before} == before
    assert len(staged.papers()) == 88 and _same_sentences(_sentences(staged), sentences)
    staged.close()
    said: list[str] = []
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name, report=said.append)
    assert said[-1] == "moved"  # the sibling collections the old upgrade made, moved
    found = _kinds(settings)
    assert {name: kinds for name, (kinds, _) in found.items()} == LOCAL
    assert sum(len(v) for _, v in found.values()) + _in_tables(settings) == len(vectors)
    assert _same_sentences(_sentences(store), sentences)
    assert _same_sentences(_windows(store), windows)
    store.close()


def test_a_per_kind_store_is_read_as_it_is_and_ingest_moves_its_windows_and_sentences(
    tmp_path,
):
    settings, vectors = _per_kind_store(tmp_path)
    old = Store(settings)  # reading does not move anything
    sentences, windows = _sentences(old), _windows(old)
    assert len(sentences) == 88 and all(sentences.values())
    assert not (Path(settings.store_path) / "sentences.sqlite3").exists()
    old.close()

    said: list[str] = []
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name, report=said.append)
    moving = (f"moving the {{}} vectors of the store at {settings.store_path} out of Chroma "
              "into sentences.sqlite3 (copying {} chunks, embedding nothing)")  # fmt: skip
    assert said == [moving.format("window", WINDOWS), "moved",
                    moving.format("sentence", SENTENCES), "moved"]  # fmt: skip
    assert {name: kinds for name, (kinds, _) in _kinds(settings).items()} == LOCAL
    assert _in_tables(settings) == WINDOWS + SENTENCES and store.count() == len(vectors)
    assert not _stray_folders(settings)  # the dropped collections' index folders are gone
    assert _same_sentences(_sentences(store), sentences)
    assert _same_sentences(_windows(store), windows)
    embedder = FakeEmbedder()
    report = ingest_papers(read_papers([SEED_FILE]), store, embedder)
    assert (report.added, report.removed, report.refreshed, embedder.calls) == (0, 0, 0, 0)
    assert probe(settings) is None
    store.close()


def test_an_interrupted_move_reads_whole_and_the_next_ingest_finishes_it(tmp_path):
    settings, vectors = _per_kind_store(tmp_path)
    old = Store(settings)
    sentences = _sentences(old)
    old.close()
    client = _client(settings)
    cols = open_collections(client, "papers", False, FakeEmbedder.name, "here")
    table = SentenceTable(Path(settings.store_path), "papers", create=True)
    move_sibling(cols, "sentence", 0, 300, table)  # killed after the first page
    table.close()
    client.close()

    half = Store(settings)  # some rows in both places, the rest in Chroma only
    assert 0 < _table(settings).count() < SENTENCES and "papers__sentence" in _kinds(settings)
    assert _same_sentences(_sentences(half), sentences)
    half.close()
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    assert set(_kinds(settings)) == {"papers"} and _table(settings).count() == SENTENCES
    assert _same_sentences(_sentences(store), sentences)
    assert len(store.chunk_index()) == len(vectors)
    store.close()


def test_a_bad_collection_name_with_the_separator_is_one_line(tmp_path):
    result = CliRunner().invoke(
        main, ["search", "speech", "--store", str(tmp_path), "--collection", "papers__window"]
    )
    assert result.exit_code == 2
    assert "without '__'" in result.output.strip().splitlines()[-1]
