"""Make citations true: the system, not the model, decides what an answer may cite.

A model sentence keeps a citation only when the cited paper contains its content: one of
the paper's sentences holds its numbers (with what they count), its negations and
qualifiers, and nearly all of its content words; every name in it occurs in the paper.
Embedding similarity never passes a sentence: at the old 0.45 cosine it measured topic, not
support (MEASUREMENTS.md: 12% of the cited sentences it passed were supported). Sentences
that fail are dropped from the answer and reported; a sentence that says nothing new (a
restated question, a template, a bare title) is not a claim and is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.chunking import split_sentences
from rag.text import POLARITY, measures, mentions, names, numbers, restates_title, stems
from rag.types import Citation, Evidence, Finding, Paper
from rag.untrusted import addresses_assistant

# [1], [1, 2], [1-3], [ 2 ], [Source 4]: every way a small model writes a source marker.
CITE_RE = re.compile(
    r"\s*\[\s*(?:sources?\s*:?\s*)?(\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]", re.IGNORECASE
)
# A range wider than this is not a citation ([1-2024]).
MAX_RANGE = 20
# A claim names at least two things (content-word stems other than numbers): one word
# alone ("Yes.", "The papers do not cover this.") states nothing a source could hold.
MIN_CLAIM_STEMS = 2
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# Quote marks a model copies from the prompt's quoted sources: a kept sentence is the
# model's, so it must not look like a quote (judged sample, first set q76: "... strategy.”").
QUOTE_MARKS = "“”\""


@dataclass(frozen=True)
class Checked:
    text: str  # the sentences that passed, with their verified markers
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]


NOTHING = Checked("", (), ())  # what a decline, which asks no model, has to check


@dataclass(frozen=True)
class Support:
    passed: bool
    coverage: float  # share of the claim's content words in the best source sentence
    quote: str  # that sentence


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


def claim_words(sentence: str) -> set[str]:
    """The content-word stems a source must hold: "not", "only", "more than" included."""
    return stems(sentence, keep=POLARITY)


def support(claim: str, paper: Paper, threshold: float) -> Support:
    """The strict rule. One sentence of the paper (read with its title) must hold the
    claim's numbers, every word that turns it around ("not", "only", "first"), and at
    least `threshold` of its content words; every name must occur in the paper."""
    sentences = source_sentences(paper)
    candidates = [f"{paper.title} {s}" for s in sentences] or [paper.title]
    words = claim_words(claim)
    coverage, best = max(
        ((len(words & claim_words(c)) / len(words) if words else 0.0), c) for c in candidates
    )
    quote = best[len(paper.title) + 1 :] or best
    held = claim_words(best)
    passed = (
        coverage >= threshold
        and _measured_alike(claim, best)
        and words & POLARITY <= held
        and all(mentions("\n".join([paper.title, *sentences]), n) for n in names(claim, True))
    )
    return Support(passed, coverage, quote)


def source_sentences(paper: Paper) -> list[str]:
    """The abstract's sentences a claim may rest on: those stating something, not the ones
    addressed to the assistant, which are never evidence either."""
    return [s for s in split_sentences(paper.abstract) if not addresses_assistant(s)]


def _measured_alike(claim: str, source: str) -> bool:
    """Each number of the claim occurs in the source with the word that follows it in the
    claim ("12 hours" is not "12 Indian languages")."""
    held = measures(source)
    return all(pair in held for pair in measures(claim, window=1))


def is_claim(sentence: str, question: str, titles: Sequence[str] = ()) -> bool:
    """Whether a sentence says something: at least MIN_CLAIM_STEMS content words that are not
    numbers ("The answer is: 2" and "The papers do not cover this." say nothing), something
    the question did not say (a number counts: "6,400 hours" answers "how many hours"), and
    more than a source's title (a bare title names a paper, it claims nothing)."""
    words = {w for w in stems(sentence) if not w.isdigit()}
    new = (words - stems(question)) | (numbers(sentence) - numbers(question))
    if len(words) < MIN_CLAIM_STEMS or not new:
        return False
    return not any(restates_title(sentence, t) for t in titles)


def answer_sentences(answer: str) -> list[list[str]]:
    """An answer's sentences, line by line: a line break ends a sentence (a model writes
    one claim a line, often without a full stop)."""
    return [split_sentences(line) for line in answer.splitlines()]


def check_citations(
    answer: str, evidence: Sequence[Evidence], question: str, threshold: float
) -> Checked:
    """Keep the model's sentences that a source supports, each with the sources that do."""
    by_n = {e.n: e for e in evidence}
    titles = [e.hit.paper.title for e in evidence]
    quotes: dict[int, Support] = {}
    unsupported: list[str] = []
    seen: set[str] = set()
    paragraphs = []
    for sentences in answer_sentences(answer):
        out = []
        for sentence in sentences:
            claim = _BULLET.sub("", strip_markers(sentence)).strip(QUOTE_MARKS).strip()
            if not claim or claim.lower() in seen:  # small models loop; say each thing once
                continue
            seen.add(claim.lower())
            if not is_claim(claim, question, titles):  # says nothing: dropped, not reported
                continue
            if addresses_assistant(claim):  # an order, perhaps one read in a source
                unsupported.append(claim)
                continue
            kept = _supporting(claim, markers(sentence), by_n, threshold)
            if not kept:
                unsupported.append(claim)
                continue
            for n, s in kept.items():
                if n not in quotes or s.coverage > quotes[n].coverage:
                    quotes[n] = s
            out.append(_with_markers(claim, sorted(kept)))
        paragraphs.append(" ".join(out))
    cited = tuple(_citation(by_n[n], s.quote, s.coverage) for n, s in sorted(quotes.items()))
    return Checked("\n".join(p for p in paragraphs if p), cited, tuple(unsupported))


def _supporting(
    claim: str, given: list[int], by_n: dict[int, Evidence], threshold: float
) -> dict[int, Support]:
    """The cited sources that pass; else the best other source that passes; else none."""
    checks = {n: support(claim, e.hit.paper, threshold) for n, e in by_n.items()}
    kept = {n: checks[n] for n in given if n in checks and checks[n].passed}
    if kept:
        return kept
    passing = [n for n, s in checks.items() if s.passed]
    best = max(passing, key=lambda n: checks[n].coverage, default=None)
    return {} if best is None else {best: checks[best]}


def _with_markers(claim: str, ns: list[int]) -> str:
    tags = "".join(f"[{n}]" for n in ns)
    if claim[-1] in ".!?":
        return f"{claim[:-1]} {tags}{claim[-1]}"
    return f"{claim} {tags}"


def citations(
    evidence: Sequence[Evidence], found: Sequence[Finding], checked: Checked
) -> tuple[Citation, ...]:
    """One citation per cited source: its best finding's quote, else the synthesis's."""
    by_n = {e.n: e for e in evidence}
    out = {c.n: c for c in checked.citations}
    for f in sorted(found, key=lambda f: f.score):  # the best finding of a source wins
        out[f.n] = _citation(by_n[f.n], f.quote, f.score)
    return tuple(out[n] for n in sorted(out))


def _citation(e: Evidence, quote: str, score: float) -> Citation:
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
