"""Snapshots of the main screens at 160x45 and 80x24 (where the sources panel folds away),
over fakes with pinned timings so they are stable.

Update after a deliberate UI change: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json
import threading

import pytest
from textual.widgets import Input, Markdown

from rag.errors import StoreError
from rag.tui.app import ChatApp
from rag.tui.chats import ChatsScreen, ConfirmScreen
from rag.tui.conversations import Conversation, ConversationStore, TurnRecord
from tests.tui.conftest import FABRICATED, FAKE_SETTINGS, QUESTION
from tests.tui.helpers import ask, chat_app, open_browser, open_screen, panel, wait_until

WIDE, NARROW = (160, 45), (80, 24)
DRAFTED = 8  # words of the model's draft on screen while it is paused
FOLLOWUP = "how many languages does it cover?"


def steady_cursor(app: ChatApp) -> None:
    """The text box's cursor blinks in time with the answer: keep it still."""
    for box in app.screen.query(Input):
        box.cursor_blink = False


@pytest.fixture
def app(tmp_path, make_fake, cited_answer) -> ChatApp:
    """The chat over a fake whose answer cites the sample paper, at pinned timings."""
    return chat_app(FAKE_SETTINGS, lambda s: make_fake(cited_answer, fixed=True), tmp_path)


def test_answer_with_an_open_source(snap_compare, app):
    async def run_before(pilot) -> None:
        steady_cursor(app)
        exchange = await ask(pilot, QUESTION)
        markdown = exchange.query_one(Markdown)
        markdown.post_message(Markdown.LinkClicked(markdown, "source:1"))
        await wait_until(pilot, lambda: panel(app).selected == 1)
        await pilot.pause()

    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_narrow_answer(snap_compare, app):
    """80 columns: the chat has the whole width; the sources are one key away."""

    async def run_before(pilot) -> None:
        steady_cursor(app)
        await ask(pilot, QUESTION)
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_narrow_sources(snap_compare, app):
    """80 columns, F2: the sources in the chat's place, the abstract at its quote."""

    async def run_before(pilot) -> None:
        steady_cursor(app)
        await ask(pilot, QUESTION)
        await pilot.press("f2", "down")
        await wait_until(pilot, lambda: panel(app).selected == 2)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_drafting_with_a_question_waiting(snap_compare, request, tmp_path, make_fake, cited_answer):
    gate = threading.Event()
    request.addfinalizer(gate.set)  # lets the model finish once the screen is taken
    answer = f"{FABRICATED} [1]. {cited_answer}"
    assistant = make_fake(answer, delay=0.15, gate=gate, gate_after=DRAFTED, fixed=True)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)

    async def run_before(pilot) -> None:
        steady_cursor(app)
        exchange = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: len(exchange.turn.draft.split()) == DRAFTED)
        await ask(pilot, FOLLOWUP, wait=False)
        await wait_until(pilot, lambda: app.view.waiting)
        await pilot.pause()

    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_startup_error(snap_compare, tmp_path):
    def broken(settings):
        raise StoreError("the store at /data/store is empty: run `rag ingest`")

    app = chat_app(FAKE_SETTINGS, broken, tmp_path)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.load_error)
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def _saved_chats(tmp_path) -> None:
    chats = ConversationStore(tmp_path)
    for i, question in enumerate(["Which paper mines audio for ASR?", "What is Shrutilipi?"]):
        chats.save(Conversation(id=f"chat{i}", turns=[TurnRecord(question, "An answer [1].")]))
        path = tmp_path / f"chat{i}.json"  # pin the dates the list shows
        data = json.loads(path.read_text())
        data["created"] = data["updated"] = f"2026-01-0{i + 1}T10:00:00"
        path.write_text(json.dumps(data))


def test_saved_chats(snap_compare, tmp_path, make_fake):
    _saved_chats(tmp_path)
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake("x"), tmp_path)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.assistant is not None)
        steady_cursor(app)
        await open_screen(pilot, "ctrl+o", ChatsScreen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_delete_asks_first(snap_compare, tmp_path, make_fake):
    _saved_chats(tmp_path)
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake("x"), tmp_path)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.assistant is not None)
        steady_cursor(app)
        await open_screen(pilot, "ctrl+o", ChatsScreen)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_paper_list_filtered(snap_compare, tmp_path, make_fake):
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake("x"), tmp_path)

    async def run_before(pilot) -> None:
        browser = await open_browser(pilot, "f3")
        steady_cursor(app)
        await wait_until(pilot, lambda: browser.papers is not None)
        await pilot.press("a", "u", "d", "i", "o")
        await wait_until(pilot, lambda: 0 < len(browser.shown) < len(browser.papers or []))
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_paper_search(snap_compare, tmp_path, make_fake):
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake("x"), tmp_path)

    async def run_before(pilot) -> None:
        browser = await open_browser(pilot, "f4")
        steady_cursor(app)
        browser.query_one(Input).value = QUESTION
        await pilot.press("enter")
        await wait_until(pilot, lambda: browser.shown)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)
