"""The chat driven with Textual's pilot over the real pipeline with a fake embedder and model."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from textual.widgets import Collapsible, Input, Label, Markdown
from textual.worker import WorkerFailed

from rag import compose
from rag.errors import ModelError, StoreError
from rag.ingest import ingest
from rag.prompts import load_prompts
from rag.store import Store
from rag.tui.app import ChatApp
from rag.tui.chats import ChatsScreen, ConfirmScreen
from rag.tui.conversations import ConversationStore
from rag.tui.exchange import Exchange, answer_markdown
from tests.conftest import SEED_FILE
from tests.fakes import DiesInTheSecondPass, FakeEmbedder, FakeGenerator
from tests.tui.conftest import (
    FABRICATED,
    FAKE_SETTINGS,
    PAPER_TITLE,
    QUESTION,
    RecordingAssistant,
)
from tests.tui.helpers import (
    answered,
    ask,
    chat_app,
    detail_text,
    link_offset,
    open_screen,
    panel,
    wait_until,
)

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def _app(tmp_path, assistant) -> ChatApp:
    return chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)


def _text(widget) -> str:
    return str(widget.content)


async def test_findings_show_before_the_first_token_then_the_checked_answer(
    tmp_path, make_fake, cited_answer
):
    gate = threading.Event()
    assistant = make_fake(cited_answer, gate=gate)
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION, wait=False)
        markdown = exchange.query_one(Markdown)
        await wait_until(pilot, lambda: compose.HEADER in markdown.source)
        assert not gate.is_set() and exchange.turn.draft == ""  # no token yet
        assert "[\\[1\\]](source:1)" in markdown.source  # quotes link to their source
        assert panel(app).sources[0].title.startswith(PAPER_TITLE)
        assert app.query_one("#source-list").option_count == len(panel(app).sources)
        draft = exchange.query_one(".draft")
        assert draft.display and compose.SUMMARY not in markdown.source
        assert _text(draft).startswith("drafting a summary")
        gate.set()
        await wait_until(pilot, lambda: answered(app))
        turn = exchange.turn
        assert turn.answer.startswith(compose.HEADER) and turn.synthesis
        assert f"{compose.SUMMARY} {turn.synthesis}" in turn.answer
        assert markdown.source == answer_markdown(turn) and not draft.display
        assert turn.sources[0].quote and turn.draft == ""
        status = _text(app.query_one("#status"))
        assert "fake-model.gguf" in status and f"{assistant.paper_count} papers" in status
        assert "first token" in status and "tokens/s" in status
        saved = ConversationStore(tmp_path).list()
        assert [t.answer for t in saved[0].turns] == [turn.answer]


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
        assert source.title in detail_text(app) and "sentence the answer quotes" in detail_text(app)
        await pilot.press("f2", "down")
        await wait_until(pilot, lambda: panel(app).selected == 2)
        assert panel(app).sources[1].title in detail_text(app)
        assert "evidence sent to the model" in detail_text(app)


async def test_fabricated_sentences_stay_out_of_the_answer(tmp_path, make_fake, cited_answer):
    app = _app(tmp_path, make_fake(f"{FABRICATED} [1]. {cited_answer}"))
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION)
        turn = exchange.turn
        assert turn.synthesis and "Zorblax" not in turn.answer
        assert "Zorblax" not in exchange.query_one(Markdown).source
        assert not exchange.query_one(".draft").display
        section = exchange.query_one(Collapsible)
        assert section.collapsed and section.title.startswith("2 model sentences not found")
        sentences = section.query_one(".sentences")
        assert FABRICATED in _text(sentences)
        await pilot.pause(0.2)
        assert not sentences.region  # collapsed: not on screen


async def test_escape_stops_the_answer_and_keeps_what_was_written(tmp_path, make_fake):
    long_answer = " ".join([f"{FABRICATED} [1]."] * 20)
    assistant = make_fake(long_answer, delay=0.02)
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: len(exchange.turn.draft.split()) > 5)
        assert exchange.turn.draft in _text(exchange.query_one(".draft"))  # the draft streams
        assert "Shrutilipi covers" not in exchange.query_one(Markdown).source  # under the quotes
        await pilot.press("escape")
        turn = exchange.turn
        assert app.view.current is None and turn.stopped
        kept = turn.draft
        assert kept and len(kept) < len(long_answer)
        assert turn.answer.startswith(compose.HEADER) and "Zorblax" not in turn.answer
        assert "Stopped" in _text(exchange.query_one(".notice"))
        assert _text(exchange.query_one(".draft")).startswith(
            "stopped: the model's unchecked draft"
        )
        await pilot.pause(0.3)
        assert turn.draft == kept  # nothing more arrives after the stop
        assert app.view.conversation.history() == []  # a stopped turn is not history
        assistant.generator.answer = "A short answer."
        second = await ask(pilot, QUESTION)  # the model is free again
        assert second.turn.answer and not second.turn.stopped
        assert assistant.asked[-1] == (QUESTION, ())
        prompt = " ".join(m["content"] for m in assistant.generator.prompts[-1])
        assert "Zorblax" not in prompt
        assert ConversationStore(tmp_path).list()[0].turns[0].stopped


async def test_quitting_mid_answer_saves_it_as_stopped(tmp_path, make_fake):
    long_answer = " ".join([f"{FABRICATED} [1]."] * 20)
    app = _app(tmp_path, make_fake(long_answer, delay=0.02))
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: len(exchange.turn.draft.split()) > 5)
        await pilot.press("ctrl+q")
    (saved,) = ConversationStore(tmp_path).list()
    (turn,) = saved.turns
    assert turn.stopped and not turn.error
    assert len(turn.draft.split()) > 5 and long_answer.startswith(turn.draft)
    assert turn.answer.startswith(compose.HEADER)
    assert saved.history() == []


async def test_followup_sends_the_checked_synthesis_as_history(tmp_path, make_fake, cited_answer):
    assistant = make_fake(cited_answer)
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION)
        followup = await ask(pilot, "how many languages does it cover?")
        (_, none), (question, history) = assistant.asked
        assert none == () and question == "how many languages does it cover?"
        assert [(t.question, t.answer) for t in history] == [(QUESTION, first.turn.synthesis)]
        assert first.turn.synthesis and compose.HEADER not in first.turn.synthesis
        assert not first.query_one(".query").display  # the query was the question itself
        searched = f"searched for: {QUESTION} how many languages does it cover?"
        assert _text(followup.query_one(".query")) == searched
        assert followup.query_one(".query").display


async def test_a_pasted_question_is_shown_saved_and_asked_without_escapes(tmp_path, make_fake):
    assistant = make_fake("x")
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, f"\x1b[31m{QUESTION}\x1b[0m\x07")
        assert exchange.turn.question == QUESTION and assistant.asked == [(QUESTION, ())]
        assert ConversationStore(tmp_path).list()[0].turns[0].question == QUESTION


@pytest.mark.parametrize(
    "question, closest",
    [
        ("boiling point of ethanol at sea level", False),  # off topic: no quotes at all
        ("How does RetNet mine audio and text pairs?", True),  # near: the closest quotes
    ],
)
async def test_declined_question_labels_its_papers_as_closest(
    tmp_path, make_fake, cited_answer, question, closest
):
    assistant = make_fake(cited_answer)
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, question)
        assert exchange.turn.abstained and not assistant.generator.prompts
        assert "Declined" in _text(exchange.query_one(".notice"))
        assert (compose.CLOSEST in exchange.query_one(Markdown).source) == closest
        assert not exchange.query_one(".draft").display
        title = app.query_one("#sources-title")
        assert _text(title) == "Closest papers, not used" and title.has_class("closest")
        assert panel(app).sources
        await pilot.press("f2")
        await wait_until(pilot, lambda: panel(app).selected == 1)
        assert "closest to the question" in detail_text(app)
        await ask(pilot, PAPER_TITLE)  # a new topic, found without the declined one
        assert _text(title) == "Sources" and not title.has_class("closest")


async def test_saved_chats_reopen_and_delete(tmp_path, make_fake, cited_answer):
    app = _app(tmp_path, make_fake(cited_answer))
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.query(Exchange))
        assert not panel(app).sources and app.view.conversation.turns == []
        await open_screen(pilot, "ctrl+o", ChatsScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.query(Exchange)) == 1)
        reopened = app.query_one(Exchange)
        assert reopened.turn == first.turn
        assert "(source:1)" in reopened.query_one(Markdown).source
        assert reopened.query_one(Collapsible).collapsed  # the dropped sentence, still aside
        assert panel(app).sources[0].title.startswith(PAPER_TITLE)
        followup = await ask(pilot, "how many languages does it cover?")
        assert followup.turn.answer
        await open_screen(pilot, "ctrl+o", ChatsScreen)
        await pilot.press("d")  # asks first; n keeps the chat
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Delete this saved chat for good?\n“mining audio" in str(
            app.screen.query_one("#confirm-question", Label).content
        )
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatsScreen))
        assert len(ConversationStore(tmp_path).list()) == 1
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: not ConversationStore(tmp_path).list())
        assert isinstance(app.screen, ChatsScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.query(Exchange))  # the open chat was deleted


async def test_copy_last_answer(tmp_path, make_fake, cited_answer):
    app = _app(tmp_path, make_fake(cited_answer))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+y")
        assert app.clipboard == ""  # nothing to copy yet
        exchange = await ask(pilot, QUESTION)
        assert exchange.turn.answer.startswith(compose.HEADER) and exchange.turn.synthesis
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

    app = chat_app(FAKE_SETTINGS, broken, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.load_error)
        assert shown in str(app.query_one("#welcome").content)
        assert app.query_one("#question", Input).disabled
        await open_screen(pilot, "ctrl+o", ChatsScreen)  # saved chats still open
        assert app.is_running


async def test_startup_shows_loading_steps(tmp_path, make_fake):
    started, go = threading.Event(), threading.Event()

    def slow(settings):
        started.set()
        go.wait(10)
        return make_fake("x")

    app = chat_app(FAKE_SETTINGS, slow, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, started.is_set)
        status = app.query_one("#status")
        await wait_until(pilot, lambda: "opening the store" in str(status.content))
        assert app.focused is app.query_one("#question", Input)  # typing is kept meanwhile
        go.set()
        await wait_until(pilot, lambda: app.assistant is not None)
        await wait_until(pilot, lambda: "88 papers" in str(status.content))


async def test_command_palette_offers_the_main_actions(tmp_path, make_fake):
    app = _app(tmp_path, make_fake("x"))
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.get_system_commands(app.screen)}
    assert {
        "New chat", "Saved chats", "Copy answer", "Stop answer", "Sources", "Papers",
        "Search papers", "Export chat to Markdown",
    } <= titles  # fmt: skip


class BrokenGenerator(FakeGenerator):
    """A model with a bug: what an unexpected exception in the answer worker looks like."""

    def stream(self, messages):
        raise ZeroDivisionError("a bug in the model wrapper")
        yield ""


def _broken(fake_store) -> RecordingAssistant:
    prompts = load_prompts(FAKE_SETTINGS.prompts_dir)
    return RecordingAssistant(FAKE_SETTINGS, fake_store, FakeEmbedder(), BrokenGenerator(), prompts)


async def test_a_bug_while_answering_fails_the_test(tmp_path, fake_store):
    app = _app(tmp_path, _broken(fake_store))
    with pytest.raises(WorkerFailed) as failed:
        async with app.run_test(size=SIZE) as pilot:
            await ask(pilot, QUESTION, wait=False)
            await wait_until(pilot, lambda: not app.is_running)
    assert isinstance(failed.value.error, ZeroDivisionError)


async def test_a_bug_while_answering_is_a_message_for_a_user(tmp_path, fake_store):
    broken = _broken(fake_store)
    app = ChatApp(FAKE_SETTINGS, make_assistant=lambda s: broken, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION, failing=True)
        assert exchange.turn.error == "ZeroDivisionError: a bug in the model wrapper"
        assert app.is_running and app.view.conversation.history() == []


async def test_a_bug_while_loading_fails_the_test(tmp_path):
    def broken(settings):
        raise ZeroDivisionError("a bug in the factory")

    app = chat_app(FAKE_SETTINGS, broken, tmp_path)
    with pytest.raises(WorkerFailed):
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: not app.is_running)


async def test_the_status_line_says_when_papers_are_not_fully_indexed(tmp_path):
    settings = dataclasses.replace(FAKE_SETTINGS, store_path=str(tmp_path / "store"))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    with pytest.raises(KeyboardInterrupt):
        ingest([SEED_FILE], store, DiesInTheSecondPass())
    prompts = load_prompts(settings.prompts_dir)
    assistant = RecordingAssistant(settings, store, FakeEmbedder(), FakeGenerator("x"), prompts)
    app = _app(tmp_path, assistant)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.assistant is not None)
        status = str(app.query_one("#status").content)
    papers = assistant.paper_count
    assert f"{papers} papers · {papers} not fully indexed: run rag ingest" in status
