"""Snapshots of the main screens, over fakes with pinned timings so they are stable.

Update after a deliberate UI change: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json
import threading

from textual.widgets import Input, Markdown

from rag.errors import StoreError
from rag.tui.app import ChatApp
from rag.tui.conversations import Conversation, ConversationStore, TurnRecord
from rag.tui.exchange import Exchange
from tests.tui.conftest import FABRICATED, FAKE_SETTINGS, QUESTION
from tests.tui.helpers import ask, chat_app, panel, wait_until

SIZE = (120, 36)
DRAFTED = 8  # words of the model's draft on screen while it is paused


def steady_cursor(app: ChatApp) -> None:
    """The question box's cursor blinks in time with the answer: keep it still."""
    app.query_one(Input).cursor_blink = False


def test_answer_with_an_open_source(snap_compare, tmp_path, make_fake, cited_answer):
    assistant = make_fake(cited_answer, fixed=True)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)

    async def run_before(pilot) -> None:
        steady_cursor(app)
        exchange = await ask(pilot, QUESTION)
        markdown = exchange.query_one(Markdown)
        markdown.post_message(Markdown.LinkClicked(markdown, "source:1"))
        await wait_until(pilot, lambda: panel(app).selected == 1)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_findings_while_the_model_drafts(snap_compare, request, tmp_path, make_fake, cited_answer):
    gate = threading.Event()
    request.addfinalizer(gate.set)  # lets the model finish once the screen is taken
    answer = f"{FABRICATED} [1]. {cited_answer}"
    assistant = make_fake(answer, delay=0.15, gate=gate, gate_after=DRAFTED, fixed=True)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)

    async def run_before(pilot) -> None:
        steady_cursor(app)
        exchange = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: len(exchange.turn.draft.split()) == DRAFTED)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_startup_error(snap_compare, tmp_path):
    def broken(settings):
        raise StoreError("the store at /data/store is empty: run `rag ingest`")

    app = chat_app(FAKE_SETTINGS, broken, tmp_path)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.load_error)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_saved_chats(snap_compare, tmp_path, make_fake):
    chats = ConversationStore(tmp_path)
    for i, question in enumerate(["Which paper mines audio for ASR?", "What is Shrutilipi?"]):
        chats.save(Conversation(id=f"chat{i}", turns=[TurnRecord(question, "An answer [1].")]))
        path = tmp_path / f"chat{i}.json"  # pin the dates the list shows
        data = json.loads(path.read_text())
        data["created"] = data["updated"] = f"2026-01-0{i + 1}T10:00:00"
        path.write_text(json.dumps(data))
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake("x"), tmp_path)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.assistant is not None)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: not app.query(Exchange) and app.screen.id != "_default")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
