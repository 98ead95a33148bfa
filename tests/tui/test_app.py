"""The chat driven with Textual's pilot over the real pipeline with a fake embedder and model."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Input, Markdown

from rag.errors import ModelError, StoreError
from rag.tui.app import ChatApp
from rag.tui.conversations import ConversationStore
from rag.tui.widgets import ChatsScreen, Exchange
from tests.tui.conftest import FAKE_SETTINGS, PAPER_TITLE, QUESTION
from tests.tui.helpers import ask, detail_text, link_offset, panel, wait_until

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def _app(tmp_path, assistant) -> ChatApp:
    return ChatApp(FAKE_SETTINGS, make_assistant=lambda s: assistant, data_dir=tmp_path)


async def test_sources_arrive_before_tokens_then_checked_answer(tmp_path, make_fake, cited_answer):
    gate = threading.Event()
    assistant = make_fake(cited_answer, gate=gate)
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: panel(app).sources)
        assert exchange.turn.answer == ""  # the model has not said a word yet
        assert panel(app).sources[0].title.startswith(PAPER_TITLE)
        assert app.query_one("#source-list").option_count == len(panel(app).sources)
        gate.set()
        await wait_until(pilot, lambda: app.current is None)
        markdown = exchange.query_one(Markdown).source
        assert "[\\[1\\]](source:1)" in markdown  # the citation links to source 1
        assert exchange.turn.sources[0].quote  # the checked citation's supporting sentence
        status = str(app.query_one("#status").content)
        assert "fake-model.gguf" in status and f"{assistant.paper_count} papers" in status
        assert "first token" in status and "tokens/s" in status
        saved = ConversationStore(tmp_path).list()
        assert [t.answer for t in saved[0].turns] == [exchange.turn.answer]


async def test_citation_link_and_keys_open_a_source_with_its_sentence(
    tmp_path, make_fake, cited_answer
):
    app = _app(tmp_path, make_fake(cited_answer))
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION)
        await pilot.pause(0.2)  # let the checked answer lay out
        link = link_offset(app, exchange.query_one(Markdown), "link('source:1')")
        await pilot.click(offset=link)
        await wait_until(pilot, lambda: panel(app).selected == 1)
        source = panel(app).sources[0]
        assert source.title in detail_text(app) and "supporting sentence" in detail_text(app)
        await pilot.press("f2", "down")
        await wait_until(pilot, lambda: panel(app).selected == 2)
        assert panel(app).sources[1].title in detail_text(app)
        assert "evidence sent to the model" in detail_text(app)


async def test_escape_stops_the_answer_and_keeps_what_was_written(
    tmp_path, make_fake, cited_answer
):
    long_answer = " ".join([cited_answer] * 20)
    assistant = make_fake(long_answer, delay=0.02)
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: len(exchange.turn.answer.split()) > 5)
        await pilot.press("escape")
        assert app.current is None and exchange.turn.stopped
        kept = exchange.turn.answer
        assert kept and len(kept) < len(long_answer)
        assert "Stopped" in str(exchange.query_one(".notice").content)
        await pilot.pause(0.3)
        assert exchange.turn.answer == kept  # nothing more arrives after the stop
        assistant.generator.answer = cited_answer
        second = await ask(pilot, "what else does it show?")  # the model is free again
        assert second.turn.answer and not second.turn.stopped
        assert ConversationStore(tmp_path).list()[0].turns[0].stopped


async def test_followup_sends_the_conversation_as_history(tmp_path, make_fake, cited_answer):
    assistant = make_fake(cited_answer)
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION)
        await ask(pilot, "how many languages does it cover?")
        (_, none), (question, history) = assistant.asked
        assert none == () and question == "how many languages does it cover?"
        assert [(t.question, t.answer) for t in history] == [(QUESTION, first.turn.answer)]


async def test_off_topic_question_shows_the_abstention(tmp_path, make_fake):
    app = _app(tmp_path, make_fake("never said"))
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, "boiling point of ethanol at sea level")
        assert exchange.turn.abstained
        assert "Declined" in str(exchange.query_one(".notice").content)


async def test_saved_chats_reopen_and_delete(tmp_path, make_fake, cited_answer):
    app = _app(tmp_path, make_fake(cited_answer))
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.query(Exchange))
        assert not panel(app).sources and app.conversation.turns == []
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatsScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.query(Exchange)) == 1)
        reopened = app.query_one(Exchange)
        assert reopened.turn.answer == first.turn.answer
        assert "(source:1)" in reopened.query_one(Markdown).source
        assert panel(app).sources[0].title.startswith(PAPER_TITLE)
        followup = await ask(pilot, "how many languages does it cover?")
        assert followup.turn.answer
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatsScreen))
        await pilot.press("d")
        await wait_until(pilot, lambda: not ConversationStore(tmp_path).list())
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.query(Exchange))  # the open chat was deleted


async def test_copy_last_answer(tmp_path, make_fake, cited_answer):
    app = _app(tmp_path, make_fake(cited_answer))
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION)
        await pilot.press("ctrl+y")
        assert app.clipboard == exchange.turn.answer


@pytest.mark.parametrize(
    "error, shown",
    [
        (StoreError("the store at /x is empty: run `rag ingest`"), "run `rag ingest`"),
        (ModelError("model file m.gguf not found: check --model"), "check --model"),
    ],
)
async def test_startup_errors_show_in_the_app(tmp_path, error, shown):
    def broken(settings):
        raise error

    app = ChatApp(FAKE_SETTINGS, make_assistant=broken, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.load_error)
        assert shown in str(app.query_one("#welcome").content)
        assert app.query_one("#question", Input).disabled
        await pilot.press("ctrl+o")  # saved chats still open
        await wait_until(pilot, lambda: isinstance(app.screen, ChatsScreen))
        assert app.is_running


async def test_startup_shows_loading_steps(tmp_path, make_fake):
    started, go = threading.Event(), threading.Event()

    def slow(settings):
        started.set()
        go.wait(10)
        return make_fake("x")

    app = ChatApp(FAKE_SETTINGS, make_assistant=slow, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, started.is_set)
        status = app.query_one("#status")
        await wait_until(pilot, lambda: "opening the store" in str(status.content))
        assert app.query_one("#question", Input).disabled
        go.set()
        await wait_until(pilot, lambda: app.assistant is not None)
        assert not app.query_one("#question", Input).disabled


async def test_command_palette_offers_the_main_actions(tmp_path, make_fake):
    app = _app(tmp_path, make_fake("x"))
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.get_system_commands(app.screen)}
    assert {"New chat", "Saved chats", "Copy answer", "Stop answer", "Sources"} <= titles
