"""`rag chat`: a Textual chat over Assistant.ask(), the same pipeline as `rag ask`.

The app receives its settings and an assistant factory and composes the pieces: the open
chat (chatview.py: exchanges, sources, the question queue), the question box, the status
line, the keys and palette commands (commands.py), and the screens for saved chats and
the papers. The model loads in a thread worker while the window is already usable.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, get_current_worker

from rag.config import Settings
from rag.errors import RagError
from rag.text import clean
from rag.tui.browser import Mode, PaperBrowser
from rag.tui.chats import ChatsScreen
from rag.tui.chatview import ChatView, welcome
from rag.tui.commands import BINDINGS, system_commands
from rag.tui.conversations import Conversation, ConversationStore
from rag.tui.export import export_file
from rag.tui.status import fit, status_parts
from rag.tui.widgets import QuestionBox, Typed

if TYPE_CHECKING:
    from rag.assistant import Assistant

AssistantFactory = Callable[[Settings], "Assistant"]
# Narrower than this, the sources panel leaves the chat its whole width; F2 shows it instead.
WIDE = 100
LOADING = "Loading… type your question: it is asked once the model is ready"


def build_default(settings: Settings) -> Assistant:
    """The real assistant; imported here so torch and Chroma load in the worker."""
    from rag.assistant import build_assistant

    return build_assistant(settings)


class ChatApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rag chat"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    BINDINGS = BINDINGS

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
        self.load_error = ""
        self.unfinished = 0  # papers not fully indexed, counted once the store is open
        self.state = "starting…"  # the status line's first part while loading
        # Kept, not queried: the app saves through it as it ends, when the DOM is gone.
        self.view = ChatView(self.chats, raise_errors, id="main")

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.view
        yield QuestionBox(placeholder=LOADING, id="question", select_on_focus=False)
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#question").focus()
        if not self.is_headless:  # a closed terminal or `kill` quits as ctrl+q does
            loop = asyncio.get_running_loop()
            for name in ("SIGHUP", "SIGTERM"):
                with suppress(AttributeError, NotImplementedError, RuntimeError):
                    loop.add_signal_handler(getattr(signal, name), self._hang_up)
        self._set_status()
        self._load()

    def on_unmount(self) -> None:
        """Quitting, or a crash, mid-answer keeps what was written, marked stopped."""
        self.view.keep_unfinished()

    def _hang_up(self) -> None:
        self.view.keep_unfinished()  # now: the terminal may be gone before the app unmounts
        self.exit()

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
            unfinished = assistant.unfinished_papers()
        except RagError as exc:
            self._ui(worker, self._failed, str(exc))
        except Exception as exc:  # shown in the app rather than killing it
            if self.raise_errors:
                raise
            self._ui(worker, self._failed, f"unexpected {type(exc).__name__}: {exc}")
        else:
            self._ui(worker, self._loaded, assistant, unfinished)

    def _ui(self, worker: Worker, callback: Callable, *args) -> None:
        """Run callback on the UI thread unless this worker was cancelled (or the app quit)."""
        if not worker.is_cancelled and self.is_running:
            self.call_from_thread(callback, *args)

    def _loaded(self, assistant: Assistant, unfinished: int) -> None:
        self.assistant = self.view.assistant = assistant
        self.unfinished = unfinished
        self.state = ""
        self.query_one("#question", Input).placeholder = "Ask about the papers and press enter"
        self._set_status()  # now, not on the view's Changed message: that may come later
        self.view.next()  # the questions typed while it loaded

    async def _failed(self, message: str) -> None:
        self.load_error, self.state = message, "not ready"
        self.view.drop_waiting(f"not asked: {message}")
        if not self.view.conversation.turns:
            await self.view.show(self.view.conversation, welcome(message))
        question = self.query_one("#question", Input)
        question.disabled, question.placeholder = True, "Not available: see the message above"
        self._set_status()

    # -- status ----------------------------------------------------------------------------

    def _set_status(self, state: str | None = None) -> None:
        """State first (loading, answering, waiting questions), then what fits of the
        model, the store's size and the last answer's speed (not while one is written)."""
        self.state = self.state if state is None else state
        busy = "answering…" if self.view.current is not None else ""
        queued = f"{len(self.view.waiting)} waiting" if self.view.waiting else ""
        now = " ".join(x for x in (self.state or busy, queued) if x)
        model = self.assistant.generator.name if self.assistant else ""
        papers = self.assistant.paper_count if self.assistant else None
        last = self.view.last_answer
        timings = last.timings if last is not None and not busy else None
        parts = status_parts(now, model, papers, timings, self.unfinished)
        line = fit(parts, self.size.width - 2)
        self.query_one("#status", Static).update(line)

    def on_resize(self) -> None:
        self._set_status()

    @on(ChatView.Changed)
    def _chat_changed(self) -> None:
        self._set_status()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return True if self.view.current is not None else None
        return True

    # -- asking ----------------------------------------------------------------------------

    @on(Input.Submitted, "#question")
    async def _submit(self, event: Input.Submitted) -> None:
        question = clean(event.value)  # shown, saved and asked without terminal escapes
        if question and not self.load_error:  # the box is disabled then
            await self.view.ask(question)
            self.sub_title = self.view.conversation.title

    async def action_stop(self) -> None:
        await self.view.stop()

    @on(Typed)
    def _typed(self, event: Typed) -> None:
        """A letter typed in the sources or on an answer starts the next question."""
        box = self.query_one("#question", Input)
        if not box.disabled:
            self.action_focus_question()
            box.insert_text_at_cursor(event.character)

    def action_focus_question(self) -> None:
        """Back to the question box (escape); a narrow terminal shows the chat again."""
        self.view.close_sources()
        self.query_one("#question").focus()

    def action_sources(self) -> None:
        """F2: to the sources, or back from them."""
        if self.view.in_sources:
            self.action_focus_question()
        else:
            self.view.open_sources()

    def action_copy_answer(self) -> None:
        turns = self.view.conversation.turns
        turn = next((t for t in reversed(turns) if t.answer), None)
        if turn is None:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.copy_to_clipboard(turn.answer)
        self.notify("Copied the last answer to the clipboard.")

    # -- other chats, papers, export -------------------------------------------------------

    async def _open(self, conversation: Conversation) -> None:
        await self.view.show(conversation, welcome(self.load_error))
        self.sub_title = conversation.title if conversation.turns else ""
        self.action_focus_question()

    async def action_new_chat(self) -> None:
        await self._open(Conversation())

    def action_open_chats(self) -> None:
        self.push_screen(ChatsScreen(self.chats), self._chat_picked)

    async def _chat_picked(self, conversation_id: str | None) -> None:
        if conversation_id is not None:
            try:
                await self._open(self.chats.load(conversation_id))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self.notify(f"Cannot open that chat: {exc}", severity="error")
        elif self.view.conversation.turns and not self.chats.exists(self.view.conversation.id):
            await self.action_new_chat()  # the open chat was deleted

    def action_papers(self, mode: Mode) -> None:
        if self.assistant is None:
            self.notify("The papers can be browsed once the store has loaded.", severity="warning")
            return
        self.push_screen(PaperBrowser(self.assistant, mode))

    def action_export(self) -> None:
        if not self.view.conversation.turns:
            self.notify("Nothing to export yet: ask a question first.", severity="warning")
            return
        try:
            path = export_file(self.view.conversation, Path.cwd())
        except OSError as exc:
            self.notify(f"Cannot write the Markdown file: {exc}", severity="error")
        else:
            self.notify(f"Exported the chat to {path}", markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from system_commands(self)
