"""`rag chat`: a Textual chat over Assistant.ask(), the same pipeline as `rag ask`.

The app receives its settings and an assistant factory; the model loads and every answer
runs in a thread worker that talks to the UI only through `call_from_thread`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, OptionList, Static
from textual.worker import Worker, get_current_worker

from rag.config import Settings
from rag.errors import RagError
from rag.text import clean
from rag.tui.conversations import Conversation, ConversationStore, TurnRecord
from rag.tui.exchange import Exchange, batched, source_number
from rag.tui.widgets import ChatsScreen, SourcesPanel
from rag.types import Answer, Event, Sources, Turn

if TYPE_CHECKING:
    from rag.assistant import Assistant

AssistantFactory = Callable[[Settings], "Assistant"]
# Streamed tokens reach the UI in batches at most this often: each redraw costs CPU the
# model needs, and the worker waits for it.
UI_INTERVAL_S = 0.1

WELCOME = (
    "Ask a question about the papers. Each answer first quotes what the papers say, citing "
    "them as [n]: click one, or press F2, to read the abstract with the quote highlighted. "
    "The model's summary follows once it is checked against the sources. "
    "Follow-up questions use the conversation."
)


def build_default(settings: Settings) -> Assistant:
    """The real assistant; imported here so torch and Chroma load in the worker."""
    from rag.assistant import build_assistant

    return build_assistant(settings)


class ChatApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rag chat"
    BINDINGS = [
        Binding("escape", "stop", "Stop answer"),
        Binding("ctrl+n", "new_chat", "New chat"),
        Binding("ctrl+o", "open_chats", "Saved chats"),
        Binding("ctrl+y", "copy_answer", "Copy answer"),
        Binding("f2", "focus_sources", "Sources"),
    ]

    def __init__(
        self,
        settings: Settings,
        make_assistant: AssistantFactory | None = None,
        data_dir: str | Path | None = None,
        raise_errors: bool = False,
    ) -> None:
        """`raise_errors`: an unexpected exception (a bug, not a RagError) in loading or
        answering stops the app with its traceback instead of showing as a message. Tests
        set it, so a bug fails them; `rag chat` leaves it off."""
        super().__init__()
        self.settings = settings
        self.raise_errors = raise_errors
        self.make_assistant = make_assistant or build_default
        self.chats = ConversationStore(data_dir)
        self.assistant: Assistant | None = None
        self.conversation = Conversation()
        self.current: Exchange | None = None  # the exchange being answered
        self.last_answer: Answer | None = None
        self.load_error = ""
        self._model = threading.Lock()  # a stopped answer may still be inside the model

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with VerticalScroll(id="conversation"):
                yield self._welcome()
            yield SourcesPanel(id="sources")
        yield Input(placeholder="Loading…", id="question", disabled=True)
        yield Static("starting…", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        worker = get_current_worker()

        def report(step: str) -> None:
            if step != "ready":
                self._ui(worker, self._set_status, f"{step}…")

        try:
            report("opening the store")
            assistant = self.make_assistant(self.settings)
            assistant.warm_up(report)
        except RagError as exc:
            self._ui(worker, self._failed, str(exc))
        except Exception as exc:  # shown in the app rather than killing it
            if self.raise_errors:
                raise
            self._ui(worker, self._failed, f"unexpected {type(exc).__name__}: {exc}")
        else:
            self._ui(worker, self._loaded, assistant)

    def _ui(self, worker: Worker, callback: Callable, *args) -> None:
        """Run callback on the UI thread unless this worker was cancelled (or the app quit)."""
        if not worker.is_cancelled and self.is_running:
            self.call_from_thread(callback, *args)

    def _loaded(self, assistant: Assistant) -> None:
        self.assistant = assistant
        question = self.query_one("#question", Input)
        question.disabled = False
        question.placeholder = "Ask about the papers and press enter"
        question.focus()
        self._set_status()

    async def _failed(self, message: str) -> None:
        self.load_error = message
        if not self.conversation.turns:
            await self._reset_view()
        self.query_one("#question", Input).placeholder = "Not available: see the message above"
        self._set_status("not ready")

    def _welcome(self) -> Static:
        if not self.load_error:
            return Static(WELCOME, id="welcome", markup=False)
        return Static(
            f"Cannot start the assistant: {self.load_error}\n\n"
            "Fix this, then run `rag chat` again. Saved chats still open with ctrl+o.",
            id="welcome",
            classes="error",
            markup=False,
        )

    async def _reset_view(self) -> None:
        view = self.query_one("#conversation")
        await view.remove_children()
        if not self.conversation.turns:
            await view.mount(self._welcome())

    def _set_status(self, text: str = "") -> None:
        parts = [text] if text else []
        if self.assistant is not None:
            model = Path(self.assistant.generator.name).name
            parts += [model, f"{self.assistant.paper_count} papers"]
        t = self.last_answer.timings if self.last_answer else None
        if t is not None and t.completion_tokens:
            parts += [f"first token {t.ttft_s:.1f} s", f"{t.tokens_per_s:.1f} tokens/s"]
        elif t is not None:
            parts.append(f"retrieval {t.retrieve_s:.1f} s")
        self.query_one("#status", Static).update(" · ".join(parts))

    # -- asking ----------------------------------------------------------------------------

    @on(Input.Submitted, "#question")
    async def _submit(self, event: Input.Submitted) -> None:
        question = clean(event.value)  # shown, saved and asked without terminal escapes
        if not question or self.assistant is None:
            return
        event.input.clear()
        await self.action_stop()
        history = self.conversation.history()
        turn = TurnRecord(question)
        self.conversation.turns.append(turn)
        self._save()
        self.current = await self._add_exchange(turn)
        self.current.set_notice("retrieving sources…")
        self.query_one(SourcesPanel).show(None)
        self.refresh_bindings()
        self._answer(self.current, question, history)

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
        follow = self._at_bottom()
        if isinstance(event, Sources):
            await exchange.show_sources(event)
            self.query_one(SourcesPanel).show(exchange.turn)
        else:
            exchange.write(event.text)
        if follow:
            self._follow()

    def _at_bottom(self) -> bool:
        view = self.query_one("#conversation")
        return view.scroll_y >= view.max_scroll_y - 1

    def _follow(self) -> None:
        """Keep the newest text in view (after the next layout)."""
        view = self.query_one("#conversation")
        view.call_after_refresh(view.scroll_end, animate=False)

    async def _end(self, exchange: Exchange, answer: Answer | None, error: str = "") -> None:
        """Finish an exchange with its checked answer, or stop it (kept as produced)."""
        if exchange is not self.current:
            return
        self.current = None
        # The user may open another chat while this one finishes: save the one it belongs to.
        conversation = self.conversation
        if answer is not None:
            await exchange.finish(answer)
            self.last_answer = answer
            panel = self.query_one(SourcesPanel)
            if panel.turn is exchange.turn:
                panel.show(exchange.turn)  # the quotes are final; a model decline relabels
        else:
            exchange.stop(error)
        self._follow()
        self._save(conversation)
        self._set_status()
        self.refresh_bindings()

    async def action_stop(self) -> None:
        if self.current is not None:
            self.workers.cancel_group(self, "answer")
            await self._end(self.current, None)

    def on_unmount(self) -> None:
        """Quitting mid-answer keeps what was written, marked stopped, as escape does."""
        if self.current is not None:
            self.current.turn.stop()
            self.current = None
            with suppress(OSError):  # the window is gone: there is nowhere to report it
                self.chats.save(self.conversation)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return True if self.current is not None else None
        return True

    # -- conversations ---------------------------------------------------------------------

    def _save(self, conversation: Conversation | None = None) -> None:
        try:
            self.chats.save(conversation or self.conversation)
        except OSError as exc:
            self.notify(f"Cannot save the chat in {self.chats.directory}: {exc}", severity="error")

    async def _add_exchange(self, turn: TurnRecord) -> Exchange:
        for welcome in self.query("#welcome"):
            await welcome.remove()
        exchange = Exchange(turn)
        view = self.query_one("#conversation")
        await view.mount(exchange)
        self._follow()
        self.sub_title = self.conversation.title
        return exchange

    async def _show(self, conversation: Conversation) -> None:
        await self.action_stop()
        self.conversation = conversation
        await self._reset_view()
        for turn in conversation.turns:
            await self._add_exchange(turn)
        self.query_one(SourcesPanel).show(conversation.turns[-1] if conversation.turns else None)
        self.sub_title = conversation.title if conversation.turns else ""
        self.query_one("#question").focus()

    async def action_new_chat(self) -> None:
        await self._show(Conversation())

    def action_open_chats(self) -> None:
        self.push_screen(ChatsScreen(self.chats), self._chat_picked)

    async def _chat_picked(self, conversation_id: str | None) -> None:
        if conversation_id is not None:
            try:
                await self._show(self.chats.load(conversation_id))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self.notify(f"Cannot open that chat: {exc}", severity="error")
        elif self.conversation.turns and not self.chats.exists(self.conversation.id):
            await self.action_new_chat()  # the open chat was deleted

    def action_copy_answer(self) -> None:
        turn = next((t for t in reversed(self.conversation.turns) if t.answer), None)
        if turn is None:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.copy_to_clipboard(turn.answer)
        self.notify("Copied the last answer to the clipboard.")

    def action_focus_sources(self) -> None:
        options = self.query_one("#source-list", OptionList)
        options.focus()
        if options.highlighted is None and options.option_count:
            options.highlighted = 0

    @on(Markdown.LinkClicked)
    def _citation_clicked(self, event: Markdown.LinkClicked) -> None:
        n = source_number(event.href)
        exchange = event.markdown.parent
        if n is not None and isinstance(exchange, Exchange):
            panel = self.query_one(SourcesPanel)
            if panel.turn is not exchange.turn:
                panel.show(exchange.turn)
            panel.select(n)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help, action in [
            ("New chat", "Start a new conversation (ctrl+n)", self.action_new_chat),
            ("Saved chats", "Reopen or delete a saved chat (ctrl+o)", self.action_open_chats),
            ("Copy answer", "Copy the last answer (ctrl+y)", self.action_copy_answer),
            ("Stop answer", "Stop the running answer, keeping its text (escape)", self.action_stop),
            ("Sources", "Browse the sources of the answer (F2)", self.action_focus_sources),
        ]:
            yield SystemCommand(title, help, action)
