"""The paper browser: every paper, filtered as you type (F3); ranked for a query without
the model (F4); the highlighted one shows its abstract."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label, OptionList

from rag.tui.browser import PaperBrowser, matching
from rag.tui.widgets import AbstractView
from rag.types import Listing, Paper
from tests.tui.conftest import FAKE_SETTINGS, PAPER_TITLE, QUESTION
from tests.tui.helpers import ask, chat_app, held, open_browser, wait_until

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def _title(browser: PaperBrowser) -> str:
    return str(browser.query_one("#browser-title", Label).content)


def _highlight_on_screen(app, widget) -> bool:
    region = widget.region
    return any(
        app.screen.get_style_at(x, y).reverse
        for y in range(region.y, region.bottom)
        for x in range(region.x, region.right)
    )


def test_matching_keeps_titles_with_every_word_typed():
    papers = [Paper(str(i), t, "") for i, t in enumerate(["Audio Mining", "Text Mining", "Audio"])]
    assert [p.title for p in matching(papers, "mining AUDIO")] == ["Audio Mining"]
    assert [p.title for p in matching(papers, "  ")] == ["Audio Mining", "Text Mining", "Audio"]
    assert matching(papers, "video") == []


async def test_f3_lists_every_paper_read_on_demand_and_filters_as_you_type(
    tmp_path, make_fake, monkeypatch
):
    assistant = make_fake("x")
    store = assistant.retriever.store
    calls: list[list[str] | None] = []
    papers = store.papers

    def spy(ids=None):
        calls.append(ids)
        return papers(ids)

    monkeypatch.setattr(store, "papers", spy)
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, QUESTION)
        assert calls and None not in calls  # answering reads only the papers it found
        browser = await open_browser(pilot, "f3")
        options = browser.query_one("#paper-list", OptionList)
        await wait_until(pilot, lambda: options.option_count == assistant.paper_count)
        assert calls.count(None) == 1 and _title(browser).startswith("88 papers")
        titles = [f.paper.title for f in browser.shown]
        assert titles == sorted(titles, key=str.lower)
        detail = browser.query_one(AbstractView).text
        assert titles[0] in detail and "listed Mar 17 · 000_21389137d9350ab0.txt" in detail

        await pilot.press("a", "u", "d", "i", "o")
        await wait_until(pilot, lambda: options.option_count < assistant.paper_count)
        shown = [f.paper.title for f in browser.shown]
        assert shown and all("audio" in t.lower() for t in shown)
        assert any(t.startswith(PAPER_TITLE) for t in shown)
        assert _title(browser).startswith(f"{len(shown)} of 88 papers")

        await pilot.press("down")  # into the list; typing there still filters
        assert app.focused is options
        await pilot.press("z")
        box = browser.query_one("#paper-query", Input)
        assert app.focused is box and box.value == "audioz"
        assert app.default_screen.query_one("#question", Input).value == ""
        await wait_until(pilot, lambda: options.option_count == 0)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PaperBrowser))
        assert app.focused is app.query_one("#question")


async def test_f4_ranks_the_papers_with_their_closest_sentence(tmp_path, make_fake):
    assistant = make_fake("x")
    app = chat_app(FAKE_SETTINGS, lambda s: assistant, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        browser = await open_browser(pilot, "f4")
        box = browser.query_one("#paper-query", Input)
        box.value = QUESTION
        await pilot.press("enter")
        await wait_until(pilot, lambda: browser.shown)
        expected = {h.paper.title for h in assistant.search(QUESTION, 20)}
        assert {f.paper.title for f in browser.shown} == expected
        top = browser.shown[0]
        assert top.paper.title.startswith(PAPER_TITLE)
        assert top.sentence and " ".join(top.sentence.split()) in " ".join(
            top.paper.abstract.split()
        )
        assert _title(browser) == f"{len(expected)} papers closest to “{QUESTION}” (no model)"
        view = browser.query_one(AbstractView)
        assert "highlighted: the sentence closest to the query" in view.text
        await pilot.pause(0.1)
        assert _highlight_on_screen(app, view)
        prompt = str(browser.query_one(OptionList).get_option_at_index(0).prompt)
        assert prompt.startswith("1. ") and top.sentence[:40] in prompt
        await pilot.press("f3")  # back to every paper
        await wait_until(pilot, lambda: len(browser.shown) == assistant.paper_count)


async def test_the_browser_waits_for_the_store(tmp_path, make_fake):
    go, slow = held(lambda s: make_fake("x"))
    app = chat_app(FAKE_SETTINGS, slow, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, PaperBrowser)
        go.set()
        await wait_until(pilot, lambda: app.assistant is not None)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, PaperBrowser))


def test_a_paper_without_a_dated_listing_still_shows():
    from rag.tui.browser import where

    paper = Paper("p", "T", "A.", (Listing("/data/cs.jsonl"), Listing("/x/y.txt", "Mar 3")))
    assert where(paper) == "Mar 3 · y.txt"
    assert where(Paper("q", "T", "A.", (Listing("/data/cs.jsonl"),))) == "no date · cs.jsonl"
    assert where(Paper("r", "T", "A.")) == "no listing"
