"""Hybrid retrieval: dense (two views) + BM25, fused on z-scores, per paper.

MEASUREMENTS.md: a weighted sum of z-normalised scores beat reciprocal rank fusion by
10-20 points of R@5 on short questions (RRF throws score gaps away), and BM25 works best
weighted below dense (0.2-0.4).

The candidates are the nearest abstract views and BM25's best papers; each is then scored
on its best window exactly, read by paper id (the abstract cosine is the query's, the
worst seen for a candidate only BM25 found). Before, windows were searched by nearest
neighbour too and a candidate whose windows were not among the nearest took the worst
score seen: scoring every candidate's windows raised R@1 from 0.960 to 0.970 on the hard
dev set, 0.90 to 1.00 on its topic switches and 0.85 to 0.95 on
bench/attribute2_questions.jsonl, the first set's R@1 unchanged and its R@5 1.000 ->
0.995 (2026-12-04), and no window vector needs to be in memory (bench/scale.py). Reading
the BM25-only candidates' abstract vectors too kept that R@5 at 1.000 but cost 43 ms a
search at 100,000 papers (Chroma filters by paper id by scanning its metadata).
"""

from __future__ import annotations

from statistics import mean, pstdev

import numpy as np

from rag.chunking import chunk_paper, embed_text
from rag.embed import Embedder
from rag.keywords import KeywordIndex
from rag.records import paper_texts
from rag.sentences import Sentences
from rag.store import Store
from rag.types import Evidence, Hit, Paper
from rag.untrusted import addresses_assistant

# Under a filter, BM25 candidates come from a pool this many times wider: enough that a
# filter keeping a tenth of the corpus still leaves a full candidate list.
FILTERED_POOL = 10


def zscores(values: dict[str, float], keys: list[str]) -> dict[str, float]:
    """z-normalise one retriever's scores over the candidates; missing = its worst seen."""
    floor = min(values.values(), default=0.0)
    xs = [values.get(k, floor) for k in keys]
    mu, sd = mean(xs), pstdev(xs) or 1.0
    return {k: (x - mu) / sd for k, x in zip(keys, xs, strict=True)}


