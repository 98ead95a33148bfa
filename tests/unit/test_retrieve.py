from __future__ import annotations

import json

import numpy as np
import pytest

from rag.config import Settings
from rag.ingest import ingest
from rag.retrieve import Retriever, zscores
from rag.store import Store
from tests.fakes import FakeEmbedder


def test_zscores_fill_missing_with_the_worst_seen_score():
    z = zscores({"a": 3.0, "b": 1.0}, ["a", "b", "c"])
    assert z["a"] > 0 > z["b"]
    assert z["b"] == pytest.approx(z["c"])
    assert sum(z.values()) == pytest.approx(0.0)


def test_zscores_of_equal_scores_are_zero():
    assert zscores({"a": 2.0, "b": 2.0}, ["a", "b"]) == {"a": 0.0, "b": 0.0}


def test_a_retriever_open_during_an_ingest_finds_the_new_papers(tmp_path):
    settings = Settings(store_path=str(tmp_path / "store"))
    writer = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    rows = [{"title": f"Paper {i}", "abstract": f"Topic {i} is studied here. It works."}
            for i in range(3)]  # fmt: skip
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps(rows[0]) + "\n")
    ingest([first], writer, FakeEmbedder())
    retriever = Retriever(Store(settings), FakeEmbedder(), candidates=10, bm25_weight=0.3)
    assert retriever.paper_count == 1

    more = tmp_path / "b.jsonl"
    more.write_text("".join(json.dumps(r) + "\n" for r in rows[1:]))
    ingest([more], writer, FakeEmbedder())

    hits = retriever.search("topic 2 studied", 3)
    assert retriever.paper_count == 3 and hits[0].paper.title == "Paper 2"


def test_every_candidate_is_scored_on_its_best_window_read_from_the_table(tmp_path):
    """Windows are not searched: each candidate's are read by paper id and the best one's
    cosine, with the abstract view's, makes the dense score."""
    settings = Settings(store_path=str(tmp_path / "store"))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    sentences = " ".join(f"Sentence {j} of topic {{i}} says {j}." for j in range(7))
    rows = [{"title": f"Paper {i}", "abstract": sentences.format(i=i)} for i in range(4)]
    corpus = tmp_path / "a.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ingest([corpus], store, FakeEmbedder())
    retriever = Retriever(store, FakeEmbedder(), candidates=10, bm25_weight=0.3)

    query = "sentence 5 of topic 2"
    vector = np.asarray(FakeEmbedder().encode([query])[0])
    hits = retriever.search(query, 4)
    assert len(hits) == 4
    for hit in hits:
        windows = store.passages("window", [hit.paper.id])[hit.paper.id]
        (abstract,) = store.passages("abstract", [hit.paper.id])[hit.paper.id]
        best = max(windows, key=lambda w: float(w.vector @ vector))
        assert len(windows) > 1 and (hit.chunk_id, hit.chunk_text) == (best.id, best.text)
        expected = (float(best.vector @ vector) + float(abstract.vector @ vector)) / 2
        assert hit.dense == pytest.approx(expected, abs=1e-3)  # float16 windows
