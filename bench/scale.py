"""What a big corpus costs: stores of 1k, 10k (and 100k) papers, built from the seeds.

    .venv/bin/python bench/scale.py                 # 1,000 and 10,000 papers
    .venv/bin/python bench/scale.py 1000 10000 100000

Embedding 100,000 abstracts takes hours here, so the embedder's rate is measured on a
sample (the seed papers' abstract views, the first ingest pass) and the big stores are
written with real vectors of sampled text: each generated paper is a seed paper under a
new title, its chunks carrying that seed chunk's real vector plus a little noise. Their
text is real, so the keyword index is as big as a real one. For each size this prints
the write rate, start-up (open the store, load the keyword index, first search), search
latency p50/p95 over the bench questions, peak RSS of that process and the store's size.
Not a test: compare ratios between sizes and runs, not absolute seconds.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from rag.chunking import chunk_paper, embed_text  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.corpus import read_papers  # noqa: E402
from rag.embed import SentenceTransformerEmbedder  # noqa: E402
from rag.store import Store  # noqa: E402

NOISE = 0.02  # keeps generated vectors distinct while as close to real as the seeds
QUERIES = 60


def embed_rate(embedder: SentenceTransformerEmbedder, papers: list) -> float:
    texts = [embed_text(chunk_paper(p)[0]) for p in papers]
    embedder.encode(texts[:8])
    start = time.perf_counter()
    embedder.encode(texts)
    return len(texts) / (time.perf_counter() - start)


def build(store_path: Path, size: int, seeds: list, vectors: dict[str, list[float]]) -> float:
    """Write `size` papers; returns papers written per second."""
    store = Store(Settings(store_path=str(store_path)), create=True,
                  embedder_name="all-MiniLM-L6-v2")  # fmt: skip
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    batch, papers = [], {}
    for i in range(size):
        seed = seeds[i % len(seeds)]
        paper = dataclasses.replace(seed, id=f"g{i:07d}", title=f"{seed.title} ({i})")
        papers[paper.id] = paper
        for chunk, original in zip(chunk_paper(paper), chunk_paper(seed), strict=True):
            batch.append((chunk, vectors[original.id]))
        if len(batch) >= 2000 or i == size - 1:
            vecs = np.array([v for _, v in batch])
            vecs += rng.normal(0, NOISE, vecs.shape)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            store.add([c for c, _ in batch], papers, vecs.tolist())
            batch, papers = [], {}
    store.save_keywords()
    return size / (time.perf_counter() - start)


PROBE = """
import json, resource, sys, time
start = time.perf_counter()
from rag.assistant import build_assistant
from rag.config import Settings
from rag.embed import SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder(); embedder.load()
loaded = time.perf_counter()
assistant = build_assistant(Settings(store_path=sys.argv[1]), embedder=embedder)
questions = json.loads(sys.argv[2])
assistant.search(questions[0])
startup = time.perf_counter() - loaded
times = []
for q in questions:
    t = time.perf_counter(); assistant.search(q); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"startup_s": startup, "p50": times[len(times) // 2],
                  "p95": times[int(len(times) * 0.95)],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(store_path: Path, questions: list[str]) -> dict:
    """Start-up and search in a fresh process, so RSS and start-up are a user's."""
    run = subprocess.run([sys.executable, "-c", PROBE, str(store_path), json.dumps(questions)],
                         capture_output=True, text=True, cwd=ROOT, check=True)  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1])


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    sizes = [int(x) for x in sys.argv[1:]] or [1000, 10000]
    seeds = read_papers([ROOT / "seeds"])
    embedder = SentenceTransformerEmbedder()
    print(f"embedder: {embed_rate(embedder, seeds[:120]):.1f} papers/s "
          "(abstract views: the first ingest pass, after which a paper is searchable)")
    chunks = [c for p in seeds for c in chunk_paper(p)]
    vectors = dict(zip([c.id for c in chunks],
                       embedder.encode([embed_text(c) for c in chunks]), strict=True))  # fmt: skip
    lines = (ROOT / "bench" / "dev_questions.jsonl").read_text().splitlines()
    questions = [json.loads(x)["question"] for x in lines][:QUERIES]
    print("| papers | chunks | write papers/s | start-up s | search p50 ms | p95 ms | "
          "peak RSS MB | store MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "store"
            rate = build(path, size, seeds, vectors)
            m = measure(path, questions)
            count = Store(Settings(store_path=str(path))).count()
            print(f"| {size:,} | {count:,} | {rate:.0f} | {m['startup_s']:.2f} | "
                  f"{m['p50'] * 1000:.0f} | {m['p95'] * 1000:.0f} | {m['rss_mb']:.0f} | "
                  f"{size_mb(path):.0f} |", flush=True)


if __name__ == "__main__":
    main()
