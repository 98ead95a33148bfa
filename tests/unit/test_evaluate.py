from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rag.assistant import Assistant
from rag.cli import main
from rag.config import Settings
from rag.errors import ConfigError
from rag.evaluate import apply_overrides, evaluate, summarize
from rag.ingest import ingest
from rag.prompts import load_prompts
from rag.report import compare
from rag.store import Store
from tests.fakes import FakeEmbedder, FakeGenerator

ASR = "Effectiveness of Mining Audio and Text Pairs from Public Data for Improving ASR Systems for Low-Resource Languages"  # noqa: E501

# ---- the summary ------------------------------------------------------------------------


def test_summary_averages_applicable_metrics_per_type():
    def rec(kind, metrics, **timings):
        return {"type": kind, "metrics": metrics, "timings": timings}

    records = [
        rec("single", {"recall@1": 1.0, "invalid_citations": 0}, total_s=2.0, ttft_s=1.0),
        rec("single", {"recall@1": 0.0, "invalid_citations": 1}, total_s=4.0, ttft_s=0.0),
        rec("unanswerable", {"recall@1": None, "correct_decline": 1.0}, total_s=0.1),
        {"type": "single", "error": "boom"},
    ]
    records[0]["question"] = " ".join(["word"] * 15)  # long: 15 words or more
    s = summarize(records)
    assert s["overall"]["n"] == 4 and s["overall"]["errors"] == 1
    assert s["overall"]["recall@1"] == 0.5
    assert s["by_type"]["single"]["invalid_citations"] == 1
    assert s["by_type"]["unanswerable"]["correct_decline"] == 1.0
    assert s["by_type"]["unanswerable"]["recall@1"] is None
    assert s["by_type"]["single"]["speed"]["total_s"]["p50"] == 3.0
    assert s["by_type"]["single"]["speed"]["ttft_s"]["p50"] == 1.0  # 0 = model not called
    assert list(s["by_type"]) == ["single", "unanswerable", "short", "long"]
    assert s["by_type"]["long"]["recall@1"] == 1.0 and s["by_type"]["short"]["recall@1"] == 0.0


def test_set_overrides_map_onto_settings():
    s = apply_overrides(Settings(), ["bm25_weight=0.2", "k = 5"])
    assert s.bm25_weight == 0.2 and s.k == 5
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        apply_overrides(Settings(), ["bm25_weight"])
    with pytest.raises(ConfigError, match="unknown setting"):
        apply_overrides(Settings(), ["nope=1"])


# ---- the runner end to end with fakes -------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from tests.conftest import SEEDS

    settings = Settings(store_path=str(tmp_path_factory.mktemp("store")))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    ingest([SEEDS / "000_21389137d9350ab0.txt"], store, FakeEmbedder())
    return store


def _assistant(store, answer: str) -> tuple[Assistant, FakeGenerator]:
    settings = Settings(abstain_threshold=0.35, support_threshold=0.4, k=3)
    generator = FakeGenerator(answer)
    prompts = load_prompts(settings.prompts_dir)
    return Assistant(settings, store, FakeEmbedder(), generator, prompts), generator


QUESTIONS = [
    {
        "id": "s1",
        "type": "single",
        "question": "mining audio and text pairs from public radio data for low-resource ASR",
        "gold_titles": [ASR],
        "answer_keywords": ["Labelled DATA", "Shrutilipi"],
    },
    {
        "id": "f1",
        "type": "followup",
        "question": "how big is it?",
        "gold_titles": [ASR],
        "context_id": "s1",
    },
    {"id": "u1", "type": "unanswerable", "question": "boiling point of ethanol at sea level"},
]


def _write(tmp_path, lines: list) -> str:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return str(path)


def test_runner_end_to_end_writes_every_output(store, tmp_path):
    from rag.corpus import read_papers
    from tests.conftest import SEEDS

    paper = next(p for p in read_papers([SEEDS / "000_21389137d9350ab0.txt"]) if p.title == ASR)
    claim = paper.abstract.split(". ")[1]
    assistant, generator = _assistant(store, f"{claim} [1]. See also [9].")
    path = _write(tmp_path, [*QUESTIONS, "{not json"])
    seen, progress = [], []
    out = tmp_path / "out"
    summary = evaluate(
        assistant, path, out, progress=lambda d, t, q: progress.append((d, t, q)),
        report=seen.append,
    )  # fmt: skip

    assert seen == [f"{path}: line 4: not valid JSON (Expecting property name enclosed in "
                    "double quotes) - skipped"]  # fmt: skip
    assert progress[-1] == (3, 3, "u1")
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    single, followup, unanswerable = results
    assert single["retrieved"][0]["title"] == ASR and len(single["retrieved"]) == 10
    assert single["citations"][0] == {"n": 1, "title": ASR}
    assert single["findings"][0]["n"] == 1 and claim.endswith(single["synthesis"][:-5][-20:])
    assert single["metrics"]["strict_units"] == 1.0 and single["metrics"]["top_cited"] == 1.0
    assert single["metrics"]["recall@1"] == 1.0 and single["metrics"]["mrr@10"] == 1.0
    assert single["metrics"]["citation_precision"] == 1.0
    assert single["metrics"]["keyword_hit"] == 1.0  # quotes come from every sentence
    assert single["metrics"]["invalid_citations"] == 0  # [9] was removed by the core
    assert set(single["timings"]) >= {"retrieve_s", "ttft_s", "total_s", "tokens_per_s"}
    # The followup is asked in the same conversation: the model sees the first exchange.
    assert followup["query"].startswith(QUESTIONS[0]["question"])
    assert followup["metrics"]["asked_alone"] == 0.0 and "asked_alone" not in single["metrics"]
    assert QUESTIONS[0]["question"] in json.dumps(generator.prompts[1])
    assert unanswerable["abstained"] and unanswerable["metrics"]["correct_decline"] == 1.0
    assert len(generator.prompts) == 2  # declined without the model

    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["overall"] == summary["overall"]
    assert on_disk["run"]["skipped_lines"][0].startswith("line 4")
    assert summary["by_type"]["unanswerable"]["correct_decline"] == 1.0
    assert summary["overall"]["invalid_citations"] == 0
    assert "| Recall@1 |" in (out / "report.md").read_text()
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_retrieval_only_never_calls_the_model(store, tmp_path):
    assistant, generator = _assistant(store, "should not be said")
    summary = evaluate(
        assistant, _write(tmp_path, QUESTIONS), tmp_path / "ro", retrieval_only=True,
        progress=lambda *a: None,
    )  # fmt: skip
    assert generator.prompts == []
    assert summary["overall"]["recall@1"] == 1.0
    assert summary["overall"]["keyword_hit"] is None


def test_compare_prints_both_summaries_and_the_difference(store, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, weight in ((a, 0.0), (b, 5.0)):
        assistant, _ = _assistant(store, "x")
        assistant.retriever.bm25_weight = weight
        evaluate(assistant, _write(tmp_path, QUESTIONS), folder, True, lambda *x: None)
    text = compare(a, b)
    assert text.splitlines()[:2] == [f"A = {a}", f"B = {b}"]
    assert "Recall@1" in text and "single (n=1 / 1)" in text
    result = CliRunner().invoke(main, ["eval", "--compare", str(a), str(b)])
    assert result.exit_code == 0 and "B-A" in result.output
    bad = CliRunner().invoke(main, ["eval", "--compare", str(a), str(tmp_path)])
    assert bad.exit_code != 0 and "not an eval summary" in bad.output
