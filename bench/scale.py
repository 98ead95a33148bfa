"""What a big corpus costs: stores of 1k, 10k (and 100k) papers, built from the seeds.

    .venv/bin/python bench/scale.py                 # 1,000 and 10,000 papers
    .venv/bin/python bench/scale.py 1000 10000 100000
    .venv/bin/python bench/scale.py --server 10000  # the same against a Chroma server
    .venv/bin/python bench/scale.py --chroma-url http://host:8000 10000

Embedding 100,000 abstracts takes hours here, so the embedder's rate is measured on a
sample (the seed papers' quick abstract views, the first ingest pass) and the big stores are
written with real vectors of sampled text: each generated paper is a seed paper under a
new title, its chunks carrying that seed chunk's real vector plus a little noise. Their
text is real, so the keyword index is as big as a real one. The build writes quick views
first and then replaces them, as `rag ingest` does. For each size this prints
the write rate, start-up (open the store, load the keyword index, first search), search
latency p50/p95 over the bench questions, the evidence step (each question's top papers'
sentences and their vectors, read from the store), peak RSS of that process and the
store's size. `--server` starts `chroma run` on a temporary folder and measures through it
(the server's own peak RSS in the last column); `--chroma-url` uses a running server (its
collection is emptied first). A server store has no saved keyword index: the client
builds BM25 from every paper at start-up.
Not a test: compare ratios between sizes and runs, not absolute seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from rag.chunking import chunk_paper, embed_text, quick_text, quick_view  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.corpus import read_papers  # noqa: E402
from rag.embed import SentenceTransformerEmbedder  # noqa: E402
from rag.store import Store  # noqa: E402

NOISE = 0.02  # keeps generated vectors distinct while as close to real as the seeds
QUERIES = 60
# Chunks per Store.add while building: as ingest writes (rag/ingest.py batches 256, and each
# add is one lock and one upsert per kind), larger to write big stores faster.
WRITE_CHUNKS = 2000
SERVER_START_S = 60  # as tests/integration/test_servers.py waits for `chroma run`
SERVER_COLLECTION = "scalebench"
BUILT = "built"  # marks a kept store whose build finished (an unfinished one is rebuilt)
VECTOR_CACHE = ROOT / "bench" / "out" / "scale-seed-vectors.npz"  # bench/out is not committed


def embed_rate(embedder: SentenceTransformerEmbedder, papers: list) -> float:
    texts = [quick_text(quick_view(chunk_paper(p)[0])) for p in papers]
    embedder.encode(texts[:8])
    start = time.perf_counter()
    embedder.encode(texts)
    return len(texts) / (time.perf_counter() - start)


def seed_vectors(embedder: SentenceTransformerEmbedder, seeds: list) -> dict[str, list[float]]:
    """Every seed chunk's vector, embedded once and then read from VECTOR_CACHE (embedding
    the 8,837 seed chunks takes ~4 minutes here; chunk ids are content hashes)."""
    chunks = [c for p in seeds for c in chunk_paper(p)]
    ids = [c.id for c in chunks]
    if VECTOR_CACHE.exists():
        cached = np.load(VECTOR_CACHE)
        if cached["ids"].tolist() == ids and str(cached["embedder"]) == embedder.name:
            return dict(zip(ids, cached["vectors"].tolist(), strict=True))
    vectors = embedder.encode([embed_text(c) for c in chunks])
    VECTOR_CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(VECTOR_CACHE, ids=np.array(ids), vectors=np.array(vectors, dtype=np.float32),
             embedder=np.array(embedder.name))  # fmt: skip
    return dict(zip(ids, vectors, strict=True))


def build(settings: Settings, size: int, seeds: list, vectors: dict[str, list[float]]) -> float:
    """Write `size` papers as `rag ingest` does, in two passes: a quick view of every paper
    (here the abstract view's vector), then every chunk, each batch deleting the quick views
    it replaces, so the abstract index keeps one deleted vector a paper, as a real store
    does. Returns papers written per second."""
    store = Store(settings, create=True, embedder_name="all-MiniLM-L6-v2")
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for quick in (True, False):
        batch, papers = [], {}
        for i in range(size):
            seed = seeds[i % len(seeds)]
            paper = dataclasses.replace(seed, id=f"g{i:07d}", title=f"{seed.title} ({i})")
            papers[paper.id] = paper
            pairs = zip(chunk_paper(paper), chunk_paper(seed), strict=True)
            if quick:
                pairs = [(quick_view(c), o) for c, o in pairs if c.kind == "abstract"]
            batch.extend((chunk, vectors[original.id]) for chunk, original in pairs)
            if len(batch) >= WRITE_CHUNKS or i == size - 1:
                _write(store, batch, papers, rng, replace_quick=not quick)
                batch, papers = [], {}
    store.save_keywords()
    store.close()
    return size / (time.perf_counter() - start)


def _write(store: Store, batch: list, papers: dict, rng, replace_quick: bool) -> None:
    vecs = np.array([v for _, v in batch])
    vecs += rng.normal(0, NOISE, vecs.shape)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    chunks = [c for c, _ in batch]
    replacing = [quick_view(c).id for c in chunks if c.kind == "abstract"] if replace_quick else []
    store.add(chunks, papers, vecs.tolist(), replacing)


PROBE = """
import json, sys, time
# Peak RSS is VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across exec, so a
# child forked by a process of 2 GB read 1,921 MB before it allocated anything (VmHWM: 14
# MB; tried 2026-12-04). Measured so, every row before 2026-12-04 was the RSS of the bench
# process that had just built the store, not a user's.
def now():  # current and peak RSS so far, MB: what each step added
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return [round(int(status[k].split()[0]) / 1024) for k in ("VmRSS", "VmHWM")]
def rss(): return now()[1]
steps = {}
start = time.perf_counter()
from rag.assistant import build_assistant
from rag.config import Settings
from rag.embed import SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder(); embedder.load()
steps["embedder"] = now()
loaded = time.perf_counter()
assistant = build_assistant(Settings(**json.loads(sys.argv[1])), embedder=embedder)
steps["opened"] = now()
questions = json.loads(sys.argv[2])
assistant.search(questions[0])
startup = time.perf_counter() - loaded
steps["first search"] = now()
times, hits = [], []
for q in questions:
    t = time.perf_counter(); hits.append(assistant.search(q)); times.append(time.perf_counter() - t)
searched = rss()
steps["searches"] = now()
retriever, evidence = assistant.retriever, []
for q, found in zip(questions, hits):
    vector = embedder.encode([q])[0]
    t = time.perf_counter(); retriever.evidence(vector, found, 3)
    evidence.append(time.perf_counter() - t)
steps["evidence"] = now()
def pct(xs, p): return sorted(xs)[int(len(xs) * p)]
print(json.dumps({"startup_s": startup, "p50": pct(times, 0.5), "p95": pct(times, 0.95),
                  "evidence_p50": pct(evidence, 0.5), "rss_search_mb": searched,
                  "rss_mb": rss(), "steps": steps}))
"""


def measure(settings: dict, questions: list[str]) -> dict:
    """Start-up and search in a fresh process, so RSS and start-up are a user's."""
    run = subprocess.run([sys.executable, "-c", PROBE, json.dumps(settings), json.dumps(questions)],
                         capture_output=True, text=True, cwd=ROOT, check=True)  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1])


