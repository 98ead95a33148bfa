"""The chat over the real embedder, Chroma store and GGUF model (one seed file)."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Markdown

from rag import compose
from rag.tui.app import ChatApp
from rag.tui.chats import ChatsScreen
from rag.tui.exchange import Exchange
from tests.tui.helpers import ask, chat_app, detail_text, open_screen, panel, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
SIZE = (120, 40)
SLOW = 240  # seconds: the first answer also warms the model up on 2 cores
QUESTION = (
    "Which paper mines audio and text pairs from public data to improve speech recognition "
    "for low-resource languages?"
)
PAPER = "Effectiveness of Mining Audio and Text Pairs"
# A quiet machine answers a cached prompt in under a second, before a key press lands.
TOKEN_DELAY_S = 0.2


@pytest.fixture
def app(assistant, real_settings, tmp_path) -> ChatApp:
    return chat_app(real_settings, lambda s: assistant, tmp_path)


async def test_answer_sources_followup_and_reopen(app):
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.assistant is not None, SLOW)
        first = await ask(pilot, QUESTION, SLOW)
        assert first.turn.answer and not first.turn.stopped and not first.turn.error
        assert not first.turn.abstained  # the paper is in the store: answered, not declined
        assert first.turn.answer.startswith(compose.HEADER)  # the quotes come first
        assert panel(app).sources[0].title.startswith(PAPER)
        await pilot.press("f2")
        await wait_until(pilot, lambda: panel(app).selected == 1)
        assert PAPER in detail_text(app)
        assert first.turn.sources[0].quote  # the top paper's best sentence is quoted
        assert "(source:1)" in first.query_one(Markdown).source  # ...and links to it
        assert "tokens/s" in str(app.query_one("#status").content)  # the model answered

        followup = await ask(pilot, "How many languages does it cover?", SLOW)
        assert followup.turn.sources[0].title.startswith(PAPER)  # the follow-up found it
        assert followup.turn.answer and not followup.turn.error

        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.query(Exchange))
        await open_screen(pilot, "ctrl+o", ChatsScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.query(Exchange)) == 2)
        assert [e.turn.answer for e in app.query(Exchange)] == [
            first.turn.answer,
            followup.turn.answer,
        ]


async def test_stop_a_running_answer_then_ask_again(app, assistant, monkeypatch):
    stream = assistant.generator.stream

    def paced(messages):  # the real model, slowed so the stop lands mid-answer on any machine
        for piece in stream(messages):
            time.sleep(TOKEN_DELAY_S)
            yield piece

    monkeypatch.setattr(assistant.generator, "stream", paced)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.assistant is not None, SLOW)
        stopped = await ask(pilot, QUESTION, SLOW, wait=False)
        await wait_until(pilot, lambda: stopped.turn.sources, SLOW)  # the model is reading
        await pilot.press("escape")
        assert stopped.turn.stopped and app.view.current is None
        kept = (stopped.turn.answer, stopped.turn.draft)
        again = await ask(pilot, "What is Shrutilipi?", SLOW)  # waits for the model to free up
        assert again.turn.answer and not again.turn.stopped
        assert (stopped.turn.answer, stopped.turn.draft) == kept  # it got nothing more
        assert [t.question for t in app.view.conversation.history()] == ["What is Shrutilipi?"]
