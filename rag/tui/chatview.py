"""The open chat: its exchanges and, beside them, the sources of one of them.

Questions are asked one at a time: the one being answered runs Assistant.ask in a thread
worker that reaches the UI only through `call_from_thread`; those typed meanwhile (or
while the model loads) wait, shown as waiting, and are asked in turn. The chat is saved
at each step, and whatever way the app ends, with what was written marked stopped.

A terminal narrower than the app's breakpoint has no room for both panes: the sources
panel is hidden and, opened (F2 or a click on a [n]), takes the chat's place until escape.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Markdown, OptionList, Static
from textual.worker import Worker, get_current_worker

from rag.errors import RagError
from rag.tui.conversations import Conversation, ConversationStore, TurnRecord
from rag.tui.exchange import Exchange, batched, source_number
from rag.tui.widgets import SourcesPanel
from rag.types import Answer, Event, Sources, Turn

if TYPE_CHECKING:
    from rag.assistant import Assistant

# Streamed tokens reach the UI in batches at most this often: each redraw costs CPU the
# model needs, and the worker waits for it.
UI_INTERVAL_S = 0.1
WAITING = "Waiting: asked after the answer above (esc stops the running one)."
WAITING_LOAD = "Waiting: asked once the model has loaded."
WELCOME = (
    "Ask a question about the papers. Each answer first quotes what the papers say, citing "
    "them as [n]: click one, or press F2, to read the abstract with the quote highlighted. "
    "The model's summary follows once it is checked against the sources. "
    "Follow-up questions use the conversation. F3 lists the papers."
)


def welcome(load_error: str = "") -> Static:
    """What an empty chat shows: how to use it, or why the assistant cannot start."""
    if not load_error:
        return Static(WELCOME, id="welcome", markup=False)
    return Static(
        f"Cannot start the assistant: {load_error}\n\n"
        "Fix this, then run `rag chat` again. Saved chats still open with ctrl+o.",
        id="welcome",
        classes="error",
        markup=False,
    )


class ChatView(Horizontal):
    """The exchanges of one conversation, its sources panel and its question queue."""

    class Changed(Message):
        """An answer started or ended, or a question waits: the status line is redrawn."""

    def __init__(self, chats: ConversationStore, raise_errors: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chats, self.raise_errors = chats, raise_errors
        self.conversation = Conversation()
        self.assistant: Assistant | None = None  # set by the app once loaded
        self.current: Exchange | None = None  # the exchange being answered
        self.waiting: list[Exchange] = []  # asked while loading or answering, in order
        self.last_answer: Answer | None = None
        self._model = threading.Lock()  # a stopped answer may still be inside the model

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="conversation"):
            yield welcome()
        yield SourcesPanel(id="sources")

    @property
    def panel(self) -> SourcesPanel:
        return self.query_one(SourcesPanel)

    @property
    def column(self) -> VerticalScroll:
        return self.query_one("#conversation", VerticalScroll)

    # -- asking ----------------------------------------------------------------------------

    async def ask(self, question: str) -> None:
        """Show the question at once; it is asked when the model is free."""
        turn = TurnRecord(question)
        self.conversation.turns.append(turn)
        self.save()
        self.waiting.append(await self._add(turn))
        self.next()

    def next(self) -> None:
        """Ask the first waiting question once the model is free; the rest say they wait."""
        if self.current is None and self.assistant is not None and self.waiting:
            self.current = self.waiting.pop(0)
            self.current.set_notice("retrieving sources…")
            self.panel.show(None)
            history = self.conversation.history()  # the answered turns, all before this one
            self._answer(self.current, self.current.turn.question, history)
        for exchange in self.waiting:
            exchange.set_notice(WAITING if self.assistant else WAITING_LOAD)
        self.post_message(self.Changed())

    def _ui(self, worker: Worker, callback: Callable, *args) -> None:
        if not worker.is_cancelled and self.app.is_running:
            self.app.call_from_thread(callback, *args)

    @work(thread=True, exclusive=True, group="answer")
    def _answer(self, exchange: Exchange, question: str, history: Sequence[Turn]) -> None:
        worker = get_current_worker()
        with self._model:
            if worker.is_cancelled or self.assistant is None:
                return
            events = self.assistant.ask(question, history)
            try:
                for event in batched(events, UI_INTERVAL_S):
                    if worker.is_cancelled:
                        break
                    self._ui(worker, self._on_event, exchange, event)
            except RagError as exc:
                self._ui(worker, self._end, exchange, None, str(exc))
            except Exception as exc:
                if self.raise_errors:
                    raise
                self._ui(worker, self._end, exchange, None, f"{type(exc).__name__}: {exc}")
            finally:
                events.close()  # stops the model's token stream

    async def _on_event(self, exchange: Exchange, event: Event) -> None:
        if exchange is not self.current:
            return
        if isinstance(event, Answer):
            await self._end(exchange, event)
            return
        follow = self.at_bottom()
        if isinstance(event, Sources):
            await exchange.show_sources(event)
            self.panel.show(exchange.turn)
            self.save()  # the quotes survive even a killed process
        else:
            exchange.write(event.text)
        if follow:
            self.follow()

    async def _end(self, exchange: Exchange, answer: Answer | None, error: str = "") -> None:
        """Finish an exchange with its checked answer, or stop it (kept as produced)."""
        if exchange is not self.current:
            return
        self.current = None
        if answer is not None:
            await exchange.finish(answer)
            self.last_answer = answer
            if self.panel.turn is exchange.turn:
                self.panel.show(exchange.turn)  # the quotes are final; a decline relabels
        else:
            exchange.stop(error)
        self.follow()
        self.save()
        self.next()

    async def stop(self) -> None:
        """Stop the running answer; the next waiting question, if any, is asked."""
        if self.current is not None:
            self.workers.cancel_group(self, "answer")
            await self._end(self.current, None)

    def drop_waiting(self, error: str = "") -> None:
        """The waiting questions will not be asked (another chat opens, or no model)."""
        for exchange in self.waiting:
            exchange.stop(error)
        if self.waiting:
            self.waiting.clear()
            self.save()

    def keep_unfinished(self) -> None:
        """Mark the running and waiting answers stopped and save, touching no widget: the
        app calls this as it ends, when the widgets may be gone."""
        unfinished = ([self.current] if self.current else []) + self.waiting
        for exchange in unfinished:
            exchange.turn.stop()
        self.current, self.waiting = None, []
        if unfinished:
            with suppress(OSError):  # the window is gone: there is nowhere to report it
                self.chats.save(self.conversation)

    def save(self) -> None:
        try:
            self.chats.save(self.conversation)
        except OSError as exc:
            self.notify(f"Cannot save the chat in {self.chats.directory}: {exc}", severity="error")

    # -- showing ---------------------------------------------------------------------------

    async def show(self, conversation: Conversation, empty: Static) -> None:
        """Open a conversation, its turns or, when it has none, `empty`."""
        self.drop_waiting()  # the open chat's waiting questions are not asked in another
        await self.stop()
        self.conversation = conversation
        await self.column.remove_children()
        shown = [await self._add(turn) for turn in conversation.turns]
        if not shown:
            await self.column.mount(empty)
        self.panel.show(shown[-1].turn if shown else None)

    async def _add(self, turn: TurnRecord) -> Exchange:
        for old in self.query("#welcome"):
            await old.remove()
        exchange = Exchange(turn)
        await self.column.mount(exchange)
        self.follow()
        return exchange

    def at_bottom(self) -> bool:
        return self.column.scroll_y >= self.column.max_scroll_y - 1

    def follow(self) -> None:
        """Keep the newest text in view (after the next layout)."""
        self.column.call_after_refresh(self.column.scroll_end, animate=False)

    @property
    def in_sources(self) -> bool:
        focused = self.app.focused
        return focused is not None and self.panel in focused.ancestors_with_self

    def open_sources(self) -> None:
        """Focus the sources list (shown in place of the chat when narrow)."""
        self.add_class("sources-open")
        self.panel.refresh_detail()  # laid out anew: scroll to the quote at this width
        options = self.panel.query_one(OptionList)
        options.focus()
        if options.highlighted is None and options.option_count:
            options.highlighted = 0

    def close_sources(self) -> None:
        self.remove_class("sources-open")

    @on(Markdown.LinkClicked)
    def _citation_clicked(self, event: Markdown.LinkClicked) -> None:
        n = source_number(event.href)
        exchange = event.markdown.parent
        if n is not None and isinstance(exchange, Exchange):
            if self.panel.turn is not exchange.turn:
                self.panel.show(exchange.turn)
            self.panel.select(n)
            if self.screen.has_class("-narrow"):  # the panel is hidden: show it
                self.open_sources()
