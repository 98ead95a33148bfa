"""Helpers for driving the chat with Textual's pilot."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from textual.geometry import Offset
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from rag.config import Settings
from rag.tui.app import AssistantFactory, ChatApp
from rag.tui.browser import PaperBrowser
from rag.tui.exchange import Exchange
from rag.tui.widgets import AbstractView, SourcesPanel

S = TypeVar("S", bound=Screen)


def chat_app(settings: Settings, make_assistant: AssistantFactory, data_dir: Path) -> ChatApp:
    """The chat as every test runs it: an unexpected exception in a worker stops the app
    and `run_test` raises it, so a bug fails the test instead of becoming a message."""
    return ChatApp(settings, make_assistant=make_assistant, data_dir=data_dir, raise_errors=True)


def held(make_assistant: AssistantFactory) -> tuple[threading.Event, AssistantFactory]:
    """A factory that builds the assistant only once the returned event is set: the chat
    while the store and models are still loading."""
    go = threading.Event()

    def factory(settings: Settings):
        go.wait(10)
        return make_assistant(settings)

    return go, factory


async def open_screen(pilot: Pilot, key: str, screen: type[S]) -> S:
    """Press `key` and wait for the screen of that type it brings up."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, screen))
    return pilot.app.screen


async def open_browser(pilot: Pilot, key: str) -> PaperBrowser:
    """Press F3 (every paper) or F4 (search) once the store is open; the browser shown."""
    app: ChatApp = pilot.app
    await wait_until(pilot, lambda: app.assistant is not None)
    return await open_screen(pilot, key, PaperBrowser)


async def wait_until(pilot: Pilot, predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until predicate() is true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await pilot.pause(0.05)


def answered(app: ChatApp) -> bool:
    """No answer is running and its worker has returned, so the final answer is on screen
    (`app.view.current` clears as the answer starts to be laid out)."""
    return app.view.current is None and not any(
        w.group == "answer" and w.is_running for w in app.workers
    )


async def ask(
    pilot: Pilot, question: str, timeout: float = 10.0, wait: bool = True, failing: bool = False
) -> Exchange:
    """Type a question, press enter and (by default) wait for the final answer, which must
    not be an error message unless the test expects one (`failing`)."""
    app: ChatApp = pilot.app
    await wait_until(pilot, lambda: app.assistant is not None, timeout)
    before = len(app.query(Exchange))
    box = app.query_one("#question", Input)
    box.focus()
    box.value = question
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(app.query(Exchange)) > before)
    exchange = list(app.query(Exchange))[-1]
    if wait:
        await wait_until(pilot, lambda: answered(app), timeout)
        assert bool(exchange.turn.error) == failing, exchange.turn.error
    return exchange


def panel(app: ChatApp) -> SourcesPanel:
    return app.query_one(SourcesPanel)


def detail_text(app: ChatApp) -> str:
    """The source the panel shows: its header and abstract."""
    return app.query_one("#source-detail", AbstractView).text


def link_offset(app: ChatApp, widget: Widget, action: str) -> Offset:
    """Screen offset of the first cell of widget whose click runs action (a link)."""
    region = widget.region
    for y in range(region.y, region.bottom):
        for x in range(region.x, region.right):
            if app.screen.get_style_at(x, y).meta.get("@click") == action:
                return Offset(x, y)
    raise AssertionError(f"no {action} link in {widget}")
