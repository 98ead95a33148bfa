"""Focus follows the user, copying picks what is selected, and a narrow terminal keeps
the chat readable with the sources one key away."""

from __future__ import annotations

import threading

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Input, Markdown, OptionList

from rag.tui.export import citation_text
from rag.tui.widgets import AbstractView, SourcesPanel, highlight
from tests.tui.conftest import FAKE_SETTINGS, PAPER_TITLE, QUESTION
from tests.tui.helpers import answered, ask, chat_app, detail_text, link_offset, panel, wait_until

pytestmark = pytest.mark.anyio
SIZE = (120, 40)
NARROW = (80, 24)


def _box(app) -> Input:
    return app.query_one("#question", Input)


def _status(app) -> str:
    return str(app.query_one("#status").content)


async def test_typing_in_the_sources_goes_to_the_question_box(tmp_path, make_fake, cited_answer):
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake(cited_answer), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, QUESTION)
        await pilot.press("f2")
        assert isinstance(app.focused, OptionList) and panel(app).selected == 1
        await pilot.press("down", "w", "h", "y")
        assert app.focused is _box(app) and _box(app).value == "why"
        assert panel(app).selected == 2  # the arrow still moved in the list
        await pilot.press("f2")
        assert app.view.in_sources
        await pilot.press("f2")  # F2 again: back
        assert app.focused is _box(app)
        await pilot.press("f2", "tab")  # the abstract, then escape from there
        assert isinstance(app.focused, AbstractView)
        await pilot.press("escape")
        assert app.focused is _box(app) and _box(app).value == "why"


async def test_escape_in_the_sources_goes_back_and_a_second_stops(tmp_path, make_fake):
    gate = threading.Event()
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake("An answer [1].", gate=gate), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION, wait=False)
        await wait_until(pilot, lambda: exchange.turn.sources)
        await pilot.press("f2", "escape")
        assert app.focused is _box(app) and app.view.current is exchange  # still answering
        await pilot.press("escape")
        assert exchange.turn.stopped and app.view.current is None
        gate.set()


async def test_the_focused_answer_is_the_one_copied(tmp_path, make_fake, cited_answer):
    assistant = make_fake(cited_answer)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, QUESTION)
        assistant.generator.answer = "Shrutilipi is a dataset of Indian languages [1]."
        second = await ask(pilot, "what is Shrutilipi?")
        assert first.turn.answer != second.turn.answer
        await pilot.press("ctrl+y")
        assert app.clipboard == second.turn.answer  # from the question box: the last one
        first.scroll_visible(animate=False)  # the second answer may push it off the screen
        await pilot.pause()
        await pilot.click(first, offset=(2, 1))  # on its question line
        assert app.focused is first
        await pilot.press("ctrl+y")
        assert app.clipboard == first.turn.answer
        await pilot.press("a")  # typing on an answer starts the next question
        assert app.focused is _box(app) and _box(app).value == "a"


async def test_copy_the_selected_citation(tmp_path, make_fake, cited_answer):
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake(cited_answer), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION)
        await pilot.press("f2", "ctrl+y")
        source = exchange.turn.sources[0]
        assert source.quote and source.file == "000_21389137d9350ab0.txt"
        assert app.clipboard == citation_text(source)
        assert app.clipboard == f"“{source.quote}” — {source.title} (Mar 17, {source.file})"


async def test_the_sources_panel_names_the_file_and_date_without_scores(
    tmp_path, make_fake, cited_answer
):
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake(cited_answer, fixed=True), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        exchange = await ask(pilot, QUESTION)
        await pilot.press("f2")
        source = exchange.turn.sources[0]
        prompt = str(app.query_one("#source-list", OptionList).get_option_at_index(0).prompt)
        assert prompt.endswith("Mar 17 · 000_21389137d9350ab0.txt") and "1.00" not in prompt
        detail = detail_text(app)
        assert "listed Mar 17 in 000_21389137d9350ab0.txt" in detail
        assert source.paper_id not in detail and "score" not in detail


async def test_a_narrow_terminal_shows_the_sources_in_place_of_the_chat(
    tmp_path, make_fake, cited_answer
):
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake(cited_answer), tmp_path)
    async with app.run_test(size=NARROW) as pilot:
        exchange = await ask(pilot, QUESTION)
        sources, chat = app.query_one(SourcesPanel), app.query_one("#conversation")
        assert app.screen.has_class("-narrow")
        assert not sources.display and chat.display and chat.size.width >= 78
        await pilot.press("f2")
        assert sources.display and not chat.display and sources.size.width == 80
        await pilot.press("escape")
        assert not sources.display and chat.display and app.focused is _box(app)
        await pilot.pause(0.2)
        link = link_offset(app, exchange.query_one(Markdown), "link('source:1')")
        await pilot.click(offset=link)  # a citation opens its source
        await wait_until(pilot, lambda: sources.display and panel(app).selected == 1)
        assert not chat.display and PAPER_TITLE in detail_text(app)


async def test_a_wide_terminal_shows_both(tmp_path, make_fake):
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake("x"), tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.assistant is not None)
        await pilot.press("f2")
        assert app.query_one(SourcesPanel).display and app.query_one("#conversation").display


class Pane(App):
    """An abstract view a few lines high, as at 80x24."""

    def compose(self) -> ComposeResult:
        yield AbstractView()


async def test_the_abstract_scrolls_to_the_highlighted_sentence():
    sentences = [f"Sentence number {i} says something about the method." for i in range(30)]
    app = Pane()
    async with app.run_test(size=(40, 8)) as pilot:
        view = app.query_one(AbstractView)
        view.show(Text("Title\nlisted Mar 17"), highlight(" ".join(sentences), [sentences[25]]))
        await pilot.pause(0.1)
        assert view.scroll_y > 20  # the header is out of view, the sentence is in
        region = view.region
        marked = [
            (x, y)
            for y in range(region.y, region.bottom)
            for x in range(region.x, region.right)
            if app.screen.get_style_at(x, y).reverse
        ]
        assert marked  # the highlighted sentence is on screen


async def test_the_status_line_puts_the_state_first_and_drops_the_old_speed(
    tmp_path, make_fake, cited_answer
):
    gate = threading.Event()
    assistant = make_fake(cited_answer, fixed=True)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)
    async with app.run_test(size=(50, 20)) as pilot:
        await ask(pilot, QUESTION)
        assert _status(app) == "88 papers · first token 0.2 s · 12.0 tokens/s"  # no model name
        assistant.generator.gate = gate
        exchange = await ask(pilot, "how many languages does it cover?", wait=False)
        await wait_until(pilot, lambda: exchange.turn.sources)
        assert not exchange.turn.abstained  # the model is writing, held at the gate
        assert _status(app).startswith("answering…") and "tokens/s" not in _status(app)
        gate.set()
        await wait_until(pilot, lambda: answered(app))
        assert "tokens/s" in _status(app)


async def test_quit_is_in_the_footer(tmp_path, make_fake):
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake("x"), tmp_path)
    async with app.run_test(size=NARROW):
        shown = {k: b.binding.description for k, b in app.screen.active_bindings.items()
                 if b.binding.show}  # fmt: skip
    assert shown["ctrl+q"] == "Quit" and shown["f2"] == "Sources" and shown["f3"] == "Papers"
