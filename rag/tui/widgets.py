"""The chat's side pieces: the sources panel and the saved-chats screen. Like the
exchange, they only display records; the answer loop lives in the core."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from rag.tui.conversations import Conversation, ConversationStore, SourceRecord, TurnRecord

HIGHLIGHT = "bold reverse"


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


class SourcesPanel(Vertical):
    """The numbered sources of one exchange; the selected one shows its abstract. A
    declined question's papers are labelled as the closest ones, not as its sources."""

    PLACEHOLDER = "Select a source (F2 then ↑↓, a click, or a [n] in the answer) to read it."
    TITLE, CLOSEST = "Sources", "Closest papers, not used"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.turn: TurnRecord | None = None
        self.sources: list[SourceRecord] = []
        self.selected: int | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.TITLE, id="sources-title")
        yield OptionList(id="source-list")
        with VerticalScroll(id="source-detail"):
            yield Static(self.PLACEHOLDER, markup=False, id="abstract")

    @property
    def closest(self) -> bool:
        return self.turn is not None and self.turn.abstained

    def show(self, turn: TurnRecord | None) -> None:
        """Fill the list with this turn's sources; keep the selection if it still exists."""
        self.turn, self.sources = turn, turn.sources if turn else []
        title = self.query_one("#sources-title", Label)
        title.update(self.CLOSEST if self.closest else self.TITLE)
        title.set_class(self.closest, "closest")
        options = self.query_one(OptionList)
        options.set_options(Option(self._prompt(s), id=str(s.n)) for s in self.sources)
        if self.selected not in {s.n for s in self.sources}:
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
        why = "sentence the answer quotes" if source.quote else "evidence sent to the model"
        if self.closest:
            why = "closest to the question, which was declined"
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
