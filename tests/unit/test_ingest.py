from __future__ import annotations

import json

import numpy as np
import pytest

from rag.chunking import QUICK_PREFIX, chunk_paper, embed_text, is_quick, quick_text
from rag.config import Settings
from rag.corpus import read_corpus, read_papers
from rag.errors import CorpusError, StoreError
from rag.ingest import ABSTRACTS, VIEWS, ingest, ingest_papers
from rag.keywords import KeywordIndex
from rag.store import Store
from tests.conftest import stored_vectors
from tests.fakes import DiesInTheSecondPass, FakeEmbedder


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


ROWS = [
    {"title": f"Paper {i}", "abstract": f"Paper {i} studies topic {i}. It works. " * 3}
    for i in range(5)
]


@pytest.fixture
def store(tmp_path):
    return Store(
        Settings(store_path=str(tmp_path / "store")), create=True, embedder_name=FakeEmbedder.name
    )


def test_rerun_embeds_nothing_and_changed_abstract_replaces_chunks(tmp_path, store):
    f = _jsonl(tmp_path / "a.jsonl", ROWS)
    embedder = FakeEmbedder()
    first = ingest([f], store, embedder)
    assert first.added == first.chunks == store.count() > 0

    calls = embedder.calls
    again = ingest([f], store, embedder)
    assert (again.added, again.removed, embedder.calls) == (0, 0, calls)

    changed = [dict(r) for r in ROWS]
    changed[0]["abstract"] = "Something else entirely. New sentence."
    report = ingest([_jsonl(f, changed)], store, embedder)
    assert report.added > 0 and report.removed > 0
    assert store.count() == report.chunks
    assert store.papers()[
        next(iter(p for p, (x, _) in store.papers().items() if x.title == "Paper 0"))
    ][0].abstract.startswith("Something")


def test_new_listing_refreshes_metadata_without_embedding(tmp_path, store):
    a = _jsonl(tmp_path / "a.jsonl", ROWS[:2])
    b = _jsonl(tmp_path / "b.jsonl", ROWS[1:3])
    embedder = FakeEmbedder()
    ingest([a], store, embedder)
    report = ingest([a, b], store, embedder)
    assert report.refreshed > 0
    sources = {p.title: [x.source for x in p.listings] for p, _ in store.papers().values()}
    assert sources["Paper 1"] == [str(a), str(b)]


def test_prune_removes_papers_whose_files_are_gone(tmp_path, store):
    a = _jsonl(tmp_path / "a.jsonl", ROWS[:2])
    b = _jsonl(tmp_path / "b.jsonl", ROWS[2:4])
    embedder = FakeEmbedder()
    ingest([a, b], store, embedder)
    b.unlink()
    kept = ingest([a], store, embedder)
    assert kept.pruned_papers == 0 and len(store.papers()) == 4
    pruned = ingest([a], store, embedder, prune=True)
    assert pruned.pruned_papers == 2
    assert sorted(p.title for p, _ in store.papers().values()) == ["Paper 0", "Paper 1"]


def test_prune_removes_papers_no_longer_in_a_file_read_whole(tmp_path, store):
    a = _jsonl(tmp_path / "a.jsonl", ROWS[:3])
    ingest([a], store, FakeEmbedder())
    _jsonl(a, [ROWS[0], {**ROWS[1], "title": "Paper 1, retitled"}])
    assert ingest([a], store, FakeEmbedder()).pruned_papers == 0  # without --prune: kept
    pruned = ingest([a], store, FakeEmbedder(), prune=True)
    assert pruned.pruned_papers == 2
    assert sorted(p.title for p, _ in store.papers().values()) == ["Paper 0", "Paper 1, retitled"]


def test_prune_keeps_papers_of_a_file_read_with_problems(tmp_path, store):
    a = _jsonl(tmp_path / "a.jsonl", ROWS[:2])
    ingest([a], store, FakeEmbedder())
    a.write_text(json.dumps(ROWS[0]) + "\n{broken\n")
    reading = read_corpus([a])
    assert reading.skipped and not reading.complete
    report = ingest_papers(list(reading.papers), store, FakeEmbedder(), prune=True,
                           complete=reading.complete)  # fmt: skip
    assert report.pruned_papers == 0 and len(store.papers()) == 2


def test_bad_input_leaves_the_store_untouched(tmp_path, store):
    good = _jsonl(tmp_path / "a.jsonl", ROWS)
    ingest([good], store, FakeEmbedder())
    before = store.count()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x"}\n')
    with pytest.raises(CorpusError):
        ingest([good, bad], store, FakeEmbedder())
    assert store.count() == before


class Interrupt(Exception):
    pass


class DyingEmbedder(FakeEmbedder):
    def encode(self, texts):
        if self.calls == 1:
            raise Interrupt
        return super().encode(texts)


def test_interrupted_ingest_is_completed_by_the_next_run(tmp_path, store, monkeypatch):
    monkeypatch.setattr("rag.ingest.BATCH_CHUNKS", 5)
    f = _jsonl(tmp_path / "a.jsonl", ROWS)
    with pytest.raises(Interrupt):
        ingest([f], store, DyingEmbedder())
    partial = [cid for cid in store.chunk_index() if not is_quick(cid)]
    assert store.count() > 0
    report = ingest([f], store, FakeEmbedder())
    assert store.count() == report.chunks
    assert report.added == report.chunks - len(partial)


