"""The keyword index: BM25 over each paper's title and abstract (bm25s, a sparse matrix).

Built at ingest and saved inside the store folder, so starting a search costs a load of
a few files instead of tokenising every abstract (MEASUREMENTS.md: the old in-memory
BM25 took 9 s to build and 200 ms a query at 100,000 papers). bm25s's "lucene" variant
is Okapi BM25 up to a constant factor per query, which the z-score fusion removes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from rag.text import compounds, tokenize

# Okapi BM25 parameters, the textbook values measured in MEASUREMENTS.md.
BM25_K1 = 1.5
BM25_B = 0.75
FOLDER = "keywords"
IDS_FILE, COMPOUNDS_FILE = "paper_ids.json", "compounds.txt"


class KeywordIndex:
    """Ranks papers by BM25 and knows every word and squashed compound of the corpus."""

    def __init__(self, ids: list[str], bm25, compound_words: set[str]) -> None:
        self.ids, self._bm25, self._compounds = ids, bm25, compound_words

    @classmethod
    def build(cls, texts: dict[str, str]) -> KeywordIndex:
        """Index each paper's text (title and abstract), keyed by paper id."""
        import bm25s

        ids = list(texts)
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
        if ids:
            bm25.index([tokenize(texts[i]) or [""] for i in ids], show_progress=False)
        words = set().union(*map(compounds, texts.values())) if ids else set()
        return cls(ids, bm25 if ids else None, words)

    @classmethod
    def load(cls, store_folder: Path) -> KeywordIndex | None:
        """The saved index, or None when there is none (a store from before it existed)."""
        import bm25s

        folder = store_folder / FOLDER
        if not (folder / IDS_FILE).is_file():
            return None
        ids = json.loads((folder / IDS_FILE).read_text())
        bm25 = bm25s.BM25.load(folder, mmap=True, show_progress=False) if ids else None
        words = set((folder / COMPOUNDS_FILE).read_text().split())
        return cls(ids, bm25, words)

    def save(self, store_folder: Path) -> None:
        """Write beside the store, then swap in whole: a reader never sees half an index."""
        final, new = store_folder / FOLDER, store_folder / f"{FOLDER}.new"
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir()
        if self._bm25 is not None:
            self._bm25.save(new, show_progress=False)
        (new / COMPOUNDS_FILE).write_text("\n".join(sorted(self._compounds)))
        (new / IDS_FILE).write_text(json.dumps(self.ids))  # written last: marks it complete
        old = store_folder / f"{FOLDER}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.rename(final, old)
        os.rename(new, final)
        shutil.rmtree(old, ignore_errors=True)

    def scores(self, query: str, top: int) -> dict[str, float]:
        """The `top` papers with a positive score, best first."""
        if self._bm25 is None:
            return {}
        terms = [t for t in set(tokenize(query)) if t in self._bm25.vocab_dict]
        if not terms:
            return {}
        scores = self._bm25.get_scores(terms)
        best = np.argpartition(-scores, min(top, len(scores) - 1))[:top]
        ranked = sorted(best, key=lambda i: -scores[i])
        return {self.ids[i]: float(scores[i]) for i in ranked if scores[i] > 0}

    def knows(self, term: str) -> bool:
        """Whether any paper contains this word (a token, or a squashed compound)."""
        vocab = self._bm25.vocab_dict if self._bm25 is not None else {}
        return term in vocab or term in self._compounds
