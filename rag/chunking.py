"""Paper -> Chunks that fit the embedder's window, on sentence boundaries.

Two views of each paper (MEASUREMENTS.md: they are complementary on short questions):
- "window": the title plus 3 consecutive sentences, stride 2, kept under the embedder's
  256-token limit, so no part of a long abstract is silently dropped;
- "abstract": the title plus the whole abstract, one vector for the paper's gist (the
  embedder reads its first 256 tokens) and the text BM25 indexes;
- "sentence": the title plus one sentence. Not searched; embedded once at ingest so that
  picking evidence, deciding to abstain (the best question-sentence cosine was the
  strongest abstention signal in MEASUREMENTS.md) and checking citations cost no
  embedding at question time (embedding ~30 sentences per question took 1-3 s here).

Ingest also writes, for a while, a quick view of each new paper (`quick_view`): the abstract
chunk under its own id, its vector from the head of the text only, so a paper is
searchable at twice the rate until its full abstract view replaces it (rag/ingest.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

from rag.types import Chunk, Paper

WINDOW_SENTENCES = 3  # sw3 in MEASUREMENTS.md: best dense R@1 on long questions
WINDOW_STRIDE = 2
# all-MiniLM-L6-v2 reads 256 word pieces; 230 estimated leaves room for the estimate's
# worst under-count (15%, measured on seeds/) and the special tokens.
MAX_CHUNK_TOKENS = 230
# The quick view embeds the title and the abstract's head up to this many estimated
# tokens: embedding 128 tokens of each abstract doubled the embedder's rate on seeds/
# (README, "Ingest rate"). The estimate over-counts: on seeds/ the cut view is 109 real
# word pieces at the median (129 at most), embedded at 1.9x the full view's rate.
QUICK_VIEW_TOKENS = 128
QUICK_PREFIX = "quick:"  # a quick view's id is its abstract chunk's id under this prefix

_ABBREVIATIONS = "".join(
    rf"(?<!\b{re.escape(a)})" for a in ("e.g.", "i.e.", "et al.", "vs.", "Fig.", "Eq.", "cf.")
)
_SENTENCE_END = re.compile(_ABBREVIATIONS + r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD_PIECE = re.compile(r"[A-Za-z]+|\d|[^\sA-Za-z\d]")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; good enough for abstracts, no model needed."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def estimate_tokens(text: str) -> int:
    """A cheap estimate of WordPiece tokens (words, digits, punctuation, plus a piece per
    7 letters), so chunking needs no tokenizer. Against the real tokenizer on seeds/
    windows: real/estimate median 0.87, max 1.15; the integration tier checks that no
    window exceeds the embedder's 256 tokens."""
    pieces = _WORD_PIECE.findall(text)
    return sum(1 + len(p) // 7 if p.isalpha() else 1 for p in pieces)


def chunk_id(kind: str, title: str, text: str) -> str:
    """Content hash: re-ingesting the same text yields the same id, so nothing is re-embedded."""
    return hashlib.sha1(f"{kind}\x1f{title}\x1f{text}".encode()).hexdigest()[:24]


def embed_text(chunk: Chunk) -> str:
    """What the embedder reads: the chunk prefixed with its paper title."""
    return f"{chunk.title}. {chunk.text}"


def quick_view(abstract: Chunk) -> Chunk:
    """The stand-in for an abstract chunk until it is embedded whole: the same text (so
    the paper and its keywords read back whole from it) under an id derived from its own,
    which an ingest recognises as not wanted and deletes once the full view is written."""
    return dataclasses.replace(abstract, id=QUICK_PREFIX + abstract.id)


def is_quick(chunk_id: str) -> bool:
    return chunk_id.startswith(QUICK_PREFIX)


def quick_text(chunk: Chunk) -> str:
    """What the embedder reads of a quick view: the head of `embed_text`, cut at a word
    once QUICK_VIEW_TOKENS estimated tokens are used (the estimate adds up word by word)."""
    words, used = [], 0
    for word in embed_text(chunk).split():
        used += estimate_tokens(word)
        if used > QUICK_VIEW_TOKENS and words:
            break
        words.append(word)
    return " ".join(words)


def chunk_paper(paper: Paper) -> list[Chunk]:
    """The abstract view plus sentence windows that each fit the embedder window."""
    chunks = [_chunk(paper, "abstract", paper.abstract, 0)]
    budget = MAX_CHUNK_TOKENS - estimate_tokens(paper.title)
    sentences = split_sentences(paper.abstract)
    windows = _windows(_fit(sentences, budget), budget)
    for i, text in enumerate(dict.fromkeys(windows)):  # a repeated window is stored once
        chunks.append(_chunk(paper, "window", text, i))
    for i, text in enumerate(dict.fromkeys(sentences)):
        chunks.append(_chunk(paper, "sentence", text, i))
    return chunks


def _chunk(paper: Paper, kind: str, text: str, position: int) -> Chunk:
    return Chunk(chunk_id(kind, paper.title, text), paper.id, paper.title, text, kind, position)


def _fit(sentences: list[str], budget: int) -> list[str]:
    """Break any single sentence longer than the budget into word runs that fit."""
    out = []
    for sentence in sentences:
        words, piece = sentence.split(), []
        for word in words:
            if piece and estimate_tokens(" ".join([*piece, word])) > budget:
                out.append(" ".join(piece))
                piece = []
            piece.append(word)
        out.append(" ".join(piece))
    return out


def _windows(sentences: list[str], budget: int) -> list[str]:
    """Windows of up to WINDOW_SENTENCES sentences, stride WINDOW_STRIDE, each within budget."""
    windows: list[str] = []
    start = 0
    while start < len(sentences):
        end = min(start + WINDOW_SENTENCES, len(sentences))
        while end - start > 1 and estimate_tokens(" ".join(sentences[start:end])) > budget:
            end -= 1
        windows.append(" ".join(sentences[start:end]))
        if end >= len(sentences):
            break
        start = min(start + WINDOW_STRIDE, end)
    return windows