class Retriever:
    """Ranks papers for a query; the paper table and BM25 index load once from the store."""

    def __init__(self, store: Store, embedder: Embedder, candidates: int, bm25_weight: float):
        self.store, self.embedder = store, embedder
        self.candidates, self.bm25_weight = candidates, bm25_weight
        self._load()

    def _load(self) -> None:
        """The keyword index, loaded again once an ingest has changed the store, so a chat
        open during an ingest finds the new papers. Papers themselves are read per query."""
        self.generation = self.store.generation()
        keywords = self.store.keywords()
        if keywords is None:  # a Chroma server, or a store from before the saved index
            keywords = KeywordIndex.build(paper_texts(self.store.papers()))
        self.keywords = keywords
        self._sentence_vectors: Sentences = {}

    @property
    def paper_count(self) -> int:
        return len(self.keywords.ids)

    def in_corpus(self, term: str) -> bool:
        """Whether any paper contains this word (a token, or a squashed compound)."""
        return self.keywords.knows(term)

    def search(self, query: str, k: int, where: dict | None = None) -> list[Hit]:
        return self.search_vector(query, self.embedder.encode([query])[0], k, where)

    def search_vector(
        self, query: str, vector: list[float], k: int, where: dict | None = None
    ) -> list[Hit]:
        """The k best papers (of those `where` keeps: rag/filters.py) for this query."""
        if self.store.generation() != self.generation:
            self._load()
        abstracts = self.store.query(vector, self.candidates, "abstract", where)
        bm25 = self._keyword_scores(query, where)
        keys = list(dict.fromkeys([*(c.paper_id for c in abstracts), *bm25]))
        if not keys:
            return []
        abstract_sim = {c.paper_id: 1 - c.distance for c in abstracts}
        best_window = self._best("window", keys, np.asarray(vector, dtype=np.float32))
        window_sim = {p: s for p, (s, *_) in best_window.items()}
        floor = min([*window_sim.values(), *abstract_sim.values()], default=0.0)
        dense = {  # a paper with no window yet (a quick view) stands on its abstract view
            p: (window_sim.get(p, abstract_sim.get(p, floor)) + abstract_sim.get(p, floor)) / 2
            for p in keys
        }
        zd, zb = zscores(dense, keys), zscores(bm25, keys)
        fused = {p: zd[p] + self.bm25_weight * zb[p] for p in keys}
        ranked = sorted(keys, key=lambda p: -fused[p])[:k]
        # The abstract query's papers as it returned them; only BM25's are read, by paper
        # id (Chroma scans its metadata for that: 21 ms for 5 papers at 100,000). A paper
        # deleted since the keyword index was read is skipped.
        papers = {c.paper_id: (c.paper, c.id) for c in abstracts}
        papers |= self.store.papers([p for p in ranked if p not in papers])
        return [
            self._hit(papers[p], fused[p], dense[p], bm25.get(p, 0.0), best_window)
            for p in ranked
            if p in papers
        ]

    def _best(
        self, kind: str, paper_ids: list[str], query: np.ndarray
    ) -> dict[str, tuple[float, str, str]]:
        """Each candidate paper's best chunk of `kind` for the query: (cosine, id, text)."""
        rows = [r for found in self.store.passages(kind, paper_ids).values() for r in found]
        if not rows:
            return {}
        cosines = np.stack([r.vector for r in rows]) @ query
        best: dict[str, tuple[float, str, str]] = {}
        for r, cosine in zip(rows, cosines.tolist(), strict=True):
            if r.paper_id not in best or cosine > best[r.paper_id][0]:
                best[r.paper_id] = (cosine, r.id, r.text)
        return best

    def _keyword_scores(self, query: str, where: dict | None) -> dict[str, float]:
        """BM25's candidates; under a filter, drawn from a wider pool and then filtered
        in the store, since the keyword index knows no metadata."""
        if where is None:
            return self.keywords.scores(query, self.candidates)
        pool = self.keywords.scores(query, self.candidates * FILTERED_POOL)
        kept = self.store.papers(list(pool), where)
        return dict([(p, s) for p, s in pool.items() if p in kept][: self.candidates])

    def _hit(self, stored: tuple[Paper, str], score: float, dense: float, bm25: float,
             windows: dict) -> Hit:  # fmt: skip
        paper, abstract_chunk = stored
        _, cid, text = windows.get(paper.id, (0.0, abstract_chunk, paper.abstract))
        return Hit(paper, score, cid, text, dense, bm25)

    def sentences(self, paper: Paper) -> list[tuple[str, np.ndarray]]:
        """A paper's sentences with their vectors (embedded at ingest), cached per paper."""
        if paper.id not in self._sentence_vectors:
            self._load_sentences([paper])
        return self._sentence_vectors[paper.id]

    def _load_sentences(self, papers: list[Paper]) -> None:
        stored = self.store.sentences([p.id for p in papers])
        for paper in papers:
            if not stored[paper.id]:  # a store from before sentence chunks: embed them now
                chunks = [c for c in chunk_paper(paper) if c.kind == "sentence"]
                vecs = self.embedder.encode([embed_text(c) for c in chunks])
                vecs = np.asarray(vecs, dtype=np.float32)
                stored[paper.id] = [(c.text, v) for c, v in zip(chunks, vecs, strict=True)]
        self._sentence_vectors.update(stored)

    def evidence(self, vector: list[float], hits: list[Hit], per_source: int) -> list[Evidence]:
        """Number the hits as sources [1]..[k] and pick each one's most relevant sentences,
        kept in abstract order so they still read as prose. A sentence addressed to the
        assistant ("Ignore all previous instructions") is never evidence."""
        missing = [h.paper for h in hits if h.paper.id not in self._sentence_vectors]
        if missing:
            self._load_sentences(missing)
        query, out = np.asarray(vector), []
        for n, hit in enumerate(hits, 1):
            sentences = enumerate(self.sentences(hit.paper))
            usable = [(i, s, v) for i, (s, v) in sentences if not addresses_assistant(s)]
            cosines = np.asarray([v for *_, v in usable]) @ query if usable else []
            scored = [(i, s, float(r)) for (i, s, _), r in zip(usable, cosines, strict=True)]
            top = sorted(sorted(scored, key=lambda x: -x[2])[:per_source])
            pool = tuple((s, r) for _, s, r in scored)
            out.append(
                Evidence(n, hit, tuple(s for _, s, _ in top), tuple(r for _, _, r in top), pool)
            )
        return out
