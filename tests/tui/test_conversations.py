"""Saved chats and the small helpers of the chat widgets."""

from __future__ import annotations

import json
from dataclasses import asdict

from rag.tui.conversations import Conversation, ConversationStore, SourceRecord, TurnRecord
from rag.tui.exchange import batched, link_citations, source_number
from rag.tui.status import fit, status_parts
from rag.tui.widgets import first_highlighted_line, highlight
from rag.types import (
    Answer,
    Citation,
    Evidence,
    Hit,
    Listing,
    Paper,
    Sources,
    Timings,
    Token,
    Turn,
)


def _source(n: int) -> SourceRecord:
    abstract = "One. Two  words here. Three."
    return SourceRecord(n, f"p{n}", f"Paper {n}", "Mar 17", 1.5, abstract, ["One."])


def test_save_list_load_delete(tmp_path):
    chats = ConversationStore(tmp_path / "chats")
    assert chats.list() == []
    answer = "What the papers say:\n- Paper 1 [1]: “Two words here.”\n\nIn short: X is Y [1]."
    turns = [TurnRecord("What is X?", answer, [_source(1)], synthesis="X is Y [1].")]
    first = Conversation(turns=turns)
    second = Conversation(turns=[TurnRecord("And Z?", "", stopped=True)])
    chats.save(first)
    chats.save(second)
    (tmp_path / "chats" / "broken.json").write_text("{not json")
    listed = chats.list()
    assert {c.id for c in listed} == {first.id, second.id}  # the broken file is skipped
    loaded = chats.load(first.id)
    assert loaded.turns == first.turns and loaded.title == "What is X?"
    assert loaded.history() == [Turn("What is X?", "X is Y [1].")]  # the checked words only
    chats.delete(first.id)
    assert [c.id for c in chats.list()] == [second.id]
    assert not chats.exists(first.id)


def test_history_leaves_out_stopped_and_failed_turns():
    chat = Conversation(
        turns=[
            TurnRecord("a?", "findings", synthesis="A."),
            TurnRecord("b?", "findings", stopped=True, draft="B, unchecked"),
            TurnRecord("c?", "findings", error="the model crashed"),
            TurnRecord("d?", "findings"),  # answered by the quotes alone
        ]
    )
    assert chat.history() == [Turn("a?", "A."), Turn("d?", "")]


def test_a_chat_saved_before_the_synthesis_field_still_loads(tmp_path):
    old = {"id": "old", "created": "2026-01-01T10:00:00", "turns": [
        {"question": "What is X?", "answer": "X is Y [1].", "sources": [asdict(_source(1))],
         "abstained": False, "stopped": False, "error": "", "notices": [], "unsupported": []},
    ]}  # fmt: skip
    (tmp_path / "old.json").write_text(json.dumps(old))
    (turn,) = ConversationStore(tmp_path).load("old").turns
    assert turn.answer == "X is Y [1]." and turn.synthesis == turn.query == turn.draft == ""


def test_final_answer_sets_the_quotes_the_panel_highlights():
    turn = TurnRecord("q", sources=[_source(1), _source(2)], draft="unchecked words")
    citation = Citation(1, "p1", "Paper 1", "s.txt", "Mar 17", "c", "Two words here.", 0.9)
    answer = Answer(
        "q", "Quotes.\n\nIn short: Final [1].", (citation,), (), False, "m", Timings(),
        unsupported=("Made up.",), query="q", synthesis="Final [1].",
    )  # fmt: skip
    turn.finish(answer)
    assert turn.answer == answer.text and turn.synthesis == "Final [1]."
    assert turn.unsupported == ["Made up."] and turn.draft == ""  # the answer replaces it
    assert turn.sources[0].highlights == ["Two words here."]
    assert turn.sources[1].highlights == ["One."]  # not cited: its evidence sentences


def test_tokens_reach_the_screen_in_batches():
    events = [Token("a"), Token(" b"), Token(" c"), Sources("q", ())]
    assert list(batched(events, 60.0)) == [Token("a"), Token(" b c"), Sources("q", ())]
    assert list(batched(events, 0.0)) == events


def test_citation_links_and_highlights():
    assert link_citations("A [1]. B [7].", {1}) == "A [\\[1\\]](source:1). B [7]."
    assert source_number("source:12") == 12 and source_number("https://x") is None
    text = highlight("One. Two  words here. Three.", ["Two words here."])
    assert [(s.start, s.end) for s in text.spans] == [(5, 21)]  # whitespace may differ


def test_a_turn_stopped_before_any_answer_says_so():
    assert TurnRecord("q", stopped=True).notes == ["Stopped: before any answer."]
    assert TurnRecord("q", "findings", stopped=True).notes == ["Stopped: the answer was cut short."]
    declined = TurnRecord("q", "No source.", abstained=True, notices=["No source.", "Other."])
    assert declined.notes == [
        "Declined: no source supports an answer to this question.",
        "Note: Other.",  # the notice already in the answer is not repeated
    ]


def test_a_source_keeps_its_listing_file_and_old_chats_still_load(tmp_path):
    paper = Paper("p1", "T", "A.", (Listing("/data/a.jsonl"), Listing("/seeds/b.txt", "Mar 3")))
    evidence = Evidence(1, Hit(paper, 1.0, "c", "A."), ("A.",), (0.5,))
    source = SourceRecord.from_evidence(evidence)
    assert (source.date, source.source, source.file) == ("Mar 3", "/seeds/b.txt", "b.txt")
    old = asdict(_source(1))
    del old["source"]  # a chat saved before the file was kept
    data = {"id": "old", "turns": [{"question": "q", "sources": [old]}]}
    (tmp_path / "old.json").write_text(json.dumps(data))
    (turn,) = ConversationStore(tmp_path).load("old").turns
    assert turn.sources[0].file == ""


def test_the_status_line_drops_the_least_useful_parts_first():
    parts = status_parts("answering… 1 waiting", "/models/m.gguf", 88, None)
    assert fit(parts, 200) == "answering… 1 waiting · m.gguf · 88 papers"
    assert fit(parts, 35) == "answering… 1 waiting · 88 papers"
    assert fit(parts, 12) == "answering… 1"  # the state alone, cut to the width
    timings = Timings(ttft_s=0.25, generate_s=1.0, completion_tokens=12)
    idle = status_parts("", "m.gguf", 88, timings)
    assert fit(idle, 200) == "m.gguf · 88 papers · first token 0.2 s · 12.0 tokens/s"
    assert fit(idle, 50) == "88 papers · first token 0.2 s · 12.0 tokens/s"
    declined = status_parts("", "m.gguf", 88, Timings(retrieve_s=0.31))
    assert fit(declined, 200) == "m.gguf · 88 papers · retrieval 0.3 s"


def test_the_first_highlighted_line_once_wrapped():
    text = highlight("aaa bbb ccc ddd eee fff ggg", ["eee fff"])
    assert first_highlighted_line(text, 8) == 2  # "aaa bbb" / "ccc ddd" / "eee fff"
    assert first_highlighted_line(text, 80) == 0
    assert first_highlighted_line(highlight("aaa bbb", ["zzz"]), 8) is None
