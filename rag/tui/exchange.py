"""One exchange of the chat: the question, the findings shown as soon as retrieval is done,
the model's draft streaming below them as provisional text, then the checked answer.

The model's words are never shown as the answer: the draft is dim and labelled while it
streams, and the sentences the check drops stay collapsed under the answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Collapsible, Markdown, Static

from rag.tui.conversations import TurnRecord
from rag.tui.widgets import forward_typing
from rag.types import Answer, Event, Sources, Token

MARKER = re.compile(r"\[(\d+)\]")
LINK_SCHEME = "source:"
DRAFTING = "drafting a summary… (not yet checked against the sources)"
STOPPED_DRAFT = "stopped: the model's unchecked draft"


def link_citations(text: str, numbers: set[int]) -> str:
    """Turn each [n] of a known source into a Markdown link the app resolves to source n."""

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]]({LINK_SCHEME}{n})" if n in numbers else m.group(0)

    return MARKER.sub(link, text)


def source_number(href: str) -> int | None:
    """The n of a citation link, or None for any other link."""
    if href.startswith(LINK_SCHEME) and href[len(LINK_SCHEME) :].isdigit():
        return int(href[len(LINK_SCHEME) :])
    return None


def batched(events: Iterable[Event], interval: float) -> Iterator[Event]:
    """The events with tokens merged, so the draft is redrawn at most once per interval;
    any other event first flushes the tokens before it."""
    pending: list[str] = []
    shown = float("-inf")  # the first token shows at once
    for event in events:
        if isinstance(event, Token):
            pending.append(event.text)
            if time.monotonic() - shown < interval:
                continue
            shown = time.monotonic()
        if pending:
            yield Token("".join(pending))
            pending.clear()
        if not isinstance(event, Token):
            yield event


def answer_markdown(turn: TurnRecord) -> str:
    return link_citations(turn.answer, {s.n for s in turn.sources})


def searched_for(turn: TurnRecord) -> str:
    """The standalone query, when it is not the question itself (a rewritten follow-up)."""
    return f"searched for: {turn.query}" if turn.query and turn.query != turn.question else ""


def draft_text(turn: TurnRecord, writing: bool) -> Text | str:
    """The model's words while it writes, or those a stop left unchecked; else nothing."""
    if writing:
        return Text.assemble((DRAFTING, "italic"), "\n" if turn.draft else "", turn.draft)
    if turn.draft:
        return Text.assemble((STOPPED_DRAFT, "italic"), "\n", turn.draft)
    return ""


def unsupported_title(count: int) -> str:
    sentences = "sentence" if count == 1 else "sentences"
    return f"{count} model {sentences} not found in the sources"


def unsupported_section(turn: TurnRecord) -> Collapsible:
    """The model's sentences the check dropped, collapsed: there to inspect, not to read."""
    body = "\n".join(f"- {s}" for s in turn.unsupported)
    return Collapsible(
        Static(body, markup=False, classes="sentences"),
        title=unsupported_title(len(turn.unsupported)),
        collapsed=True,
        classes="unsupported",
    )


def _show(widget: Static, content: Text | str) -> None:
    """Update a line that is hidden while it has nothing to say."""
    widget.update(content)
    widget.set_class(bool(content), "shown")


class Exchange(Vertical, can_focus=True):
    """One question and its answer: findings first, the draft below them while the model
    writes, then the whole checked answer in place of both. Focused (a click, tab), it is
    the answer ctrl+y copies; typing still goes to the question box."""

    BINDINGS = [
        Binding("escape", "app.focus_question", "Back"),
        Binding("ctrl+y", "copy", "Copy this answer"),
    ]

    def __init__(self, turn: TurnRecord, **kwargs) -> None:
        super().__init__(**kwargs)
        self.turn = turn
        self.writing = False  # the model is drafting: its words are provisional

    def compose(self) -> ComposeResult:
        yield Static(self.turn.question, markup=False, classes="question")
        yield Static("", markup=False, classes="query")
        yield Markdown(answer_markdown(self.turn), open_links=False, classes="answer")
        yield Static("", markup=False, classes="draft")
        if self.turn.unsupported:
            yield unsupported_section(self.turn)
        yield Static("", markup=False, classes="notice")

    def on_mount(self) -> None:
        self._refresh_lines()

    def on_key(self, event: events.Key) -> None:
        forward_typing(self, event)

    def action_copy(self) -> None:
        if not self.turn.answer:
            self.notify("This question has no answer to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(self.turn.answer)
        self.notify("Copied this answer to the clipboard.")

    def _refresh_lines(self) -> None:
        _show(self.query_one(".query", Static), searched_for(self.turn))
        _show(self.query_one(".draft", Static), draft_text(self.turn, self.writing))
        _show(self.query_one(".notice", Static), "\n".join(self.turn.notes))

    def set_notice(self, text: str) -> None:
        _show(self.query_one(".notice", Static), text)

    async def show_sources(self, sources: Sources) -> None:
        """Retrieval is done: show the findings now, and the draft area unless declining."""
        self.turn.start(sources)
        self.writing = not sources.declined
        await self.query_one(Markdown).update(answer_markdown(self.turn))
        self._refresh_lines()

    def write(self, piece: str) -> None:
        self.turn.draft += piece
        _show(self.query_one(".draft", Static), draft_text(self.turn, self.writing))

    async def finish(self, answer: Answer) -> None:
        """Replace findings and draft with the whole checked answer."""
        self.writing = False
        self.turn.finish(answer)
        await self.query_one(Markdown).update(answer_markdown(self.turn))
        if self.turn.unsupported:
            await self.mount(unsupported_section(self.turn), before=self.query_one(".notice"))
        self._refresh_lines()

    def stop(self, error: str = "") -> None:
        self.writing = False
        self.turn.stop(error)
        self._refresh_lines()
