from __future__ import annotations

import pytest

from rag.metrics import (
    auc,
    citation_precision,
    citation_recall,
    cited_units,
    invalid_citations,
    keyword_hit,
    mrr_at,
    percentile,
    recall_at,
    share,
)
from rag.types import Answer, Evidence, Finding, Hit, Paper, Timings


def test_recall_and_mrr_over_ranked_titles():
    ranked = ["a", "b", "c", "d", "e", "f"]
    assert recall_at(ranked, ["a"], 1) == 1.0
    assert recall_at(ranked, ["c"], 1) == 0.0
    assert recall_at(ranked, ["c"], 5) == 1.0
    assert recall_at(ranked, ["a", "f", "z"], 5) == pytest.approx(1 / 3)
    assert recall_at(ranked, [], 5) is None
    assert mrr_at(ranked, ["c", "e"]) == pytest.approx(1 / 3)
    assert mrr_at(ranked, ["z"]) == 0.0
    assert mrr_at(["x"] * 10 + ["a"], ["a"], 10) == 0.0  # beyond the depth


def test_keyword_hit_is_case_insensitive_and_partial():
    assert keyword_hit("EfficientQAT takes 41 Hours.", ["efficientqat", "41 hours"]) == 1.0
    assert keyword_hit("It is EfficientQAT.", ["EfficientQAT", "41 hours"]) == 0.5
    assert keyword_hit("anything", []) is None
    assert keyword_hit("anything", None) is None


def test_citation_precision_and_recall_against_gold():
    gold = ["A", "B"]
    assert citation_precision(["A", "C"], gold) == 0.5
    assert citation_precision(["A", "A"], gold) == 1.0  # distinct papers
    assert citation_precision([], gold) is None
    assert citation_recall(["A", "C"], gold) == 0.5
    assert citation_recall([], gold) == 0.0
    assert citation_recall(["A"], []) is None


def test_share_of_flags_is_undefined_without_units():
    assert share([True, False, True, True]) == 0.75
    assert share([]) is None


def test_invalid_citations_counts_markers_and_citations_outside_the_sources():
    assert invalid_citations("A claim here [1]. Another one [2][3].", [1, 2], [1, 2, 3]) == 0
    assert invalid_citations("A claim here [4]. Another one [1, 5].", [1], [1, 2, 3]) == 2
    assert invalid_citations("A claim here.", [7], [1, 2, 3]) == 1


def test_percentile_and_auc():
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)
    assert percentile([], 50) is None
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.5], [0.5]) == 0.5
    assert auc([0.1], [0.9, 0.05]) == 0.5


def test_cited_units_count_verbatim_findings_and_strict_synthesis_sentences():
    abstract = "We mine audio from All India Radio. The dataset has 6,400 hours in 12 languages."
    paper = Paper("p1", "Shrutilipi", abstract)
    evidence = [Evidence(1, Hit(paper, 1.0, "c1", ""), (abstract,), (0.5,))]

    def answer(quote: str, synthesis: str) -> Answer:
        return Answer("q", "", (), (), False, "m", Timings(),
                      findings=(Finding(1, "p1", "Shrutilipi", quote, 0.5),),
                      synthesis=synthesis)  # fmt: skip

    good = answer("We mine audio from All India Radio.", "The dataset has 6,400 hours [1].")
    assert cited_units(good, evidence, 0.75) == [True, True]
    bad = answer("We mine video.", "The dataset has 9,000 hours [1]. Also [2] says so [1].")
    assert cited_units(bad, evidence, 0.75) == [False, False, False, False]
    # a line break ends a sentence, as the checker reads it: two units, not one
    lines = answer("We mine audio from All India Radio.",
                   'It mines "All India Radio." [1]\nThe dataset has 6,400 hours [1].')  # fmt: skip
    assert cited_units(lines, evidence, 0.75) == [True, True, True]
