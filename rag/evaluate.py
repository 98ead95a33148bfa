"""Offline evaluation: run a question file through the core API and score what came back.

The harness is a face like the CLI: it calls only `Assistant.ask()` (or `Assistant.search()`
with --retrieval-only), so what it measures is what a user gets. The metrics live in
`rag.metrics`; `rag.report` writes the tables and chart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.assistant import Assistant
from rag.config import Settings
from rag.errors import ConfigError, RagError
from rag.metrics import (
    DEPTH,
    citation_precision,
    citation_recall,
    cited_units,
    claims_kept,
    invalid_citations,
    keyword_hit,
    mrr_at,
    percentile,
    recall_at,
    said,
    share,
)
from rag.progress import console_progress
from rag.questions import TYPES, Question, load_questions
from rag.text import clean
from rag.types import Answer, Evidence, Sources, Token, Turn

# Questions of this many words or more are "long" (precise, reusing the abstract's words):
# the README and issue 9 report answer-keyword hit for short and long questions apart.
LONG_WORDS = 15
# Settings recorded with a run, so two runs can be told apart.
RUN_SETTINGS = ("k", "candidates", "bm25_weight", "sentences_per_source", "abstain_threshold",
                "support_threshold", "check_names", "min_coverage", "standalone_dense", "rewrite",
                "n_ctx", "max_tokens", "temperature", "model")  # fmt: skip
SPEED_KEYS = ("retrieve_s", "ttft_s", "total_s", "tokens_per_s")
# Per-question metrics averaged in the summary; None means "does not apply".
METRICS = (
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr@10",
    "gold_found",
    "keyword_hit",
    "citation_precision",
    "citation_recall",
    "top_cited",
    "strict_units",
    "kept_share",
    "correct_decline",
    "wrong_decline",
    "asked_alone",
    "alone_recall@1",
)


def apply_overrides(settings: Settings, pairs: Sequence[str]) -> Settings:
    """`--set name=value` flags onto Settings, so configurations can be compared."""
    changes = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set expects NAME=VALUE, got {pair!r}")
        changes[name.strip()] = value.strip()
    return settings.replace(**changes)


# ---- the runner ---------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]


def run(
    assistant: Assistant,
    questions: Sequence[Question],
    retrieval_only: bool = False,
    progress: Progress = lambda done, total, qid: None,
    on_record: Callable[[dict], None] = lambda record: None,
) -> list[dict]:
    """Ask every question (followups in their context's conversation) and score each;
    `on_record` sees each result as soon as it exists, so a long run can be watched."""
    records: list[dict] = []
    asked: dict[str, tuple[str, str]] = {}  # id -> (question, answer text)
    for i, q in enumerate(questions):
        history = [Turn(*asked[q.context_id])] if q.context_id in asked else []
        try:
            if retrieval_only:
                record = _search_one(assistant, q, history)
            else:
                record = _ask_one(assistant, q, history)
        except RagError as exc:  # one failing question must not end a long run
            record = {"id": q.id, "type": q.type, "question": q.question, "error": str(exc)}
        asked[q.id] = (q.question, record.get("synthesis", ""))
        records.append(record)
        on_record(record)
        progress(i + 1, len(questions), q.id)
    return records


def _search_one(assistant: Assistant, q: Question, history: list[Turn]) -> dict:
    query = assistant.standalone_query(q.question, history)
    start = time.perf_counter()
    ranked = assistant.search(query, DEPTH)
    elapsed = time.perf_counter() - start
    record = _base(q, query, [(h.paper.title, h.score) for h in ranked])
    record["timings"] = {"retrieve_s": round(elapsed, 4)}
    shown = [h.paper.title for h in ranked[: assistant.settings.k]]
    metrics = _retrieval_metrics(q, record, shown)
    record["metrics"] = metrics | _context_metrics(assistant, q, record)
    return record


def _ask_one(assistant: Assistant, q: Question, history: list[Turn]) -> dict:
    sources: Sources | None = None
    pieces: list[str] = []
    answer: Answer | None = None
    for event in assistant.ask(q.question, history):
        if isinstance(event, Sources):
            sources = event
        elif isinstance(event, Token):
            pieces.append(event.text)
        elif isinstance(event, Answer):
            answer = event
    assert sources is not None and answer is not None, "ask() must stream Sources and Answer"
    # The answer carries only its k sources; the ranking to depth 10 scores R@5/R@10.
    ranked = assistant.search(answer.query, DEPTH)
    record = _base(q, answer.query, [(h.paper.title, h.score) for h in ranked])
    relevance = [r for e in sources.evidence for r in e.relevance]
    record.update(
        answer=answer.text,
        synthesis=answer.synthesis,
        raw_answer="".join(pieces).strip(),
        abstained=answer.abstained,
        decline_reason=answer.decline_reason,
        findings=[{"n": f.n, "quote": f.quote, "score": f.score} for f in answer.findings],
        citations=[{"n": c.n, "title": c.title} for c in answer.citations],
        sources=[{"n": e.n, "title": e.hit.paper.title} for e in sources.evidence],
        unsupported=list(answer.unsupported),
        max_relevance=round(max(relevance, default=0.0), 4),
        timings=answer.timings.as_dict(),
    )
    metrics = _retrieval_metrics(q, record, [e.hit.paper.title for e in sources.evidence])
    metrics.update(_answer_metrics(q, answer, sources.evidence, assistant.settings))
    metrics.update(_context_metrics(assistant, q, record))
    record["metrics"] = metrics
    return record


def _base(q: Question, query: str, ranked: list[tuple[str, float]]) -> dict:
    return {
        "id": q.id,
        "type": q.type,
        "question": q.question,
        "context_id": q.context_id,
        "query": query,
        "gold_titles": None if q.gold_titles is None else list(q.gold_titles),
        "retrieved": [{"title": t, "score": round(s, 4)} for t, s in ranked],
    }


def _context_metrics(assistant: Assistant, q: Question, record: dict) -> dict:
    """For a question asked after another: was it searched alone, and R@1 had it been asked
    with no history. On a topic switch the second bounds the first: a miss both share is
    the retriever's, not the follow-up decision's."""
    if not q.context_id:
        return {}
    asked_alone = record["query"] == clean(q.question)
    if asked_alone:  # the record's own ranking is that search
        alone = [r["title"] for r in record["retrieved"][:1]]
    else:
        alone = [h.paper.title for h in assistant.search(q.question, 1)]
    return {
        "asked_alone": float(asked_alone),
        "alone_recall@1": recall_at(alone, q.gold_titles or (), 1),
    }


def _retrieval_metrics(q: Question, record: dict, shown: Sequence[str]) -> dict:
    ranked = [r["title"] for r in record["retrieved"]]
    gold = q.gold_titles or ()
    return {
        "recall@1": recall_at(ranked, gold, 1),
        "recall@5": recall_at(ranked, gold, 5),
        "recall@10": recall_at(ranked, gold, 10),
        "mrr@10": mrr_at(ranked, gold),
        # Gold papers among the sources the model was shown (what multi questions need).
        "gold_found": recall_at(shown, gold, len(shown)),
    }


def _answer_metrics(
    q: Question, answer: Answer, evidence: Sequence[Evidence], settings: Settings
) -> dict:
    """Answer metrics. Keyword hit and citation recall count every answerable question
    (a wrong decline scores 0); precision and cited units are over the answers given."""
    cited = [c.title for c in answer.citations]
    gold = q.gold_titles or ()
    answerable = q.answerable
    given = not answer.abstained
    top = evidence[0].hit.paper.title if evidence else None
    return {
        # Over the quotes and the checked summary, not the titles the answer lists: the
        # expected keywords are often the method's name, which its title carries.
        "keyword_hit": keyword_hit(said(answer) if given else "", q.answer_keywords)
        if answerable
        else None,
        "kept_share": share([True] * len(claims_kept(answer)) + [False] * len(answer.unsupported))
        if given
        else None,
        "citation_precision": citation_precision(cited, gold) if gold else None,
        "citation_recall": citation_recall(cited, gold) if answerable else None,
        # The top source is the gold paper: is it cited?
        "top_cited": float(top in cited) if answerable and top in gold else None,
        "strict_units": share(cited_units(answer, evidence, settings.support_threshold))
        if given
        else None,
        "invalid_citations": invalid_citations(
            answer.text, [c.n for c in answer.citations], [e.n for e in evidence]
        ),
        "correct_decline": float(answer.abstained) if answerable is False else None,
        "wrong_decline": float(answer.abstained) if answerable else None,
    }


# ---- the summary --------------------------------------------------------------------------


def summarize(records: Sequence[dict]) -> dict:
    """Means of the per-question metrics and speed percentiles, overall, per type, and for
    short and long answerable questions (issue 9 sets a keyword-hit target for each)."""
    types = [t for t in TYPES if any(r.get("type") == t for r in records)]
    groups = {t: [r for r in records if r.get("type") == t] for t in types}
    answerable = [r for r in records if r.get("type") in ("single", "multi")]
    for name, long in (("short", False), ("long", True)):
        group = [r for r in answerable if _is_long(r.get("question", "")) == long]
        if group:
            groups[name] = group
    return {"overall": _group(records), "by_type": {k: _group(v) for k, v in groups.items()}}


def _is_long(question: str) -> bool:
    return len(question.split()) >= LONG_WORDS


def _group(records: Sequence[dict]) -> dict:
    scored = [r for r in records if "metrics" in r]
    out: dict[str, Any] = {"n": len(records), "errors": len(records) - len(scored)}
    for name in METRICS:
        values = [r["metrics"][name] for r in scored if r["metrics"].get(name) is not None]
        out[name] = round(sum(values) / len(values), 4) if values else None
    out["invalid_citations"] = sum(r["metrics"].get("invalid_citations", 0) for r in scored)
    speed = {}
    for key in SPEED_KEYS:
        # ttft and tokens/s exist only when the model was called.
        values = [r["timings"][key] for r in scored if r["timings"].get(key)]
        speed[key] = {
            "p50": _round(percentile(values, 50)),
            "p95": _round(percentile(values, 95)),
        }
    out["speed"] = speed
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def evaluate(
    assistant: Assistant,
    questions_path: str | Path,
    out_dir: str | Path,
    retrieval_only: bool = False,
    progress: Progress | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> dict:
    """The whole `rag eval`: load, run, summarize, write results, summary, report, chart."""
    from rag.report import write_outputs

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    questions, problems = load_questions(questions_path)
    for problem in problems:
        report(f"{questions_path}: {problem} - skipped")
    if not questions:
        raise ConfigError(f"no valid questions in {questions_path}")
    start = time.perf_counter()
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:

        def write(record: dict) -> None:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()

        records = run(
            assistant, questions, retrieval_only, progress or console_progress("question"), write
        )
    summary = summarize(records)
    s = assistant.settings
    summary["run"] = {
        "questions_file": str(questions_path),
        "questions": len(questions),
        "skipped_lines": problems,
        "retrieval_only": retrieval_only,
        "elapsed_s": round(time.perf_counter() - start, 1),
        "model": "" if retrieval_only else assistant.generator.name,
        "settings": {f: getattr(s, f) for f in RUN_SETTINGS},
    }
    write_outputs(out, summary)
    return summary
