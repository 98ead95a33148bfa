"""Saved chats and the small text helpers of the chat widgets."""

from __future__ import annotations

from rag.tui.conversations import Conversation, ConversationStore, SourceRecord, TurnRecord
from rag.tui.widgets import highlight, link_citations, source_number
from rag.types import Answer, Citation, Timings, Turn


def _source(n: int) -> SourceRecord:
    abstract = "One. Two  words here. Three."
    return SourceRecord(n, f"p{n}", f"Paper {n}", "Mar 17", 1.5, abstract, ["One."])


def test_save_list_load_delete(tmp_path):
    chats = ConversationStore(tmp_path / "chats")
    assert chats.list() == []
    first = Conversation(turns=[TurnRecord("What is X?", "X is Y [1].", [_source(1)])])
    second = Conversation(turns=[TurnRecord("And Z?", "", stopped=True)])
    chats.save(first)
    chats.save(second)
    (tmp_path / "chats" / "broken.json").write_text("{not json")
    listed = chats.list()
    assert {c.id for c in listed} == {first.id, second.id}  # the broken file is skipped
    loaded = chats.load(first.id)
    assert loaded.turns == first.turns and loaded.title == "What is X?"
    assert loaded.history() == [Turn("What is X?", "X is Y [1].")]
    chats.delete(first.id)
    assert [c.id for c in chats.list()] == [second.id]
    assert not chats.exists(first.id)


def test_final_answer_sets_the_quotes_the_panel_highlights():
    turn = TurnRecord("q", "draft", [_source(1), _source(2)])
    citation = Citation(1, "p1", "Paper 1", "s.txt", "Mar 17", "c", "Two words here.", 0.9)
    turn.finish(Answer("q", "Final [1].", (citation,), (), False, "m", Timings()))
    assert turn.answer == "Final [1]."
    assert turn.sources[0].highlights == ["Two words here."]
    assert turn.sources[1].highlights == ["One."]  # not cited: its evidence sentences


def test_citation_links_and_highlights():
    assert link_citations("A [1]. B [7].", {1}) == "A [\\[1\\]](source:1). B [7]."
    assert source_number("source:12") == 12 and source_number("https://x") is None
    text = highlight("One. Two  words here. Three.", ["Two words here."])
    assert [(s.start, s.end) for s in text.spans] == [(5, 21)]  # whitespace may differ
