from __future__ import annotations

import pytest

from rag.retrieve import BM25, zscores


def test_bm25_ranks_the_document_sharing_rare_terms_first():
    bm25 = BM25(
        {
            "a": "speculative decoding for fast inference on phones",
            "b": "a survey of inference methods for language models",
            "c": "protein folding with diffusion",
        }
    )
    scores = bm25.scores("speculative decoding on phones")
    assert max(scores, key=scores.get) == "a"
    assert "c" not in scores


def test_zscores_fill_missing_with_the_worst_seen_score():
    z = zscores({"a": 3.0, "b": 1.0}, ["a", "b", "c"])
    assert z["a"] > 0 > z["b"]
    assert z["b"] == pytest.approx(z["c"])
    assert sum(z.values()) == pytest.approx(0.0)


def test_zscores_of_equal_scores_are_zero():
    assert zscores({"a": 2.0, "b": 2.0}, ["a", "b"]) == {"a": 0.0, "b": 0.0}


def test_bm25_indexes_any_script_and_survives_empty_queries():
    bm25 = BM25({"a": "大规模 语言 模型", "b": "speech recognition"})
    assert max(bm25.scores("语言"), key=bm25.scores("语言").get) == "a"
    assert bm25.scores("???") == {}
