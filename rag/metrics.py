"""The evaluation's metrics: pure functions over titles, strings and answers, so hand-made
cases test them. `rag.evaluate` runs the questions and applies them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rag.chunking import split_sentences
from rag.cite import answer_sentences, markers, strip_markers, support
from rag.text import contains
from rag.types import Answer, Evidence

# Retrieval is scored over this many ranked papers (R@10, MRR@10).
DEPTH = 10


def recall_at(ranked: Sequence[str], gold: Sequence[str], k: int) -> float | None:
    """Share of the gold papers among the first k retrieved (hit@k for one gold paper)."""
    if not gold:
        return None
    top = set(ranked[:k])
    return sum(g in top for g in set(gold)) / len(set(gold))


def mrr_at(ranked: Sequence[str], gold: Sequence[str], k: int = DEPTH) -> float | None:
    """Reciprocal rank of the first gold paper within the first k, 0 if none."""
    if not gold:
        return None
    return next((1 / r for r, t in enumerate(ranked[:k], 1) if t in set(gold)), 0.0)


def keyword_hit(answer: str, keywords: Sequence[str] | None) -> float | None:
    """Share of the expected keywords the answer contains, case-insensitive."""
    if not keywords:
        return None
    return sum(k.lower() in answer.lower() for k in keywords) / len(keywords)


def citation_precision(cited: Sequence[str], gold: Sequence[str]) -> float | None:
    """Share of the distinct cited papers that are gold; undefined without citations."""
    if not cited:
        return None
    return sum(c in set(gold) for c in set(cited)) / len(set(cited))


def citation_recall(cited: Sequence[str], gold: Sequence[str]) -> float | None:
    """Share of the gold papers that the answer cites."""
    if not gold:
        return None
    return sum(g in set(cited) for g in set(gold)) / len(set(gold))


def cited_units(answer: Answer, evidence: Sequence[Evidence], threshold: float) -> list[bool]:
    """Per cited unit (a finding, or a synthesis sentence and one source it cites): is it a
    verbatim quote of the cited abstract, or does it pass the strict rule (numbers, names,
    coverage)? Verbatim is checked here independently of the core; the strict rule is the
    one cite.py applies, so it guards against regressions, not against its own judgement."""
    papers = {e.n: e.hit.paper for e in evidence}
    units = [f.n in papers and contains(papers[f.n].abstract, f.quote) for f in answer.findings]
    for sentence in _sentences(answer.synthesis):
        claim = strip_markers(sentence)
        for n in markers(sentence):
            paper = papers.get(n)
            units.append(
                paper is not None
                and (contains(paper.abstract, claim) or support(claim, paper, threshold).passed)
            )
    return units


def said(answer: Answer) -> str:
    """What an answer states: its quotes and its checked summary (no titles, no headers)."""
    return " ".join([*(f.quote for f in answer.findings), answer.synthesis])


def claims_kept(answer: Answer) -> list[str]:
    return [s for s in _sentences(answer.synthesis) if markers(s)]


def _sentences(text: str) -> list[str]:
    """Sentences line by line, as the checker reads them and the answer shows them: across
    a line break, two cited sentences were one unit (hard set h102)."""
    return [s for line in answer_sentences(text) for s in line]


def share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def invalid_citations(text: str, cited: Iterable[int], sources: Iterable[int]) -> int:
    """Markers in the text and citations whose number is not a source shown: must be 0."""
    valid = set(sources)
    in_text = [n for s in split_sentences(text) for n in markers(s)]
    return sum(n not in valid for n in [*in_text, *cited])


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (p in 0..100); None for no values."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * p / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Probability a positive scores above a negative (ties count half)."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))
