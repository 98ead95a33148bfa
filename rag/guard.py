"""Every rule that declines a question without the model, in one place.

The default model never declines by itself (MEASUREMENTS.md), so these rules carry the
weight. Each has its calibration note; `bench/calibrate.py` prints the sweeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.config import Settings
from rag.text import FUNCTION_WORDS, names, squash, stems, tokenize, words
from rag.types import Evidence

# Question words that ask for a kind of answer rather than name a topic ("which method",
# "what dataset"): a paper need not contain them to answer.
# Common verbs and fillers of typed questions ("came up with", "how long does it take")
# are left out too: on the hard dev set they were the 'missing' terms of answerable questions.
ASKING_WORDS = frozenset(
    "method methods model models dataset datasets technique techniques way ways idea kind "
    "kinds type types result results difference main key mean means called name named "
    "help helps improve improves work works used use get gets getting make makes made good "
    "best big many long take takes took need needs come came comes up say says see sees "
    "give gives gave went go goes put puts build builds built want one two really actually "
    "something anything thing things well still even back lot lots cover covers covered "
    "contain contains include includes involve involves handle handles".split()
)


@dataclass(frozen=True)
class Decline:
    reason: str  # "off_topic" | "unknown_names" | "uncovered"
    notice: str  # one sentence for the user, naming what is missing
    near: bool  # the papers are near the topic: show the closest findings, labelled


def key_terms(question: str) -> list[str]:
    """The question's words that name its topic (not stopwords, not asking words)."""
    skip = FUNCTION_WORDS | ASKING_WORDS
    return list(dict.fromkeys(w for w in words(question) if w not in skip and len(w) > 1))


def coverage(question: str, evidence: Sequence[Evidence]) -> tuple[float, list[str]]:
    """Share of the question's key terms found in the best-covering retrieved paper
    (title + abstract, stemmed), and the terms that paper lacks."""
    terms = key_terms(question)
    if not terms or not evidence:
        return 1.0, []
    term_stems = {t: stems(t) for t in terms}
    papers = [stems(f"{e.hit.paper.title} {e.hit.paper.abstract}") for e in evidence]
    found = [[t for t in terms if term_stems[t] <= p] for p in papers]
    best = max(found, key=len)
    return len(best) / len(terms), [t for t in terms if t not in best]


def known(name: str, in_corpus: Callable[[str], bool]) -> bool:
    """A name some paper contains: whole, without hyphens (gpt4v for GPT-4V), or part by
    part. A part with digits counts only whole ("GPT-5" is not known from "GPT" and a 5
    somewhere); a word part may match without its ending (ODEs, captioned)."""
    if in_corpus(squash(name)):
        return True
    parts = [p for p in re.split(r"[-/]", name) if p]

    def part_known(i: int, part: str) -> bool:
        if part.isdigit():  # a version: only with the word it numbers ("gpt5")
            return i > 0 and in_corpus(squash(parts[i - 1] + part))
        if any(c.isdigit() for c in part):
            return in_corpus(squash(part))
        return all(any(map(in_corpus, _word_forms(w))) for w in tokenize(part))

    return all(part_known(i, p) for i, p in enumerate(parts))


def _word_forms(word: str) -> list[str]:
    """The word and its stem without a plural or verb ending: "captioned" is known from
    "caption", "ODEs" from "ODE" (hard dev set: "gpt4v-captioned" was wrongly declined)."""
    forms = [word]
    for ending in ("s", "es", "ed", "d", "ing"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            forms.append(word[: -len(ending)])
    return forms


def missing_terms(question: str, evidence: Sequence[Evidence]) -> str:
    """A notice naming the question's key terms the best source lacks, or "" when none."""
    _, missing = coverage(question, evidence)
    return f"The sources do not mention {', '.join(missing)}." if missing else ""


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
        unknown = [n for n in names(question) if not known(n, in_corpus)]
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
