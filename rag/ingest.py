"""Bring the store in line with the input files, embedding only what is new.

Chunk ids are content hashes, so a re-run embeds nothing, a changed abstract replaces
its chunks, and an interrupted run is completed by the next one. New chunks are written
in batches of whole papers, so a paper is never half-present after an interruption.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.chunking import chunk_paper, embed_text
from rag.corpus import read_papers
from rag.embed import Embedder
from rag.records import parse_listings, signature
from rag.store import Store
from rag.types import Chunk, Listing, Paper

# Chunks per embed-and-write batch: big enough that sentence-transformers can group
# chunks of like length (one seed file: 30 s at 256 against 44 s at 64), small enough
# that an interrupt loses about 5 seconds of work.
BATCH_CHUNKS = 256

Progress = Callable[[int, int, int, int], None]  # papers done/total, chunks done/total


@dataclass(frozen=True)
class IngestReport:
    papers: int
    chunks: int
    added: int
    removed: int
    refreshed: int
    pruned_papers: int
    seconds: float


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the store in line with the papers in these files and folders."""
    return ingest_papers(read_papers(paths), store, embedder, prune, progress)


def ingest_papers(
    new_papers: list[Paper],
    store: Store,
    embedder: Embedder,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    start = time.perf_counter()
    stored = store.chunk_index()
    known = {pid: parse_listings(listings) for pid, listings, _ in stored.values()}
    papers = {p.id: _merge_listings(p, known.get(p.id), prune) for p in new_papers}
    chunks = [c for p in papers.values() for c in chunk_paper(p)]
    wanted = {c.id for c in chunks}

    new = [c for c in chunks if c.id not in stored]
    stale = {cid for cid, (pid, *_) in stored.items() if pid in papers and cid not in wanted}
    refresh = [
        c for c in chunks if c.id in stored and stored[c.id][2] != signature(papers[c.paper_id])
    ]
    pruned = _gone_papers(papers, known) if prune else set()

    _add(new, papers, store, embedder, progress)
    store.update_metadata(refresh, papers)
    gone = stale | {cid for cid, (pid, *_) in stored.items() if pid in pruned}
    store.delete(gone)
    if new or gone or refresh or store.keywords() is None:
        store.save_keywords()
    return IngestReport(
        papers=len(papers),
        chunks=len(chunks),
        added=len(new),
        removed=len(gone),
        refreshed=len(refresh),
        pruned_papers=len(pruned),
        seconds=time.perf_counter() - start,
    )


def _add(
    new: list[Chunk],
    papers: dict[str, Paper],
    store: Store,
    embedder: Embedder,
    progress: Progress | None,
) -> None:
    by_paper: dict[str, list[Chunk]] = defaultdict(list)
    for c in new:
        by_paper[c.paper_id].append(c)
    done_papers = done_chunks = 0
    if progress and new:
        progress(0, len(by_paper), 0, len(new))
    batch: list[Chunk] = []
    for n, group in enumerate(by_paper.values(), 1):
        batch += group
        if len(batch) >= BATCH_CHUNKS or n == len(by_paper):
            store.add(batch, papers, embedder.encode([embed_text(c) for c in batch]))
            done_papers, done_chunks = n, done_chunks + len(batch)
            batch = []
            if progress:
                progress(done_papers, len(by_paper), done_chunks, len(new))


def _merge_listings(paper: Paper, known: tuple[Listing, ...] | None, prune: bool) -> Paper:
    """A paper remembers every listing it appeared in, across ingest runs (with --prune,
    not those whose files are gone)."""
    if known is None:
        return paper
    old = [x for x in known if not prune or Path(x.source).exists()]
    listings = (*old, *(x for x in paper.listings if x not in old))
    return dataclasses.replace(paper, listings=listings)


def _gone_papers(papers: dict[str, Paper], known: dict[str, tuple[Listing, ...]]) -> set[str]:
    """Papers in the store, not in this run, whose every source file no longer exists."""
    return {
        pid
        for pid, listings in known.items()
        if pid not in papers and not any(Path(x.source).exists() for x in listings)
    }
