from __future__ import annotations

import pytest

from rag.retrieve import zscores


def test_zscores_fill_missing_with_the_worst_seen_score():
    z = zscores({"a": 3.0, "b": 1.0}, ["a", "b", "c"])
    assert z["a"] > 0 > z["b"]
    assert z["b"] == pytest.approx(z["c"])
    assert sum(z.values()) == pytest.approx(0.0)


def test_zscores_of_equal_scores_are_zero():
    assert zscores({"a": 2.0, "b": 2.0}, ["a", "b"]) == {"a": 0.0, "b": 0.0}
