"""The chat's pieces: one exchange (question + streamed answer), the sources panel, and
the saved-chats screen. They only display records; the answer loop lives in the core."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from rag.tui.conversations import Conversation, ConversationStore, SourceRecord, TurnRecord
from rag.types import Answer

MARKER = re.compile(r"\[(\d+)\]")
HIGHLIGHT = "bold reverse"
LINK_SCHEME = "source:"


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


def highlight(abstract: str, sentences: list[str]) -> Text:
    """The abstract with each of the sentences found in it highlighted."""
    text = Text(abstract)
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        m = re.search(r"\s+".join(map(re.escape, words)), abstract)
        if m:
            text.stylize(HIGHLIGHT, m.start(), m.end())
    return text


def answer_markdown(turn: TurnRecord) -> str:
    return link_citations(turn.answer, {s.n for s in turn.sources})


def turn_notice(turn: TurnRecord) -> str:
    """The line under an answer: stopped, declined, errors and the core's notices."""
    lines = []
    if turn.error:
        lines.append(f"Error: {turn.error}")
    if turn.stopped:
        lines.append("Stopped: the answer was cut short.")
    if turn.abstained:
        lines.append("Declined: no source supports an answer to this question.")
    if turn.unsupported:
        lines.append(f"{len(turn.unsupported)} sentence(s) supported by no source (no [n]).")
    lines += [f"Note: {n}" for n in turn.notices]
    return "\n".join(lines)


class Exchange(Vertical):
    """One question and its answer, which streams in and is then replaced by the
    citation-checked text."""

    def __init__(self, turn: TurnRecord, **kwargs) -> None:
        super().__init__(**kwargs)
        self.turn = turn
        self._stream = None

    def compose(self) -> ComposeResult:
        yield Static(self.turn.question, markup=False, classes="question")
        yield Markdown(answer_markdown(self.turn), open_links=False, classes="answer")
        notice = turn_notice(self.turn)
        yield Static(notice, markup=False, classes="notice")

    def set_notice(self, text: str) -> None:
        notice = self.query_one(".notice", Static)
        notice.update(text)
        notice.set_class(bool(text), "shown")

    def on_mount(self) -> None:
        self.set_notice(turn_notice(self.turn))

    async def write(self, piece: str) -> None:
        if self._stream is None:
            self.set_notice("")
            self._stream = Markdown.get_stream(self.query_one(Markdown))
        self.turn.answer += piece
        await self._stream.write(piece)

    async def _end_stream(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def finish(self, answer: Answer) -> None:
        await self._end_stream()
        self.turn.finish(answer)
        await self.query_one(Markdown).update(answer_markdown(self.turn))
        self.set_notice(turn_notice(self.turn))

    async def stop(self, error: str = "") -> None:
        await self._end_stream()
        self.turn.stopped, self.turn.error = not error, error
        self.set_notice(turn_notice(self.turn))


class SourcesPanel(Vertical):
    """The numbered sources of one exchange; the selected one shows its abstract."""

    PLACEHOLDER = "Select a source (F2 then ↑↓, a click, or a [n] in the answer) to read it."

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sources: list[SourceRecord] = []
        self.selected: int | None = None

    def compose(self) -> ComposeResult:
        yield Label("Sources", id="sources-title")
        yield OptionList(id="source-list")
        with VerticalScroll(id="source-detail"):
            yield Static(self.PLACEHOLDER, markup=False, id="abstract")

    def show(self, sources: list[SourceRecord]) -> None:
        """Fill the list with these sources; keep the selection if it still exists."""
        self.sources = sources
        options = self.query_one(OptionList)
        options.set_options(Option(self._prompt(s), id=str(s.n)) for s in sources)
        if self.selected not in {s.n for s in sources}:
            self.selected = None
        self.refresh_detail()

    def select(self, n: int) -> None:
        if any(s.n == n for s in self.sources):
            self.query_one(OptionList).highlighted = next(
                i for i, s in enumerate(self.sources) if s.n == n
            )
            self.selected = n
            self.refresh_detail()

    def refresh_detail(self) -> None:
        source = next((s for s in self.sources if s.n == self.selected), None)
        abstract = self.query_one("#abstract", Static)
        if source is None:
            abstract.update(self.PLACEHOLDER if self.sources else "No sources yet.")
            return
        why = "supporting sentence" if source.quote else "evidence sent to the model"
        abstract.update(
            Text.assemble(
                (f"[{source.n}] {source.title}\n", "bold"),
                (f"{source.date or 'no date'} · score {source.score:.2f} · {source.paper_id}\n"),
                (f"highlighted: {why}\n\n", "dim italic"),
                highlight(source.abstract, source.highlights),
            )
        )
        self.query_one("#source-detail").scroll_home(animate=False)

    @staticmethod
    def _prompt(s: SourceRecord) -> Text:
        return Text.assemble(
            (f"[{s.n}] ", "bold"), s.title, (f"\n     {s.date or 'no date'} · {s.score:.2f}", "dim")
        )

    @on(OptionList.OptionHighlighted, "#source-list")
    @on(OptionList.OptionSelected, "#source-list")
    def _picked(self, event: OptionList.OptionMessage) -> None:
        if event.option.id is not None and int(event.option.id) != self.selected:
            self.selected = int(event.option.id)
            self.refresh_detail()


class ChatsScreen(ModalScreen[str | None]):
    """Saved conversations: enter reopens one, d deletes it, escape goes back."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("d,delete", "delete", "Delete chat"),
    ]

    def __init__(self, chats: ConversationStore) -> None:
        super().__init__()
        self.chats = chats

    def compose(self) -> ComposeResult:
        with Vertical(id="chats"):
            yield Label("Saved chats: enter opens, d deletes, escape goes back", id="chats-title")
            yield OptionList(id="chat-list")

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        saved = self.chats.list()
        self.titles = {c.id: c.title for c in saved}
        options.set_options(Option(self._prompt(c), id=c.id) for c in saved)
        if not saved:
            options.set_options([Option("No saved chats yet.", disabled=True)])
        else:
            options.highlighted = 0
        options.focus()

    @staticmethod
    def _prompt(c: Conversation) -> Text:
        when = (c.updated or c.created).replace("T", " ")[:16]
        turns = f"{len(c.turns)} question{'s' if len(c.turns) != 1 else ''}"
        return Text.assemble(c.title, (f"\n  {when} · {turns}", "dim"))

    def action_delete(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id is not None:
            self.chats.delete(option.id)
            self.notify(f"Deleted “{self.titles.get(option.id, option.id)}”.")
            self._fill()

    @on(OptionList.OptionSelected, "#chat-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