def test_listings_accumulate_across_runs_and_paths_are_absolute(tmp_path, store, monkeypatch):
    a = _jsonl(tmp_path / "a.jsonl", ROWS[:2])
    b = _jsonl(tmp_path / "b.jsonl", ROWS[1:3])
    monkeypatch.chdir(tmp_path)
    ingest(["a.jsonl"], store, FakeEmbedder())
    ingest(["b.jsonl"], store, FakeEmbedder())
    sources = {p.title: [x.source for x in p.listings] for p, _ in store.papers().values()}
    assert sources["Paper 1"] == [str(a.resolve()), str(b.resolve())]


def test_a_store_refuses_vectors_from_another_embedder(tmp_path, store):
    settings = Settings(store_path=str(tmp_path / "store"))
    with pytest.raises(StoreError, match="built with embedder 'fake-embedder', not 'other'"):
        Store(settings, create=True, embedder_name="other")


def test_unreachable_chroma_server_is_a_one_line_store_error():
    with pytest.raises(StoreError, match="cannot reach the Chroma server at http://127.0.0.1:9"):
        Store(Settings(chroma_url="http://127.0.0.1:9"))


def test_every_paper_is_searchable_before_any_sentence_view_is_embedded(tmp_path, store):
    f = _jsonl(tmp_path / "a.jsonl", ROWS)
    stages: list[tuple[str, int, int]] = []
    seen_at_views: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        stages.append((stage, done, total))
        if stage == VIEWS and done == 0:
            seen_at_views.append(len(store.papers()))

    report = ingest([f], store, FakeEmbedder(), progress=progress)
    assert [s for s, _, _ in stages] == [ABSTRACTS, ABSTRACTS, VIEWS, VIEWS]
    assert seen_at_views == [len(ROWS)]
    assert KeywordIndex.load(store.folder).ids  # keyword search works from the first pass
    assert report.searchable_s is not None and report.searchable_s <= report.seconds


def test_an_interrupted_second_pass_leaves_papers_searchable_and_is_completed(tmp_path, store):
    f = _jsonl(tmp_path / "a.jsonl", ROWS)
    with pytest.raises(Interrupt):
        ingest([f], store, DiesInTheSecondPass(Interrupt))
    assert len(store.papers()) == len(ROWS) and store.count() == len(ROWS)
    assert store.quick_papers() == len(ROWS)
    read = read_papers([f])
    assert {p.abstract for p, _ in store.papers().values()} == {p.abstract for p in read}
    notes: list[str] = []
    embedder = RecordingEmbedder()
    report = ingest_papers(read, store, embedder, notify=notes.append)
    assert notes == [f"completing {len(ROWS)} papers an interrupted ingest left searchable "
                     "but not fully indexed"]  # fmt: skip
    assert store.count() == report.chunks and report.searchable_s is None
    assert len(embedder.texts) == report.added == report.chunks  # no quick view embedded again
    assert _same(stored_vectors(store), _one_pass(f)) and store.quick_papers() == 0


class RecordingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts):
        self.texts += texts
        return super().encode(texts)


def _one_pass(path) -> dict[str, list[float]]:
    """What embedding every chunk whole, once, writes: the store before quick views."""
    chunks = [c for p in read_papers([path]) for c in chunk_paper(p)]
    return dict(zip([c.id for c in chunks], FakeEmbedder().encode([embed_text(c) for c in chunks]),
                    strict=True))  # fmt: skip


def _same(stored: dict[str, np.ndarray], expected: dict[str, list[float]]) -> bool:
    """The same ids with the same vectors (to float16's precision: the sentence table's)."""
    return stored.keys() == expected.keys() and all(
        np.allclose(stored[cid], v, atol=1e-3) for cid, v in expected.items()
    )


def _quick_texts(path) -> set[str]:
    return {quick_text(chunk_paper(p)[0]) for p in read_papers([path])}


def test_the_first_pass_embeds_quick_views_and_the_store_ends_as_one_pass_writes_it(
    tmp_path, store, monkeypatch
):
    monkeypatch.setattr("rag.ingest.BATCH_CHUNKS", 5)  # several batches in the second pass
    long = [{**r, "abstract": r["abstract"] + "More words follow here. " * 40} for r in ROWS]
    f = _jsonl(tmp_path / "a.jsonl", long)
    counts: list[tuple[str, int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if done:  # after each write: every paper found once, never twice, never missing
            counts.append((stage, store.paper_count(), len(store.papers())))

    embedder = RecordingEmbedder()
    ingest([f], store, embedder, progress=progress)
    assert set(embedder.texts[: len(ROWS)]) == _quick_texts(f)
    assert {(n, m) for _, n, m in counts} == {(len(ROWS), len(ROWS))}
    assert VIEWS in {stage for stage, *_ in counts}
    assert _same(stored_vectors(store), _one_pass(f))
    assert not any(cid.startswith(QUICK_PREFIX) for cid in store.chunk_index())
    calls = embedder.calls
    assert ingest([f], store, embedder).added == 0 and embedder.calls == calls
