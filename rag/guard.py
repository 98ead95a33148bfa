"""Every rule that declines a question without the model, in one place.

The default model never declines by itself (MEASUREMENTS.md), so these rules carry the
weight. Each has its calibration note; `bench/calibrate.py` prints the sweeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.config import Settings
from rag.text import FUNCTION_WORDS, names, stems, tokenize
from rag.types import Evidence

# Question words that ask for a kind of answer rather than name a topic ("which method",
# "what dataset"): a paper need not contain them to answer.
ASKING_WORDS = frozenset(
    "method methods model models dataset datasets technique techniques way ways idea kind "
    "kinds type types result results difference main key mean means called name named "
    "help helps improve improves work works used use get gets make makes good best big".split()
)


@dataclass(frozen=True)
class Decline:
    reason: str  # "off_topic" | "unknown_names" | "uncovered"
    notice: str  # one sentence for the user, naming what is missing
    near: bool  # the papers are near the topic: show the closest findings, labelled


def key_terms(question: str) -> list[str]:
    """The question's words that name its topic (not stopwords, not asking words)."""
    words = re.findall(r"[^\W_]+", question.lower())
    skip = FUNCTION_WORDS | ASKING_WORDS
    return list(dict.fromkeys(w for w in words if w not in skip and len(w) > 1))


def coverage(question: str, evidence: Sequence[Evidence]) -> tuple[float, list[str]]:
    """Share of the question's key terms found in the best-covering retrieved paper
    (title + abstract, stemmed), and the terms that paper lacks."""
    terms = key_terms(question)
    if not terms or not evidence:
        return 1.0, []
    papers = [stems(f"{e.hit.paper.title} {e.hit.paper.abstract}") for e in evidence]
    found = [[t for t in terms if stems(t) <= p] for p in papers]
    best = max(found, key=len)
    return len(best) / len(terms), [t for t in terms if t not in best]


def check(
    question: str,
    evidence: Sequence[Evidence],
    in_corpus: Callable[[str], bool],
    settings: Settings,
) -> Decline | None:
    """Why the papers cannot answer this question, or None when they may."""
    relevance = max((r for e in evidence for r in e.relevance), default=0.0)
    if relevance < settings.abstain_threshold:
        return Decline("off_topic", "No paper is close to this question.", near=False)
    if settings.check_names:
        unknown = [n for n in names(question) if not all(in_corpus(t) for t in tokenize(n))]
        if unknown:
            return Decline("unknown_names", f"No paper mentions {', '.join(unknown)}.", near=True)
    share, missing = coverage(question, evidence)
    if share < settings.min_coverage:
        return Decline(
            "uncovered",
            f"The closest papers do not mention {', '.join(missing)}.",
            near=True,
        )
    return None
