"""Saved chats: one JSON file per conversation in the user data directory.

A saved turn keeps what the chat shows (question, answer text, numbered sources with
their abstracts and highlighted sentences), so a reopened chat needs no store or model.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from rag.compose import findings_text
from rag.types import Answer, Evidence, Finding, Listing, Paper, Sources, Turn

TITLE_CHARS = 60


def dated_listing(paper: Paper) -> Listing | None:
    """The listing the chat shows for a paper: the first with a date, else the first."""
    return next((x for x in paper.listings if x.date), None) or next(iter(paper.listings), None)


@dataclass
class SourceRecord:
    """One numbered source as the sources panel shows it."""

    n: int
    paper_id: str
    title: str
    date: str
    score: float
    abstract: str
    sentences: list[str]  # the evidence sentences sent to the model
    quote: str = ""  # the sentence a checked citation attributes to this source
    source: str = ""  # the listing file the paper came from ("" in chats saved before it)

    @classmethod
    def from_evidence(cls, e: Evidence) -> SourceRecord:
        paper = e.hit.paper
        listing = dated_listing(paper)
        return cls(
            n=e.n,
            paper_id=paper.id,
            title=paper.title,
            date=listing.date if listing else "",
            score=e.hit.score,
            abstract=paper.abstract,
            sentences=list(e.sentences),
            source=listing.source if listing else "",
        )

    @property
    def file(self) -> str:
        """The listing file's name: where the paper came from, without the local folders."""
        return Path(self.source).name

    @property
    def highlights(self) -> list[str]:
        """The sentence the answer quotes or cites from this source, else the evidence."""
        return [self.quote] if self.quote else self.sentences


@dataclass
class TurnRecord:
    """One question and its answer (possibly stopped early) with its sources."""

    question: str
    answer: str = ""  # as shown: the findings, then the checked synthesis (or a decline)
    sources: list[SourceRecord] = field(default_factory=list)
    abstained: bool = False
    stopped: bool = False
    error: str = ""
    notices: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # model sentences the check dropped
    synthesis: str = ""  # the checked model text alone: what later questions see of this turn
    query: str = ""  # the standalone query retrieval used
    draft: str = ""  # the model's unchecked words: while it writes, and what a stop left

    def start(self, sources: Sources) -> None:
        """Take what retrieval found: the sources and, unless declining, the findings,
        which are the answer's first part before the model writes a word."""
        self.query, self.abstained = sources.query, sources.declined
        self.sources = [SourceRecord.from_evidence(e) for e in sources.evidence]
        self.answer = "" if sources.declined else findings_text(sources.findings)
        self._set_quotes(_best_first(sources.findings))

    def finish(self, answer: Answer) -> None:
        """Take the final, citation-checked answer: its text and the cited quotes."""
        self.answer, self.synthesis, self.draft = answer.text, answer.synthesis, ""
        self.abstained, self.query = answer.abstained, answer.query or self.query
        self.notices, self.unsupported = list(answer.notices), list(answer.unsupported)
        self._set_quotes([(c.n, c.quote) for c in answer.citations] + _best_first(answer.findings))

    def stop(self, error: str = "") -> None:
        """Cut short by the user (or an error): what was written stays, marked as such."""
        self.stopped, self.error = not error, error

    @property
    def notes(self) -> list[str]:
        """The lines under an answer: stopped, declined, errors and the core's notices."""
        lines = []
        if self.error:
            lines.append(f"Error: {self.error}")
        if self.stopped:
            cut = "the answer was cut short" if self.answer or self.draft else "before any answer"
            lines.append(f"Stopped: {cut}.")
        if self.abstained:
            lines.append("Declined: no source supports an answer to this question.")
        return lines + [f"Note: {n}" for n in self.notices if n not in self.answer]  # not twice

    def _set_quotes(self, quotes: Iterable[tuple[int, str]]) -> None:
        """Highlight each source's first quote; a source without one shows its evidence."""
        first: dict[int, str] = {}
        for n, quote in quotes:
            first.setdefault(n, quote)
        for s in self.sources:
            s.quote = first.get(s.n, "")


def _best_first(found: Iterable[Finding]) -> list[tuple[int, str]]:
    return [(f.n, f.quote) for f in sorted(found, key=lambda f: -f.score)]


@dataclass
class Conversation:
    id: str = field(default_factory=lambda: new_id())
    created: str = field(default_factory=lambda: now())
    updated: str = ""
    turns: list[TurnRecord] = field(default_factory=list)

    @property
    def title(self) -> str:
        first = self.turns[0].question if self.turns else "New chat"
        return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"

    def history(self) -> list[Turn]:
        """The finished exchanges, as Assistant.ask() takes them: a stopped or failed turn
        is left out, and the model sees its own checked words, not the quoted findings."""
        return [
            Turn(t.question, t.synthesis)
            for t in self.turns
            if t.answer and not t.stopped and not t.error
        ]

    @classmethod
    def from_json(cls, data: dict) -> Conversation:
        turns = [
            TurnRecord(**{**t, "sources": [SourceRecord(**s) for s in t.get("sources", [])]})
            for t in data.get("turns", [])
        ]
        return cls(data["id"], data.get("created", ""), data.get("updated", ""), turns)


def now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def new_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def default_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("rag")) / "conversations"


class ConversationStore:
    """Save, list, load and delete conversations as `<id>.json` files in one folder."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory else default_dir()

    def _path(self, conversation_id: str) -> Path:
        return self.directory / f"{Path(conversation_id).name}.json"

    def save(self, conversation: Conversation) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        conversation.updated = now()
        path = self._path(conversation.id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(asdict(conversation), indent=1, ensure_ascii=False), encoding="utf-8"
        )
        tmp.replace(path)

    def load(self, conversation_id: str) -> Conversation:
        return Conversation.from_json(
            json.loads(self._path(conversation_id).read_text(encoding="utf-8"))
        )

    def exists(self, conversation_id: str) -> bool:
        return self._path(conversation_id).exists()

    def delete(self, conversation_id: str) -> None:
        self._path(conversation_id).unlink(missing_ok=True)

    def list(self) -> list[Conversation]:
        """Readable saved conversations, most recently updated first; broken files skipped."""
        out = []
        for path in self.directory.glob("*.json"):
            try:
                out.append(Conversation.from_json(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(out, key=lambda c: c.updated or c.created, reverse=True)
