"""Questions typed while the model loads or answers wait their turn; whatever way the app
ends, the chat is saved with what was written."""

from __future__ import annotations

import threading

import pytest
from textual import events
from textual.widgets import Input
from textual.worker import WorkerFailed

from rag import compose
from rag.tui.conversations import ConversationStore
from rag.tui.exchange import Exchange
from rag.types import Turn
from tests.tui.conftest import FABRICATED, FAKE_SETTINGS, QUESTION
from tests.tui.helpers import answered, ask, chat_app, held, wait_until

pytestmark = pytest.mark.anyio
SIZE = (120, 40)
FOLLOWUP = "how many languages does it cover?"
LONG = " ".join([f"{FABRICATED} [1]."] * 20)


def _notice(exchange: Exchange) -> str:
    return str(exchange.query_one(".notice").content)


def _status(app) -> str:
    return str(app.query_one("#status").content)


async def test_a_question_typed_during_an_answer_waits_then_is_asked(
    tmp_path, make_fake, cited_answer
):
    gate = threading.Event()
    assistant = make_fake(cited_answer, gate=gate)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: first.turn.sources)  # the model is about to write
        second = await ask(pilot, FOLLOWUP, wait=False)
        assert app.view.current is first and app.view.waiting == [second]
        assert _notice(second).startswith("Waiting: asked after the answer above")
        assert "answering… 1 waiting" in _status(app)
        assert not first.turn.stopped and len(assistant.asked) == 1
        gate.set()
        await wait_until(pilot, lambda: answered(app) and second.turn.answer)
        assert first.turn.synthesis and not first.turn.stopped  # not killed by the second
        assert not second.turn.stopped and not second.turn.error
        assert assistant.asked == [
            (QUESTION, ()),
            (FOLLOWUP, (Turn(QUESTION, first.turn.synthesis),)),  # after the first's answer
        ]
        assert "Waiting" not in _notice(second)


async def test_escape_stops_the_running_answer_and_the_waiting_one_is_asked(
    request, tmp_path, make_fake
):
    gate = threading.Event()  # holds the model after a few words, whatever the load
    request.addfinalizer(gate.set)
    assistant = make_fake(LONG, delay=0.15, gate=gate, gate_after=5)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: len(first.turn.draft.split()) > 3)
        # the answer the waiting question will get, set before it can start: on a fast
        # machine its worker was already streaming the long answer when this line ran
        assistant.generator.answer = "A short answer."
        second = await ask(pilot, FOLLOWUP, wait=False)
        await pilot.press("escape")
        assert first.turn.stopped and app.view.current is second
        gate.set()  # the stopped answer lets go of the model; the waiting one gets it
        await wait_until(pilot, lambda: answered(app) and second.turn.answer)
        assert not second.turn.stopped
        assert [q for q, _ in assistant.asked] == [QUESTION, FOLLOWUP]


async def test_questions_typed_while_loading_are_asked_when_ready(tmp_path, make_fake):
    assistant = make_fake("A short answer.")
    go, slow = held(lambda s: assistant)
    app = chat_app(FAKE_SETTINGS, slow, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        box = app.query_one("#question", Input)
        assert app.focused is box and not box.disabled
        for c in "what is shrutilipi":
            await pilot.press("space" if c == " " else c)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.query(Exchange))
        waiting = app.query_one(Exchange)
        assert _notice(waiting) == "Waiting: asked once the model has loaded."
        assert "1 waiting" in _status(app) and assistant.asked == []
        go.set()
        await wait_until(pilot, lambda: waiting.turn.answer and answered(app))
        assert assistant.asked == [("what is shrutilipi", ())]


