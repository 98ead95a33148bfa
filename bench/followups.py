"""Which follow-up rewrite retrieves better: the cheap heuristic or the model?

    .venv/bin/python bench/followups.py

Asks each context question of bench/dev_questions.jsonl for real, then rewrites its
follow-up both ways and prints Recall@1/@5 of the gold paper and the rewrite's cost.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.assistant import build_assistant  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.types import Answer, Turn  # noqa: E402


def main() -> None:
    rows = [
        json.loads(x) for x in (ROOT / "bench" / "dev_questions.jsonl").read_text().splitlines()
    ]
    by_id = {r["id"]: r for r in rows}
    followups = [r for r in rows if r.get("type") == "followup"]
    settings = load_settings()
    assistants = {
        mode: build_assistant(settings.replace(rewrite=mode)) for mode in ("heuristic", "model")
    }
    base = assistants["heuristic"]
    base.warm_up()
    for a in assistants.values():  # share the loaded models
        a.embedder, a.generator, a.retriever = base.embedder, base.generator, base.retriever
    stats = {mode: {"r1": 0, "r5": 0, "s": 0.0} for mode in (*assistants, "none")}
    for f in followups:
        context = by_id[f["context_id"]]
        answer = [e for e in base.ask(context["question"]) if isinstance(e, Answer)][0]
        history = [Turn(context["question"], answer.text)]
        gold = set(f["gold_titles"])
        for mode, assistant in [*assistants.items(), ("none", None)]:
            start = time.perf_counter()
            query = (
                assistant.standalone_query(f["question"], history) if assistant else f["question"]
            )
            stats[mode]["s"] += time.perf_counter() - start
            titles = [h.paper.title for h in base.search(query, 5)]
            stats[mode]["r1"] += titles[0] in gold
            stats[mode]["r5"] += bool(gold & set(titles))
            print(f"{mode:9} {f['id']}: {query[:90]!r} -> {'hit' if titles[0] in gold else 'miss'}")
    n = len(followups)
    print(f"\n{n} follow-ups | R@1 | R@5 | rewrite s/question")
    for mode, s in stats.items():
        print(f"{mode:9} | {s['r1'] / n:.2f} | {s['r5'] / n:.2f} | {s['s'] / n:.2f}")


if __name__ == "__main__":
    main()