@contextmanager
def chroma_server(folder: Path) -> Iterator[tuple[str, int]]:
    """`chroma run` on a folder (as tests/integration/test_servers.py starts it): (url, pid)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--path", str(folder), "--port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(SERVER_START_S * 10):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def peak_rss_mb(pid: int | None) -> float:
    """A process's peak RSS so far (VmHWM), 0 when there is none to read."""
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def empty_server(url: str) -> None:
    """Drop the benchmark's collections from a running server (a fresh start per size)."""
    from rag.chroma import client
    from rag.layout import user_facing

    server = client(Settings(chroma_url=url))
    for col in server.list_collections():
        if user_facing(col.name) == SERVER_COLLECTION:
            server.delete_collection(col.name)


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", action="store_true", help="start a Chroma server for it")
    where.add_argument("--chroma-url", help="a running Chroma server (its bench collection "
                       f"{SERVER_COLLECTION!r} is replaced)")  # fmt: skip
    where.add_argument("--keep", type=Path, metavar="DIR", help="build each local store in "
                       "DIR/SIZE and keep it; a store already there is measured, not rebuilt")
    args = parser.parse_args()
    seeds = read_papers([ROOT / "seeds"])
    embedder = SentenceTransformerEmbedder()
    print(f"embedder: {embed_rate(embedder, seeds[:120]):.1f} papers/s "
          "(quick abstract views: the first ingest pass, after which a paper is searchable)")
    vectors = seed_vectors(embedder, seeds)
    lines = (ROOT / "bench" / "dev_questions.jsonl").read_text().splitlines()
    questions = [json.loads(x)["question"] for x in lines][:QUERIES]
    print("| papers | chunks | write papers/s | start-up s | search p50 ms | p95 ms | "
          "evidence p50 ms | peak RSS MB (after search) | store MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        with _folder(args.keep, size) as tmp, _target(args, tmp) as (settings, pid):
            kept = args.keep and (tmp / BUILT).exists()
            rate = "kept" if kept else f"{build(Settings(**settings), size, seeds, vectors):.0f}"
            (tmp / BUILT).touch()
            m = measure(settings, questions)
            print("RSS and peak RSS after each step, MB:", json.dumps(m["steps"]), file=sys.stderr)
            count = Store(Settings(**settings)).count()
            server = f"; server {peak_rss_mb(pid):.0f}" if pid else ""
            print(f"| {size:,} | {count:,} | {rate} | {m['startup_s']:.2f} | "
                  f"{m['p50'] * 1000:.0f} | {m['p95'] * 1000:.0f} | "
                  f"{m['evidence_p50'] * 1000:.0f} | {m['rss_mb']:.0f} "
                  f"({m['rss_search_mb']:.0f}){server} | "
                  f"{size_mb(tmp):.0f} |", flush=True)  # fmt: skip


@contextmanager
def _folder(keep: Path | None, size: int) -> Iterator[Path]:
    """Where a store of `size` papers is built: DIR/SIZE with --keep, else a temporary one."""
    if keep:
        folder = keep / str(size)
        if not (folder / BUILT).exists():  # an interrupted build starts again from nothing
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@contextmanager
def _target(args: argparse.Namespace, tmp: Path) -> Iterator[tuple[dict, int | None]]:
    """The store to build, as Settings fields, and the server's pid when we started one."""
    if args.chroma_url:
        empty_server(args.chroma_url)
        yield {"chroma_url": args.chroma_url, "collection": SERVER_COLLECTION}, None
    elif args.server:
        with chroma_server(tmp / "server") as (url, pid):
            yield {"chroma_url": url, "collection": SERVER_COLLECTION}, pid
    else:
        yield {"store_path": str(tmp / "store")}, None


if __name__ == "__main__":
    main()
