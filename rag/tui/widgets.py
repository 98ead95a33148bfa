"""The chat's side pieces: the abstract view and the sources panel. Like the exchange, they
only display records; the answer loop lives in the core."""

from __future__ import annotations

import re

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from rag.tui.conversations import SourceRecord, TurnRecord
from rag.tui.export import citation_text

HIGHLIGHT = "bold reverse"


class Typed(Message):
    """A letter typed where there is no text box: the screen's text box takes it."""

    def __init__(self, character: str) -> None:
        super().__init__()
        self.character = character


def forward_typing(widget: Widget, event: events.Key) -> None:
    """Send a printable key to the screen's text box instead of dropping it."""
    if event.is_printable and event.character:
        event.stop()
        widget.post_message(Typed(event.character))


class QuestionBox(Input):
    """The question box. Enter takes the question out at once, in key order: left to the
    app's binding, it ran after the keys typed next (type-ahead, tmux send-keys), which
    were glued to the question and sent twice."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key != "enter":
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        question, self.value = self.value, ""
        self.post_message(self.Submitted(self, question))


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


def first_highlighted_line(text: Text, width: int) -> int | None:
    """The line, once wrapped to width, where the first highlight starts."""
    lines = Content.from_rich_text(text).wrap(width)
    return next((i for i, line in enumerate(lines) if line.spans), None)


class AbstractView(VerticalScroll):
    """A paper's header and abstract, scrolled so the highlighted sentence is in view:
    a short pane used to show only the header."""

    shown: Text | str = ""

    def compose(self) -> ComposeResult:
        yield Static("", markup=False, classes="paper-header")
        yield Static("", markup=False, classes="paper-abstract")

    def show(self, header: Text | str, abstract: Text | str = "") -> None:
        self.query_one(".paper-header", Static).update(header)
        self.query_one(".paper-abstract", Static).update(abstract)
        self.shown = abstract
        self.scroll_home(animate=False)
        if isinstance(abstract, Text) and abstract.spans:
            self.call_after_refresh(self._scroll_to_highlight, abstract)

    def _scroll_to_highlight(self, abstract: Text) -> None:
        body = self.query_one(".paper-abstract", Static)
        if abstract is not self.shown or body.content_region.width <= 0:
            return  # another paper was shown meanwhile, or the pane is hidden
        line = first_highlighted_line(abstract, body.content_region.width)
        if line is None:
            return
        y = body.virtual_region.y + line
        if y + 2 > self.scrollable_content_region.height:  # not in view from the top
            self.scroll_to(y=y - 1, animate=False)

    @property
    def text(self) -> str:
        return "\n".join(str(s.content) for s in self.query(Static))


class SourcesPanel(Vertical):
    """The numbered sources of one exchange; the selected one shows its abstract. A
    declined question's papers are labelled as the closest ones, not as its sources."""

    BINDINGS = [
        Binding("escape", "app.focus_question", "Back"),
        Binding("ctrl+y", "copy_citation", "Copy citation"),
    ]
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
        yield AbstractView(id="source-detail")

    def on_key(self, event: events.Key) -> None:
        forward_typing(self, event)

    @property
    def closest(self) -> bool:
        return self.turn is not None and self.turn.abstained

    @property
    def source(self) -> SourceRecord | None:
        return next((s for s in self.sources if s.n == self.selected), None)

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
        source, view = self.source, self.query_one(AbstractView)
        if source is None:
            view.show(self.PLACEHOLDER if self.sources else "No sources yet.")
            return
        why = "sentence the answer quotes" if source.quote else "evidence sent to the model"
        if self.closest:
            why = "closest to the question, which was declined"
        listed = f"listed {source.date or 'with no date'}"
        header = Text.assemble(
            (f"[{source.n}] {source.title}\n", "bold"),
            f"{listed} in {source.file}\n" if source.file else f"{listed}\n",
            (f"highlighted: {why}", "dim italic"),
        )
        view.show(header, highlight(source.abstract, source.highlights))

    def action_copy_citation(self) -> None:
        if self.source is None:
            self.notify("Select a source first (↑↓).", severity="warning")
            return
        self.app.copy_to_clipboard(citation_text(self.source))
        self.notify(f"Copied the citation of [{self.source.n}].", markup=False)

    @staticmethod
    def _prompt(s: SourceRecord) -> Text:
        where = " · ".join(x for x in (s.date or "no date", s.file) if x)
        return Text.assemble((f"[{s.n}] ", "bold"), s.title, (f"\n     {where}", "dim"))

    @on(OptionList.OptionHighlighted, "#source-list")
    @on(OptionList.OptionSelected, "#source-list")
    def _picked(self, event: OptionList.OptionMessage) -> None:
        if event.option.id is not None and int(event.option.id) != self.selected:
            self.selected = int(event.option.id)
            self.refresh_detail()
