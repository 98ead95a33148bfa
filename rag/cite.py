"""Make citations true: the system, not the model, decides what an answer may cite.

A small model forgets to cite, cites sources that do not exist, or cites the wrong one.
For every answer sentence we keep only the [n] markers of real sources that support it,
attach the best supporting source when the sentence has none, and report sentences no
source supports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.chunking import split_sentences
from rag.retrieve import tokenize
from rag.types import Citation, Evidence

# [1], [1, 2], [1-3], [ 2 ], [Source 4]: every way a small model writes a source marker.
CITE_RE = re.compile(
    r"\s*\[\s*(?:sources?\s*:?\s*)?(\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]", re.IGNORECASE
)
# A range wider than this is not a citation ([1-2024]).
MAX_RANGE = 20
# Sentences shorter than this are connective tissue ("In summary:") and need no source.
MIN_CLAIM_WORDS = 4

# (answer sentence) -> {source n: (support score, best supporting source sentence)}
SupportFn = Callable[[str], dict[int, tuple[float, str]]]


@dataclass(frozen=True)
class Checked:
    text: str
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]


def markers(sentence: str) -> list[int]:
    """Source numbers in a sentence's markers, ranges expanded."""
    out: list[int] = []
    for group in CITE_RE.findall(sentence):
        for part in re.split(r"\s*[,;]\s*", group):
            bounds = re.split(r"\s*[-–]\s*", part)
            first, last = int(bounds[0]), int(bounds[-1])
            out += range(first, last + 1) if 0 <= last - first <= MAX_RANGE else [first]
    return out


def strip_markers(text: str) -> str:
    return CITE_RE.sub("", text).strip()


def claims(text: str) -> list[str]:
    """Answer sentences long enough to need a source (the rule check_citations applies)."""
    sentences = (strip_markers(s) for s in split_sentences(text))
    return [s for s in sentences if len(s.split()) >= MIN_CLAIM_WORDS]


def lexical_support(claim: str, source_sentence: str) -> float:
    """Share of the claim's content words found in the source sentence."""
    words = set(tokenize(claim))
    return len(words & set(tokenize(source_sentence))) / len(words) if words else 0.0


def check_citations(
    answer: str, evidence: Sequence[Evidence], support: SupportFn, threshold: float
) -> Checked:
    """Rewrite the answer with verified markers and build its citation list."""
    by_n = {e.n: e for e in evidence}
    best: dict[int, tuple[float, str]] = {}
    unsupported: list[str] = []
    seen: set[str] = set()
    paragraphs = []
    for paragraph in answer.splitlines():  # keep the model's paragraphs and list items
        out = []
        for sentence in split_sentences(paragraph):
            claim = strip_markers(sentence)
            if not claim or claim.lower() in seen:  # small models loop; say each thing once
                continue
            seen.add(claim.lower())
            scores = support(claim)
            keep = _kept(markers(sentence), scores, by_n, threshold)
            for n in keep:
                if scores[n][0] > best.get(n, (-1.0, ""))[0]:
                    best[n] = scores[n]
            if not keep and len(claim.split()) >= MIN_CLAIM_WORDS:
                unsupported.append(claim)
            out.append(_with_markers(claim, keep))
        paragraphs.append(" ".join(out))
    citations = tuple(_citation(by_n[n], *best[n]) for n in sorted(best))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(paragraphs)).strip()
    return Checked(text, citations, tuple(unsupported))


def _kept(given: list[int], scores: dict, by_n: dict, threshold: float) -> list[int]:
    """The given sources that exist and support the claim; else the best supporting one."""
    keep = sorted({n for n in given if n in by_n and scores.get(n, (0.0, ""))[0] >= threshold})
    if not keep and scores:
        top = max(scores, key=lambda n: scores[n][0])
        if scores[top][0] >= threshold:
            keep = [top]
    return keep


def _with_markers(claim: str, ns: list[int]) -> str:
    if not ns:
        return claim
    tags = "".join(f"[{n}]" for n in ns)
    if claim[-1] in ".!?":
        return f"{claim[:-1]} {tags}{claim[-1]}"
    return f"{claim} {tags}"


def _citation(e: Evidence, score: float, quote: str) -> Citation:
    paper = e.hit.paper
    first = paper.listings[0] if paper.listings else None
    return Citation(
        n=e.n,
        paper_id=paper.id,
        title=paper.title,
        source=first.source if first else "",
        date=first.date if first else "",
        chunk_id=e.hit.chunk_id,
        quote=quote,
        score=round(score, 4),
    )
