"""The paper browser: every paper in the store, filtered by title as you type (F3), or
ranked for a query as `rag search` ranks them, without the model (F4). The highlighted
paper shows its abstract; in a search, with the sentence closest to the query marked.

The papers are read when the browser opens, in a thread, never at startup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, get_current_worker

from rag.errors import RagError
from rag.text import clean
from rag.tui.conversations import dated_listing
from rag.tui.widgets import AbstractView, Typed, forward_typing, highlight
from rag.types import Paper

if TYPE_CHECKING:
    from rag.assistant import Assistant

Mode = Literal["list", "search"]
SHOWN = 300  # rows in the list at once: filling it with 10,000 would stall every key
SEARCH_K = 20
QUOTE_CHARS = 160


@dataclass(frozen=True)
class Found:
    """A paper in the list, with the sentence closest to the query when searching."""

    paper: Paper
    sentence: str = ""


def matching(papers: Sequence[Paper], typed: str) -> list[Paper]:
    """The papers whose title holds every word typed, in any order, case ignored."""
    words = typed.lower().split()
    return [p for p in papers if all(w in p.title.lower() for w in words)]


def search(assistant: Assistant, query: str, k: int = SEARCH_K) -> list[Found]:
    """The ranked papers of `rag search`, each with its sentence closest to the query."""
    hits = assistant.search(query, k)
    if not hits:
        return []
    vector = assistant.embedder.encode([clean(query)])[0]
    evidence = assistant.retriever.evidence(vector, hits, 1)
    return [Found(e.hit.paper, e.sentences[0] if e.sentences else "") for e in evidence]


def where(paper: Paper) -> str:
    listing = dated_listing(paper)
    if listing is None:
        return "no listing"
    file = Path(listing.source).name
    return " · ".join(x for x in (listing.date or "no date", file) if x)


class PaperBrowser(ModalScreen[None]):
    """Modal, so the chat's keys (F2, ctrl+n…) wait until escape closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Back"),
        Binding("f3", "mode('list')", "All papers"),
        Binding("f4", "mode('search')", "Search"),
        Binding("down", "to_list", "List", show=False),
    ]
    SEARCH = "Search by meaning, as `rag search` does, without the model: type, then enter"

    def __init__(self, assistant: Assistant, mode: Mode = "list") -> None:
        super().__init__()
        self.assistant, self.mode = assistant, mode
        self.papers: list[Paper] | None = None  # every paper, once read
        self.shown: list[Found] = []
        self.query_text = ""  # the query the search results are for

    def compose(self) -> ComposeResult:
        yield Label("", id="browser-title", markup=False)
        yield Input(id="paper-query", select_on_focus=False)
        with Horizontal(id="browser-body"):
            yield OptionList(id="paper-list")
            yield AbstractView(id="paper-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.action_mode(self.mode)
        self._read_papers()

    def on_key(self, event: events.Key) -> None:
        forward_typing(self, event)

    @on(Typed)
    def _typed(self, event: Typed) -> None:
        event.stop()  # this screen's box, not the chat's
        box = self.query_one("#paper-query", Input)
        box.focus()
        box.insert_text_at_cursor(event.character)

    def action_mode(self, mode: Mode) -> None:
        """List or search; what was typed for the other mode is cleared."""
        box = self.query_one("#paper-query", Input)
        if mode != self.mode:
            box.value = ""
        self.mode = mode
        box.placeholder = "Filter by title" if mode == "list" else "Search the papers by meaning"
        box.focus()
        if mode == "list":
            self._fill_list()
        else:
            self._fill([], self.SEARCH)

    def action_to_list(self) -> None:
        options = self.query_one("#paper-list", OptionList)
        if self.focused is self.query_one("#paper-query") and options.option_count:
            options.focus()
            options.highlighted = options.highlighted or 0

    @work(thread=True, exclusive=True, group="papers")
    def _read_papers(self) -> None:
        worker = get_current_worker()
        try:
            stored = self.assistant.retriever.store.papers()
        except RagError as exc:
            self._ui(worker, self._fill, [], f"Cannot read the papers: {exc}")
            return
        papers = sorted((p for p, _ in stored.values()), key=lambda p: p.title.lower())
        self._ui(worker, self._papers_read, papers)

    def _ui(self, worker: Worker, callback: Callable, *args) -> None:
        """Run callback on the UI thread unless the browser was closed meanwhile."""
        if not worker.is_cancelled and self.app.is_running:
            self.app.call_from_thread(self._if_open, callback, *args)

    def _if_open(self, callback: Callable, *args) -> None:
        if self.is_attached:
            callback(*args)

    def _papers_read(self, papers: list[Paper]) -> None:
        self.papers = papers
        if self.mode == "list":
            self._fill_list()

    def _fill_list(self) -> None:
        if self.papers is None:
            self._fill([], "Reading the papers…")
            return
        typed = self.query_one("#paper-query", Input).value
        found = matching(self.papers, typed)
        count = f"{len(found)} of {len(self.papers)} papers" if typed else f"{len(found)} papers"
        self._fill([Found(p) for p in found], f"{count}: type to filter by title")

    @on(Input.Changed, "#paper-query")
    def _changed(self) -> None:
        if self.mode == "list":
            self._fill_list()

    @on(Input.Submitted, "#paper-query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.mode == "list":
            self.action_to_list()
        elif clean(event.value):
            self.query_text = clean(event.value)
            self._fill([], f"Searching for “{self.query_text}”…")
            self._search(self.query_text)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, query: str) -> None:
        worker = get_current_worker()
        try:
            found = search(self.assistant, query)
        except RagError as exc:
            self._ui(worker, self._fill, [], f"The search failed: {exc}")
            return
        self._ui(worker, self._searched, query, found)

    def _searched(self, query: str, found: list[Found]) -> None:
        if self.mode == "search" and query == self.query_text:
            self._fill(found, f"{len(found)} papers closest to “{query}” (no model)")

    def _fill(self, found: list[Found], title: str) -> None:
        self.shown = found[:SHOWN]
        self.query_one("#browser-title", Label).update(title)
        options = self.query_one("#paper-list", OptionList)
        options.set_options(Option(self._prompt(i, f), id=str(i)) for i, f in enumerate(self.shown))
        if len(found) > SHOWN:
            more = f"… and {len(found) - SHOWN} more: type to narrow the list"
            options.add_option(Option(more, disabled=True))
        self.query_one(AbstractView).show("")
        if self.shown:
            options.highlighted = 0

    def _prompt(self, i: int, found: Found) -> Text:
        rank = (f"{i + 1}. ", "bold") if self.mode == "search" else ""
        text = Text.assemble(rank, found.paper.title, (f"\n  {where(found.paper)}", "dim"))
        if found.sentence:
            quote = found.sentence
            quote = quote if len(quote) <= QUOTE_CHARS else quote[: QUOTE_CHARS - 1] + "…"
            text.append(f"\n  “{quote}”", "italic")
        return text

    @on(OptionList.OptionHighlighted, "#paper-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is None:
            return
        found = self.shown[int(event.option.id)]
        header = Text.assemble((f"{found.paper.title}\n", "bold"), f"listed {where(found.paper)}")
        if found.sentence:
            header.append("\nhighlighted: the sentence closest to the query", "dim italic")
        sentences = [found.sentence] if found.sentence else []
        self.query_one(AbstractView).show(header, highlight(found.paper.abstract, sentences))

    @on(OptionList.OptionSelected, "#paper-list")
    def _open(self) -> None:
        self.query_one(AbstractView).focus()
