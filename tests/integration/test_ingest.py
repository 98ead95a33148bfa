"""The quick first pass with the real embedder and Chroma: the store ends as embedding every
chunk whole writes it, and an ingest stopped after the first pass leaves every paper
searchable, which the next ingest completes."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from rag.chunking import chunk_paper, embed_text
from rag.cli import main
from rag.config import Settings
from rag.corpus import read_papers
from rag.ingest import ingest_papers
from rag.retrieve import Retriever
from rag.store import Store
from tests.conftest import SEED_FILE, stored_vectors

PAPERS = 12  # enough for several write batches of the second pass, a few seconds to embed


class Interrupt(Exception):
    pass


class StopsAfterTheFirstPass:
    """The real embedder, interrupted on its second call (the first embeds the quick views)."""

    def __init__(self, embedder) -> None:
        self.embedder, self.name, self.calls = embedder, embedder.name, 0

    def encode(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls == 2:
            raise Interrupt
        return self.embedder.encode(texts)


@pytest.fixture(scope="module")
def papers():
    return read_papers([SEED_FILE])[:PAPERS]


@pytest.fixture(scope="module")
def one_pass(papers, embedder) -> dict[str, list[float]]:
    """Every chunk embedded whole, once: what the store held before quick views."""
    chunks = [c for p in papers for c in chunk_paper(p)]
    return dict(zip([c.id for c in chunks], embedder.encode([embed_text(c) for c in chunks]),
                    strict=True))  # fmt: skip


def _store(tmp_path, embedder) -> Store:
    settings = Settings(store_path=str(tmp_path / "store"))
    return Store(settings, create=True, embedder_name=embedder.name)


def _same_as(store: Store, expected: dict[str, list[float]]) -> None:
    """The same chunk ids, and vectors equal up to batch-to-batch noise and float16."""
    stored = stored_vectors(store)
    assert stored.keys() == expected.keys()
    worst = max(float(np.abs(stored[cid] - v).max()) for cid, v in expected.items())
    assert worst < 1e-3  # the sentence table keeps float16


def _check(store: Store) -> str:
    result = CliRunner().invoke(main, ["check", "--store", str(store.folder)])
    assert result.exit_code == 0, result.output
    return result.output


def test_after_ingest_the_store_holds_the_one_pass_chunks_and_vectors(
    tmp_path, papers, embedder, one_pass
):
    store = _store(tmp_path, embedder)
    report = ingest_papers(papers, store, embedder)
    assert report.searchable_s is not None and report.added == report.chunks == len(one_pass)
    _same_as(store, one_pass)
    assert "not fully indexed" not in _check(store)


def test_an_ingest_stopped_after_the_first_pass_is_searchable_and_completed_next(
    tmp_path, papers, embedder, one_pass
):
    store = _store(tmp_path, embedder)
    with pytest.raises(Interrupt):
        ingest_papers(papers, store, StopsAfterTheFirstPass(embedder))
    assert store.paper_count() == len(store.papers()) == PAPERS
    retriever = Retriever(store, embedder, candidates=10, bm25_weight=0.3)
    for paper in papers:  # found by its title, dense and keyword, from the quick view
        assert retriever.search(paper.title, k=1)[0].paper.id == paper.id
    assert f"; {PAPERS} papers not fully indexed: run rag ingest" in _check(store)

    notes: list[str] = []
    report = ingest_papers(papers, store, embedder, notify=notes.append)
    assert notes and notes[0].startswith(f"completing {PAPERS} papers")
    assert report.searchable_s is None and report.added == len(one_pass)
    _same_as(store, one_pass)
    assert "not fully indexed" not in _check(store)
