"""A chat as Markdown (palette and `rag chat --export ID`), and a source as a citation."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rag.cli import main
from rag.tui.conversations import Conversation, ConversationStore, SourceRecord, TurnRecord
from rag.tui.export import citation_text, conversation_markdown
from tests.tui.conftest import FAKE_SETTINGS, QUESTION
from tests.tui.helpers import ask, chat_app, wait_until

ANSWER = "What the papers say:\n- Paper 1 [1]: “Two words here.”\n\nIn short: X is Y [1]."


def _source(n: int, quote: str = "") -> SourceRecord:
    return SourceRecord(
        n, f"p{n}", f"Paper {n}", "Mar 17", 1.5, "One. Two words here.", ["One."], quote,
        source=f"/data/listings/file{n}.txt",
    )  # fmt: skip


def _chat() -> Conversation:
    answered = TurnRecord(
        "What is X?", ANSWER, [_source(1, "Two words here."), _source(2)], synthesis="X is Y [1].",
        unsupported=["Made up by the model."], query="What is X?",
    )  # fmt: skip
    stopped = TurnRecord("And Z?", stopped=True, draft="Z is, unchecked")
    declined = TurnRecord(
        "Boiling point?", "No source answers this.", [_source(1)], abstained=True,
        notices=["The sources do not mention: boiling."], query="Boiling point? X",
    )  # fmt: skip
    return Conversation("chat1", "2026-01-02T10:00:00", turns=[answered, stopped, declined])


def test_markdown_carries_answers_quotes_and_notes_not_unchecked_words():
    text = conversation_markdown(_chat())
    assert text.startswith("# What is X?\n\nChat of 2026-01-02 10:00 (rag chat chat1).\n")
    first = text[text.index("## 1. What is X?") : text.index("## 2.")]
    assert ANSWER in first
    assert "1. **Paper 1** — Mar 17 · file1.txt\n   > “Two words here.”" in first
    assert "2. **Paper 2** — Mar 17 · file2.txt\n" in first  # retrieved, not quoted
    second = text[text.index("## 2. And Z?") : text.index("## 3.")]
    assert "> Stopped: the answer was cut short." in second  # the draft was written
    third = text[text.index("## 3. Boiling point?") :]
    assert "*Searched for: Boiling point? X*" in third
    assert "> Declined: no source supports" in third and "boiling." in third
    assert "**Closest papers, not used**" in third and "**Sources**" not in third
    assert "Made up by the model" not in text and "unchecked" not in text


def test_a_citation_is_its_quote_title_date_and_file():
    assert citation_text(_source(1, "Two words here.")) == (
        "“Two words here.” — Paper 1 (Mar 17, file1.txt)"
    )
    old = SourceRecord(2, "p2", "Paper 2", "", 1.0, "One.", [])  # saved before files were kept
    assert citation_text(old) == "Paper 2"


@pytest.mark.anyio
async def test_the_palette_exports_the_open_chat(tmp_path, make_fake, cited_answer, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = chat_app(FAKE_SETTINGS, lambda s: make_fake(cited_answer), tmp_path / "chats")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.run_action("export")
        assert not list(tmp_path.glob("*.md"))  # nothing asked yet
        exchange = await ask(pilot, QUESTION)
        await app.run_action("export")
        path = tmp_path / f"rag-chat-{app.view.conversation.id}.md"
        await wait_until(pilot, path.exists)
        text = path.read_text(encoding="utf-8")
        assert text == conversation_markdown(app.view.conversation)
        source = exchange.turn.sources[0]
        assert f"> “{source.quote}”" in text and exchange.turn.synthesis in text


def test_rag_chat_lists_and_exports_saved_chats(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    runner = CliRunner()
    empty = runner.invoke(main, ["chat", "--list"])
    assert empty.exit_code == 0 and "No saved chats" in empty.output
    chats = ConversationStore(tmp_path / "rag" / "conversations")
    chats.save(_chat())
    listed = runner.invoke(main, ["chat", "--list"])
    assert listed.exit_code == 0
    assert listed.output.startswith("chat1  ") and listed.output.endswith("3 q  What is X?\n")
    exported = runner.invoke(main, ["chat", "--export", "chat1"])
    assert exported.exit_code == 0 and exported.output == conversation_markdown(_chat())
    assert runner.invoke(main, ["chat", "--export", "last"]).output == exported.output
    missing = runner.invoke(main, ["chat", "--export", "nope"])
    assert missing.exit_code == 2
    assert "no saved chat 'nope': `rag chat --list` shows their ids" in missing.output
