"""Print the numbers that matter on this machine: ingest time, retrieval latency, time to
the findings on screen, time to first token and tokens/s, and the pipeline's overhead over
the bare llama.cpp model.

    .venv/bin/python bench/bench.py            # full: fresh ingest of seeds/ into a temp store
    .venv/bin/python bench/bench.py --no-ingest  # use the project store as it is

Not a test: machines are noisy, so compare ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.assistant import build_assistant  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.embed import SentenceTransformerEmbedder  # noqa: E402
from rag.ingest import ingest  # noqa: E402
from rag.store import Store  # noqa: E402
from rag.types import Answer, Sources  # noqa: E402

ASK_QUESTIONS = [
    "Which paper mines audio and text pairs from public data to improve ASR for "
    "low-resource languages?",
    "How does EfficientQAT make quantization-aware training cheaper?",
    "What does Senna combine for autonomous driving?",
    "Which methods reduce the cost of mixture-of-experts inference?",
    "How can large language models be used for dense retrieval?",
]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def bench_ingest(settings, embedder) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(settings.replace(store_path=tmp), create=True, embedder_name=embedder.name)
        first = ingest([ROOT / "seeds"], store, embedder)
        again = ingest([ROOT / "seeds"], store, embedder)
    print(f"ingest seeds/: {first.papers} papers, {first.chunks} chunks in {first.seconds:.1f} s "
          f"({first.chunks / first.seconds:.0f} chunks/s); unchanged re-run {again.seconds:.2f} s")


def bench_retrieval(assistant) -> None:
    questions = [json.loads(x)["question"]
                 for x in (ROOT / "bench" / "dev_questions.jsonl").read_text().splitlines()]
    stored = assistant.retriever.store.papers().values()
    queries = questions + [p.title for p, _ in list(stored)[:100]]
    assistant.search(queries[0])
    times = []
    for q in queries:
        start = time.perf_counter()
        assistant.search(q)
        times.append(time.perf_counter() - start)
    print(f"retrieval over {len(queries)} queries: p50 {pct(times, .5) * 1000:.0f} ms, "
          f"p95 {pct(times, .95) * 1000:.0f} ms")


def bench_findings(assistant) -> None:
    """Question to findings on screen: the Sources event carries them, before the model."""
    lines = (ROOT / "bench" / "hard_questions.jsonl").read_text().splitlines()
    rows = [json.loads(x) for x in lines]
    questions = [r["question"] for r in rows if r["type"] in ("single", "unanswerable")]
    times = []
    for q in questions:
        start = time.perf_counter()
        events = assistant.ask(q)
        sources = next(events)
        times.append(time.perf_counter() - start)
        events.close()  # the model is not needed for this number
        assert isinstance(sources, Sources)
    print(f"findings on screen over {len(times)} questions: p50 {pct(times, .5) * 1000:.0f} ms, "
          f"p95 {pct(times, .95) * 1000:.0f} ms (target <= 300 ms)")


def bench_answers(assistant, settings) -> None:
    from llama_cpp import Llama

    captured = []
    stream = assistant.generator.stream

    def recording(messages):
        captured.append(messages)
        return stream(messages)

    assistant.generator.stream = recording
    rows = []
    for q in ASK_QUESTIONS:
        answer = [e for e in assistant.ask(q) if isinstance(e, Answer)][0]
        if not answer.abstained:
            rows.append(answer.timings)
    bare = Llama(model_path=str(assistant.generator.path), n_ctx=settings.n_ctx,
                 n_threads=assistant.generator.n_threads, verbose=False)
    bare_rows = []
    for messages in captured:
        start = time.perf_counter()
        first, n = None, 0
        for chunk in bare.create_chat_completion(messages=messages, stream=True,
                                                 max_tokens=settings.max_tokens, temperature=0):
            if chunk["choices"][0]["delta"].get("content"):
                first, n = first or time.perf_counter(), n + 1
        end = time.perf_counter()
        bare_rows.append(((first or end) - start, n / (end - (first or end) or 1)))

    ttft = statistics.median(t.ttft_s for t in rows)
    tps = statistics.median(t.tokens_per_s for t in rows)
    prompt = statistics.median(t.prompt_tokens for t in rows)
    bare_ttft = statistics.median(r[0] for r in bare_rows)
    bare_tps = statistics.median(r[1] for r in bare_rows)
    print(f"rag ask ({len(rows)} answered): time to first token p50 {ttft:.2f} s "
          f"(prompt ~{prompt:.0f} tokens), {tps:.1f} tokens/s, "
          f"total p50 {statistics.median(t.total_s for t in rows):.2f} s")
    print(f"bare llama_cpp, same prompts: time to first token p50 {bare_ttft:.2f} s, "
          f"{bare_tps:.1f} tokens/s")
    print(f"pipeline / bare: time to first token x{ttft / bare_ttft:.2f}, "
          f"tokens/s x{tps / bare_tps:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ingest", action="store_true", help="skip the fresh-ingest timing")
    args = parser.parse_args()
    settings = load_settings()
    embedder = SentenceTransformerEmbedder(settings.embedder or None)
    start = time.perf_counter()
    embedder.load()
    print(f"embedder load {time.perf_counter() - start:.1f} s")
    if not args.no_ingest:
        bench_ingest(settings, embedder)
    assistant = build_assistant(settings, embedder=embedder)
    start = time.perf_counter()
    assistant.warm_up()
    print(f"model load {time.perf_counter() - start:.1f} s ({Path(assistant.generator.name).name})")
    bench_retrieval(assistant)
    bench_findings(assistant)
    bench_answers(assistant, settings)


if __name__ == "__main__":
    main()
