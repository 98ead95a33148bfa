"""Bring the store in line with the input files, embedding only what is new.

Chunk ids are content hashes, so a re-run embeds nothing, a changed abstract replaces
its chunks, and an interrupted run is completed by the next one. New chunks are written
in batches of whole papers, so a paper is never half-present after an interruption;
until its batch is written a new paper is found by its quick view (see `_add`).
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.chunking import chunk_paper, embed_text, is_quick, quick_text, quick_view
from rag.corpus import input_files, read_papers
from rag.embed import Embedder
from rag.records import parse_listings, signature
from rag.store import Store
from rag.types import Chunk, Listing, Paper

# Chunks per embed-and-write batch: big enough that sentence-transformers can group
# chunks of like length (one seed file: 30 s at 256 against 44 s at 64), small enough
# that an interrupt loses about 5 seconds of work.
BATCH_CHUNKS = 256

Progress = Callable[[str, int, int], None]  # stage, papers done, papers in the stage
ABSTRACTS = "searchable (quick abstract views)"
VIEWS = "full abstract and sentence views"


@dataclass(frozen=True)
class IngestReport:
    papers: int
    chunks: int
    added: int
    removed: int
    refreshed: int
    pruned_papers: int
    seconds: float
    searchable_s: float | None = None  # until every new paper could be found (None: none new)


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the store in line with the papers in these files and folders (which must
    read without a problem: the faces use read_corpus and ingest_papers for partial input)."""
    papers = read_papers(paths)
    whole = frozenset(str(f.resolve()) for f in input_files(paths))
    return ingest_papers(papers, store, embedder, prune, progress, whole)


def ingest_papers(
    new_papers: list[Paper],
    store: Store,
    embedder: Embedder,
    prune: bool = False,
    progress: Progress | None = None,
    complete: frozenset[str] = frozenset(),
    notify: Callable[[str], None] | None = None,
) -> IngestReport:
    """Store these papers. With `prune`, papers whose sources are all gone, or were read
    whole (`complete`) without them, are removed. `notify` hears what the progress does
    not show (papers an interrupted ingest left to complete)."""
    start = time.perf_counter()
    stored = store.chunk_index()
    known = {pid: parse_listings(listings) for pid, listings, _ in stored.values()}
    papers = {p.id: _merge_listings(p, known.get(p.id), prune) for p in new_papers}
    chunks = [c for p in papers.values() for c in chunk_paper(p)]
    wanted = {c.id for c in chunks}

    new = [c for c in chunks if c.id not in stored]
    read_s = time.perf_counter() - start
    stale = {cid for cid, (pid, *_) in stored.items() if pid in papers and cid not in wanted}
    refresh = [
        c for c in chunks if c.id in stored and stored[c.id][2] != signature(papers[c.paper_id])
    ]
    pruned = _gone_papers(papers, known, complete) if prune else set()

    searchable = _add(new, stored, papers, store, embedder, progress, notify)
    store.update_metadata(refresh, papers)
    gone = stale | {cid for cid, (pid, *_) in stored.items() if pid in pruned}
    store.delete(gone)
    if gone or refresh or store.keywords() is None:
        store.save_keywords()
    return IngestReport(
        papers=len(papers),
        chunks=len(chunks),
        added=len(new),
        removed=len(gone),
        refreshed=len(refresh),
        pruned_papers=len(pruned),
        seconds=time.perf_counter() - start,
        searchable_s=None if searchable is None else searchable + read_s,
    )


def _add(
    new: list[Chunk],
    stored: dict[str, tuple[str, str, str]],
    papers: dict[str, Paper],
    store: Store,
    embedder: Embedder,
    progress: Progress | None,
    notify: Callable[[str], None] | None,
) -> float | None:
    """Embed and write the new chunks in two passes. First a quick view of every new
    paper's abstract (rag/chunking.py: the head only, twice the rate; the paper is then
    searchable and in the keyword index). Then, a whole paper per batch, its full abstract
    view and sentence views, each batch deleting the quick views it replaces, so the store
    ends as if written in one pass and a paper is never missing from search. An interrupted
    run leaves quick views; the next ingest completes their papers the same way. Returns
    the seconds until the new papers were searchable."""
    start = time.perf_counter()
    abstracts = [c for c in new if c.kind == "abstract"]
    first = [quick_view(c) for c in abstracts if quick_view(c).id not in stored]
    if notify and len(first) < len(abstracts):
        notify(f"completing {len(abstracts) - len(first)} papers an interrupted ingest left "
               "searchable but not fully indexed")  # fmt: skip
    _embed_in_batches(ABSTRACTS, [[c] for c in first], papers, store, embedder, progress)
    if first:
        store.save_keywords()
    searchable = time.perf_counter() - start if first else None
    by_paper: dict[str, list[Chunk]] = defaultdict(list)
    for c in new:
        by_paper[c.paper_id].append(c)
    _embed_in_batches(VIEWS, list(by_paper.values()), papers, store, embedder, progress)
    return searchable


def _embed_in_batches(
    stage: str,
    groups: list[list[Chunk]],
    papers: dict[str, Paper],
    store: Store,
    embedder: Embedder,
    progress: Progress | None,
) -> None:
    """Write groups of chunks (never splitting a group) in batches of about BATCH_CHUNKS;
    a full abstract view replaces its quick view in the same write."""
    if progress and groups:
        progress(stage, 0, len(groups))
    batch: list[Chunk] = []
    for n, group in enumerate(groups, 1):
        batch += group
        if len(batch) >= BATCH_CHUNKS or n == len(groups):
            texts = [quick_text(c) if is_quick(c.id) else embed_text(c) for c in batch]
            replaced = [quick_view(c).id for c in batch
                        if c.kind == "abstract" and not is_quick(c.id)]  # fmt: skip
            store.add(batch, papers, embedder.encode(texts), replacing=replaced)
            batch = []
            if progress:
                progress(stage, n, len(groups))


def _merge_listings(paper: Paper, known: tuple[Listing, ...] | None, prune: bool) -> Paper:
    """A paper remembers every listing it appeared in, across ingest runs (with --prune,
    not those whose files are gone)."""
    if known is None:
        return paper
    old = [x for x in known if not prune or Path(x.source).exists()]
    listings = (*old, *(x for x in paper.listings if x not in old))
    return dataclasses.replace(paper, listings=listings)


def _gone_papers(
    papers: dict[str, Paper], known: dict[str, tuple[Listing, ...]], complete: frozenset[str]
) -> set[str]:
    """Papers in the store, not in this run, whose every source file is gone or was just
    read whole without them (an edited file, a retitled paper)."""

    def gone(x: Listing) -> bool:
        return x.source in complete or not Path(x.source).exists()

    return {
        pid
        for pid, listings in known.items()
        if pid not in papers and all(gone(x) for x in listings)
    }
