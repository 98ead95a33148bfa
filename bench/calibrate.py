"""Calibrate rag's thresholds on question files and print the sweep tables.

    .venv/bin/python bench/calibrate.py bench/hard_questions.jsonl bench/dev_questions.jsonl \
        [--results bench/out/hard] [--only guard|followup|findings|support|bm25]

No model runs here: everything is read from retrieval and evidence, which `Assistant.ask`
computes before it calls the model, or from the raw answers of an earlier `rag eval` run.
- guard: abstain_threshold x min_coverage -> declined unanswerable / answerable; and
  check_asked off / on at the defaults.
- followup: STANDALONE_DENSE -> R@1 / R@5 of follow-up and topic-switch questions.
- findings: quotes per paper and in all -> answer-keyword hit of the findings alone.
- support: support_threshold -> share of the model's sentences kept (from --results).
- bm25: bm25_weight, retrieval-only runs of the harness.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag import compose, guard  # noqa: E402
from rag.assistant import Assistant, build_assistant  # noqa: E402
from rag.chunking import split_sentences  # noqa: E402
from rag.cite import is_claim, strip_markers, support  # noqa: E402
from rag.config import Settings, load_settings  # noqa: E402
from rag.evaluate import LONG_WORDS, run, summarize  # noqa: E402
from rag.metrics import keyword_hit  # noqa: E402
from rag.questions import Question, load_questions  # noqa: E402
from rag.types import Evidence, Turn  # noqa: E402

ABSTAIN = (0.30, 0.35, 0.40, 0.45, 0.50)
COVERAGE = (0.0, 0.3, 0.4, 0.5, 0.6, 0.67, 0.75)
STANDALONE = (0.0, 0.35, 0.40, 0.45, 0.50, 0.55, 1.01)
# per paper, in all, score gap, term weight, quotes from every sentence (else the evidence),
# number weight for quantity questions, intro weight for "which paper" questions, the gap
# for other papers' quotes when several papers are asked for, the novelty weight
FINDINGS = (
    (3, 5, 0.1, 0.0, False, 0, 0, 0.1, 0),
    (4, 5, 0.15, 0.2, True, 0, 0, 0.1, 0),
    (4, 5, 0.15, 0.2, True, 0.15, 0, 0.1, 0),
    (4, 5, 0.15, 0.2, True, 0.15, 0, 0.2, 0),
    (4, 5, 0.15, 0.2, True, 0.15, 0.2, 0.1, 0),
    (4, 5, 0.15, 0.2, True, 0.15, 0.2, 0.2, 0),
    (4, 5, 0.15, 0.2, True, 0.15, 0.3, 0.2, 0),
    (4, 5, 0.15, 0.2, True, 0.15, 0.2, 0.2, 0.1),
    (4, 5, 0.15, 0.2, True, 0.15, 0.2, 0.2, 0.2),
    (4, 5, 0.15, 0.2, True, 0.15, 0.2, 0.2, 0.3),
    (4, 6, 0.15, 0.2, True, 0.15, 0.2, 0.2, 0.1),
)
SUPPORT = (0.5, 0.6, 0.67, 0.75, 0.8, 0.9)
BM25 = (0.2, 0.3, 0.4)


def history(q: Question, by_id: dict[str, Question]) -> list[Turn]:
    return [Turn(by_id[q.context_id].question, "")] if q.context_id else []


def evidence_for(assistant: Assistant, query: str) -> list[Evidence]:
    """What ask() computes before the guard: hits and their evidence sentences."""
    vector = assistant.embedder.encode([query])[0]
    hits = assistant.retriever.search_vector(query, vector, assistant.settings.k)
    return assistant.retriever.evidence(vector, hits, assistant.settings.sentences_per_source)


def cases(assistant: Assistant, path: str) -> list[tuple[Question, str, list[Evidence]]]:
    questions, _ = load_questions(path)
    by_id = {q.id: q for q in questions}
    out = []
    for q in questions:
        query = assistant.standalone_query(q.question, history(q, by_id))
        out.append((q, query, evidence_for(assistant, query)))
    return out


def guard_sweep(assistant: Assistant, name: str, data: list) -> None:
    in_corpus = assistant.retriever.in_corpus
    pos = [c for c in data if c[0].answerable]
    neg = [c for c in data if c[0].answerable is False]
    print(f"\n## guard on {name}: declined unanswerable ({len(neg)}) / answerable ({len(pos)})")
    print("| abstain \\ min_coverage | " + " | ".join(f"{c:.2f}" for c in COVERAGE) + " |")
    print("| --- " * (len(COVERAGE) + 1) + "|")
    for t in ABSTAIN:
        cells = []
        for c in COVERAGE:
            s = assistant.settings.replace(abstain_threshold=t, min_coverage=c)
            cells.append(_declined(s, in_corpus, neg, pos))
        print(f"| {t:.2f} | " + " | ".join(cells) + " |")
    s = assistant.settings
    for on in (False, True):
        rates = _declined(s.replace(check_asked=on), in_corpus, neg, pos)
        print(f"at the defaults, check_asked {on}: {rates}")
    print(f"\nat the defaults (abstain {s.abstain_threshold}, min_coverage {s.min_coverage}):")
    for q, query, ev in data:
        d = guard.check(query, ev, in_corpus, s, q.question)
        wrong = (d is not None) == bool(q.answerable)
        if wrong:
            what = d.notice if d else "answered"
            print(f"  {q.id} ({q.type}) {q.question!r}: {what}")


def _declined(s: Settings, in_corpus, neg: list, pos: list) -> str:
    """Declined unanswerable / answerable, as "0.67 / 0.02"."""
    rate = [
        sum(guard.check(query, ev, in_corpus, s, q.question) is not None for q, query, ev in g)
        / max(1, len(g))
        for g in (neg, pos)
    ]
    return f"{rate[0]:.2f} / {rate[1]:.2f}"


def followup_sweep(assistant: Assistant, name: str, path: str) -> None:
    questions, _ = load_questions(path)
    by_id = {q.id: q for q in questions}
    pairs = [q for q in questions if q.type in ("followup", "switch")]
    if not pairs:
        return
    print(f"\n## follow-up decision on {name}: R@1 / R@5 by standalone_dense")
    print("| standalone_dense | followup | switch |")
    print("| --- | --- | --- |")
    base = assistant.settings
    for value in STANDALONE:
        assistant.settings = base.replace(standalone_dense=value)
        cells = []
        for kind in ("followup", "switch"):
            group = [q for q in pairs if q.type == kind]
            r1 = r5 = 0
            for q in group:
                query = assistant.standalone_query(q.question, history(q, by_id))
                titles = [h.paper.title for h in assistant.search(query, 5)]
                r1 += titles[0] in (q.gold_titles or ())
                r5 += bool(set(titles) & set(q.gold_titles or ()))
            n = max(1, len(group))
            cells.append(f"{r1 / n:.2f} / {r5 / n:.2f} (n={len(group)})")
        print(f"| {value:.2f} | " + " | ".join(cells) + " |")
    assistant.settings = base


def findings_sweep(assistant: Assistant, name: str, data: list) -> None:
    answerable = [c for c in data if c[0].answerable and c[0].answer_keywords]
    print(f"\n## findings on {name}: keyword hit of the findings alone ({len(answerable)})")
    print(
        "| per paper | in all | score gap | term weight | all sentences | number weight | "
        "intro weight | plural gap | novelty | keyword hit | long questions | several papers | "
        "quotes (mean) | from gold papers |"
    )
    print("| --- " * 14 + "|")
    for per_paper, most, gap, weight, every, number, intro, plural, novelty in FINDINGS:
        hits, long, several, shown, gold = [], [], [], [], []
        for q, query, ev in answerable:
            min_score = assistant.settings.abstain_threshold
            ev = ev if every else [dataclasses.replace(e, pool=()) for e in ev]
            found = compose.findings(
                ev, min_score, per_paper, most, gap, question=query, term_weight=weight,
                number_weight=number, intro_weight=intro, plural_gap=plural, novelty=novelty,
            )  # fmt: skip
            quotes = " ".join(f.quote for f in found)  # what the quotes say, titles aside
            hits.append(keyword_hit(quotes, q.answer_keywords) or 0.0)
            if q.type in ("single", "multi") and len(q.question.split()) >= LONG_WORDS:
                long.append(hits[-1])  # as `rag eval` groups them
            if q.type == "multi":
                several.append(hits[-1])
            shown.append(len(found))
            gold += [f.title in (q.gold_titles or ()) for f in found]
        print(
            f"| {per_paper} | {most} | {gap} | {weight} | {every} | {number} | {intro} | "
            f"{plural} | {novelty} | {_mean(hits):.3f} | {_mean(long):.3f} (n={len(long)}) | "
            f"{_mean(several):.3f} (n={len(several)}) | {_mean(shown):.1f} | "
            f"{_mean(gold):.3f} |"
        )


def support_sweep(assistant: Assistant, results: dict[str, dict]) -> None:
    """Re-check the raw model sentences of a full run against the source each cites."""
    by_title = {p.title: p for p, _ in assistant.retriever.store.papers().values()}
    rows = []
    for r in results.values():
        sources = {s["n"]: by_title[s["title"]] for s in r.get("sources", [])}
        for sentence in split_sentences(r.get("raw_answer", "")):
            claim = strip_markers(sentence)
            if sources and is_claim(claim, r["question"]):
                rows.append((claim, list(sources.values())))
    print(f"\n## support_threshold: {len(rows)} raw model sentences re-checked")
    print("| threshold | kept (any source passes) |")
    print("| --- | --- |")
    for t in SUPPORT:
        kept = sum(any(support(c, p, t).passed for p in ps) for c, ps in rows)
        print(f"| {t:.2f} | {kept / max(1, len(rows)):.3f} |")


def bm25(settings: Settings, path: str) -> None:
    questions, _ = load_questions(path)
    print(f"\n## bm25_weight on {path} (retrieval only)")
    print("| bm25_weight | R@1 | R@5 | MRR@10 |")
    print("| --- | --- | --- | --- |")
    for w in BM25:
        s = summarize(run(build_assistant(settings.replace(bm25_weight=w)), questions, True))
        o = s["overall"]
        print(f"| {w} | {o['recall@1']:.3f} | {o['recall@5']:.3f} | {o['mrr@10']:.3f} |")


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", nargs="+")
    parser.add_argument("--results", help="folder of a full `rag eval` run (for support)")
    parser.add_argument(
        "--only", choices=["guard", "followup", "findings", "support", "bm25"], action="append"
    )
    args = parser.parse_args()
    only = set(args.only or ["guard", "followup", "findings", "support"])
    settings = load_settings()
    assistant = build_assistant(settings)
    for path in args.questions:
        name = Path(path).name
        data = cases(assistant, path) if only & {"guard", "findings"} else []
        if "guard" in only:
            guard_sweep(assistant, name, data)
        if "followup" in only:
            followup_sweep(assistant, name, path)
        if "findings" in only:
            findings_sweep(assistant, name, data)
        if "bm25" in only:
            bm25(settings, path)
    if "support" in only and args.results:
        lines = (Path(args.results) / "results.jsonl").read_text().splitlines()
        support_sweep(assistant, {r["id"]: r for r in map(json.loads, lines) if "answer" in r})


if __name__ == "__main__":
    main()