async def test_a_failed_start_says_the_waiting_questions_were_not_asked(tmp_path):
    from rag.errors import StoreError

    def empty(settings):
        raise StoreError("the store at /x is empty: run `rag ingest`")

    go, broken = held(empty)
    app = chat_app(FAKE_SETTINGS, broken, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#question", Input).value = QUESTION
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.query(Exchange))
        go.set()
        await wait_until(pilot, lambda: app.load_error)
        exchange = app.query_one(Exchange)
        assert _notice(exchange) == "Error: not asked: the store at /x is empty: run `rag ingest`"
        assert app.query_one("#question", Input).disabled
    (saved,) = ConversationStore(tmp_path).list()
    assert saved.turns[0].error.startswith("not asked")


async def test_quitting_saves_the_running_and_the_waiting_answers_as_stopped(
    request, tmp_path, make_fake
):
    gate = threading.Event()
    request.addfinalizer(gate.set)
    app = chat_app(
        FAKE_SETTINGS, lambda s: make_fake(LONG, delay=0.15, gate=gate, gate_after=8), tmp_path
    )
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: len(first.turn.draft.split()) > 5)
        await ask(pilot, FOLLOWUP, wait=False)
        await pilot.press("ctrl+q")
    (saved,) = ConversationStore(tmp_path).list()
    running, waiting = saved.turns
    assert running.stopped and running.answer.startswith(compose.HEADER)
    assert len(running.draft.split()) > 5 and LONG.startswith(running.draft)
    assert waiting.stopped and not waiting.answer and waiting.question == FOLLOWUP
    assert waiting.notes == ["Stopped: before any answer."]
    assert saved.history() == []


async def test_a_crash_mid_answer_saves_what_was_written(tmp_path, make_fake, monkeypatch):
    write = Exchange.write

    def buggy(self, piece: str) -> None:  # a drawing bug, once a few words are in
        write(self, piece)
        if len(self.turn.draft.split()) > 5:
            raise ZeroDivisionError("a bug while drawing the draft")

    monkeypatch.setattr(Exchange, "write", buggy)
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake(LONG, delay=0.02), tmp_path)
    with pytest.raises(WorkerFailed) as failed:
        async with app.run_test(size=SIZE) as pilot:
            await ask(pilot, QUESTION, wait=False)
            await wait_until(pilot, lambda: not app.is_running)
    assert isinstance(failed.value.error, ZeroDivisionError)
    (saved,) = ConversationStore(tmp_path).list()
    (turn,) = saved.turns
    assert turn.stopped and turn.answer.startswith(compose.HEADER)
    assert len(turn.draft.split()) > 5


async def test_opening_another_chat_drops_the_waiting_questions(tmp_path, make_fake):
    gate = threading.Event()
    assistant = make_fake(LONG, gate=gate)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: first.turn.sources)
        second = await ask(pilot, FOLLOWUP, wait=False)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.query(Exchange))
        gate.set()
        assert first.turn.stopped and second.turn.stopped
        assert app.view.current is None and app.view.waiting == []
        await pilot.pause(0.3)
        assert [q for q, _ in assistant.asked] == [QUESTION]  # the waiting one never ran
    (saved,) = ConversationStore(tmp_path).list()
    assert [t.stopped for t in saved.turns] == [True, True]


async def test_questions_typed_in_one_burst_are_asked_one_by_one(tmp_path, make_fake):
    """Type-ahead (or tmux send-keys): the keys after an enter arrive before the app has
    taken the question; they must not be glued to it."""
    assistant = make_fake("A short answer.")
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.assistant is not None)
        for c in f"{QUESTION}\r{FOLLOWUP}\r":
            app.post_message(events.Key("enter", None) if c == "\r" else events.Key(c, c))
        await wait_until(pilot, lambda: len(app.query(Exchange)) == 2 and answered(app))
        await pilot.pause(0.2)
        assert [e.turn.question for e in app.query(Exchange)] == [QUESTION, FOLLOWUP]
        assert [q for q, _ in assistant.asked] == [QUESTION, FOLLOWUP]
        assert app.query_one("#question", Input).value == ""
