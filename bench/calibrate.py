"""Calibrate rag's thresholds on a question file and print the sweep tables.

    .venv/bin/python bench/calibrate.py bench/dev_questions.jsonl [--results bench/out/default]

- abstain_threshold: the best question-to-sentence cosine of the sources (what
  Assistant.ask compares before calling the model). Read from the `Sources` event, which
  ask() streams before generation, so no model runs here.
- support_threshold: re-checks the model's raw answers of an earlier full run
  (`rag eval --out DIR`, results.jsonl) at each candidate value, with the same support
  function the assistant uses; again no model runs.
- bm25_weight: retrieval-only runs of the harness.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.assistant import Assistant, build_assistant  # noqa: E402
from rag.cite import check_citations  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.evaluate import (  # noqa: E402
    auc,
    citation_precision,
    citation_recall,
    load_questions,
    run,
    summarize,
    supported_share,
)
from rag.types import Evidence, Sources, Turn  # noqa: E402

ABSTAIN = (0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50)
SUPPORT = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60)
BM25 = (0.2, 0.3, 0.4)


def sources(assistant: Assistant, question: str, history: list[Turn]) -> Sources:
    """The first event of ask(): retrieval and evidence, before the model is called."""
    events = assistant.ask(question, history)
    first = next(events)
    events.close()
    assert isinstance(first, Sources)
    return first


def best_relevance(evidence: tuple[Evidence, ...]) -> float:
    return max((r for e in evidence for r in e.relevance), default=0.0)


def abstention(assistant: Assistant, questions_path: str, results: dict[str, dict]) -> None:
    questions, _ = load_questions(questions_path)
    text = {q.id: q.question for q in questions}
    # A full run recorded each question's best relevance; otherwise retrieve again.
    scores = {i: r["max_relevance"] for i, r in results.items()}
    for q in questions:
        if q.id not in scores:
            history = [Turn(text[q.context_id], "")] if q.context_id else []
            scores[q.id] = best_relevance(sources(assistant, q.question, history).evidence)
    pos = [scores[q.id] for q in questions if q.answerable]
    neg = [scores[q.id] for q in questions if q.answerable is False]
    print(f"\n## abstain_threshold: best question-sentence cosine ({len(pos)} answerable, "
          f"{len(neg)} unanswerable)")  # fmt: skip
    print(f"AUC answerable vs unanswerable: {auc(pos, neg):.3f}")
    print(f"answerable   min {min(pos):.3f}  sorted low: {sorted(pos)[:5]}")
    print(f"unanswerable max {max(neg):.3f}  sorted high: {sorted(neg)[-5:]}")
    model_declined = {i for i, r in results.items() if r.get("abstained")}
    print("\n| threshold | declined unanswerable | declined answerable |"
          " with model declines: unanswerable | answerable |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for t in ABSTAIN:
        u = sum(s < t for s in neg) / len(neg)
        a = sum(s < t for s in pos) / len(pos)
        row = f"| {t:.2f} | {u:.3f} | {a:.3f} |"
        if results:  # model declines are known only for questions the model answered
            du = [q.id for q in questions if q.answerable is False and q.id in results]
            da = [q.id for q in questions if q.answerable and q.id in results]
            fu = sum(scores[i] < t or i in model_declined for i in du) / len(du)
            fa = sum(scores[i] < t or i in model_declined for i in da) / len(da)
            row += f" {fu:.3f} | {fa:.3f} |"
        else:
            row += " – | – |"
        print(row)
    if results:
        print("(with model declines: a question declined either way; exact for thresholds at or"
              " above the run's own, an upper bound below it)")  # fmt: skip


def support(assistant: Assistant, questions_path: str, results: dict[str, dict]) -> None:
    """Re-check the raw answers of a full run at each candidate support threshold."""
    questions, _ = load_questions(questions_path)
    answered = [q for q in questions if q.id in results and not results[q.id].get("abstained")]
    cases = []
    for q in answered:
        r = results[q.id]
        evidence = sources(assistant, r["query"], []).evidence  # query is already standalone
        # Support does not depend on the threshold: score each claim once, not per value.
        cases.append((q, r["raw_answer"], evidence, cache(assistant._support(evidence))))
    print(f"\n## support_threshold: {len(cases)} answers re-checked")
    print("| threshold | citation precision | citation recall | supported sentences |"
          " answers with no citation |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for t in SUPPORT:
        prec, rec, sup, none = [], [], [], 0
        for q, raw, evidence, fn in cases:
            checked = check_citations(raw, evidence, fn, t)
            cited = [c.title for c in checked.citations]
            gold = q.gold_titles or ()
            none += not cited
            if (p := citation_precision(cited, gold)) is not None and gold:
                prec.append(p)
            if (c := citation_recall(cited, gold)) is not None:
                rec.append(c)
            if (s := supported_share(checked.text, checked.unsupported)) is not None:
                sup.append(s)
        print(f"| {t:.2f} | {_mean(prec):.3f} | {_mean(rec):.3f} | {_mean(sup):.3f} |"
              f" {none}/{len(cases)} |")  # fmt: skip


def cache(fn: Callable[[str], dict]) -> Callable[[str], dict]:
    memo: dict[str, dict] = {}
    return lambda claim: memo[claim] if claim in memo else memo.setdefault(claim, fn(claim))


def bm25(settings, questions_path: str) -> None:
    questions, _ = load_questions(questions_path)
    print("\n## bm25_weight (retrieval only)")
    print("| bm25_weight | R@1 | R@5 | MRR@10 | R@1 single | R@1 multi | R@1 followup |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for w in BM25:
        assistant = build_assistant(settings.replace(bm25_weight=w))
        s = summarize(run(assistant, questions, retrieval_only=True))
        o, t = s["overall"], s["by_type"]
        r1 = [f"{t[k]['recall@1']:.3f}" if k in t else "–" for k in ("single", "multi", "followup")]
        print(f"| {w} | {o['recall@1']:.3f} | {o['recall@5']:.3f} | {o['mrr@10']:.3f} | "
              + " | ".join(r1) + " |")  # fmt: skip


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def _results(folder: str | None) -> dict[str, dict]:
    import json

    if not folder:
        return {}
    lines = (Path(folder) / "results.jsonl").read_text().splitlines()
    return {r["id"]: r for r in map(json.loads, lines) if "answer" in r}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions")
    parser.add_argument("--results", help="folder of a full `rag eval` run (for support)")
    parser.add_argument("--only", choices=["abstain", "support", "bm25"], action="append")
    args = parser.parse_args()
    only = set(args.only or ["abstain", "support", "bm25"])
    settings = load_settings()
    assistant = build_assistant(settings)
    results = _results(args.results)
    if "abstain" in only:
        abstention(assistant, args.questions, results)
    if "support" in only and results:
        support(assistant, args.questions, results)
    if "bm25" in only:
        bm25(settings, args.questions)


if __name__ == "__main__":
    main()
