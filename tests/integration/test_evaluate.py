"""The harness end to end on a few dev questions, with the real embedder, store and model.

The session store holds one listing page (tests/conftest.py), so the questions are ones
whose gold papers are on that page.
"""

from __future__ import annotations

import json

from rag.evaluate import evaluate

ASR = "Effectiveness of Mining Audio and Text Pairs from Public Data for Improving ASR Systems for Low-Resource Languages"  # noqa: E501
LEVAL = "L-Eval: Instituting Standardized Evaluation for Long Context Language Models"
QUESTIONS = [
    {
        "id": "q2",
        "type": "single",
        "question": "Which paper mines radio broadcast archives to build speech recognition "
        "training data for Indian languages?",
        "gold_titles": [ASR],
        "answer_keywords": ["Shrutilipi", "All India Radio"],
    },
    {
        "id": "q3",
        "type": "followup",
        "question": "How many hours of audio and how many languages does that dataset cover?",
        "gold_titles": [ASR],
        "answer_keywords": ["6,400", "12"],
        "context_id": "q2",
    },
    {
        "id": "q7",
        "type": "single",
        "question": "How many long documents and manually annotated query-response pairs does "
        "the L-Eval suite for standardized evaluation of long context language models contain?",
        "gold_titles": [LEVAL],
        "answer_keywords": ["411", "2,000"],
    },
    {"id": "q5", "type": "unanswerable", "question": "What is the boiling point of ethanol?"},
]


def test_harness_end_to_end_with_the_real_pipeline(assistant, tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    out = tmp_path / "out"
    summary = evaluate(assistant, path, out, progress=lambda *a: None)

    lines = (out / "results.jsonl").read_text().splitlines()
    results = {r["id"]: r for r in map(json.loads, lines)}
    assert list(results) == ["q2", "q3", "q7", "q5"]
    assert results["q2"]["retrieved"][0]["title"] == ASR
    assert results["q7"]["retrieved"][0]["title"] == LEVAL
    assert results["q3"]["query"].startswith(QUESTIONS[0]["question"])  # same conversation
    assert results["q5"]["abstained"] and results["q5"]["timings"]["ttft_s"] == 0.0
    for r in results.values():
        assert {"retrieve_s", "ttft_s", "total_s", "tokens_per_s"} <= set(r["timings"])
        assert all(set(c) == {"n", "title"} for c in r["citations"])
        assert len(r["retrieved"]) == 10
    answered = [r for r in results.values() if not r["abstained"]]
    assert answered and all(r["timings"]["tokens_per_s"] > 0 for r in answered)
    assert all(r["citations"] for r in answered)  # the findings' sources, at least

    overall = summary["overall"]
    assert overall["invalid_citations"] == 0
    assert overall["recall@1"] == 1.0 and overall["mrr@10"] == 1.0
    assert summary["by_type"]["unanswerable"]["correct_decline"] == 1.0
    assert overall["speed"]["total_s"]["p95"] >= overall["speed"]["total_s"]["p50"] > 0
    assert (out / "report.md").exists() and (out / "chart.png").stat().st_size > 0


def test_retrieval_only_with_the_real_store(assistant, tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    summary = evaluate(assistant, path, tmp_path / "ro", retrieval_only=True, progress=print)
    assert summary["overall"]["recall@1"] == 1.0
    assert summary["run"]["model"] == ""
