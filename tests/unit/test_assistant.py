from __future__ import annotations

import pytest

from rag.assistant import Assistant
from rag.compose import HEADER, NO_SUMMARY
from rag.config import Settings
from rag.corpus import read_papers
from rag.errors import ConfigError, StoreError
from rag.ingest import ingest
from rag.prompts import load_prompts
from rag.store import Store
from rag.types import Answer, Sources, Token, Turn
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder, FakeGenerator

# The fake embedder is a bag of words, so its cosines run lower than MiniLM's.
SEEDS_FILE = SEEDS / "000_21389137d9350ab0.txt"
FAKE_SETTINGS = dict(abstain_threshold=0.35, support_threshold=0.4, k=3)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    settings = Settings(store_path=str(tmp_path_factory.mktemp("store")))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    ingest([SEEDS_FILE], store, FakeEmbedder())
    return store


def _assistant(store, answer: str, **overrides) -> tuple[Assistant, FakeGenerator]:
    settings = Settings(**{**FAKE_SETTINGS, **overrides})
    generator = FakeGenerator(answer)
    return Assistant(
        settings, store, FakeEmbedder(), generator, load_prompts(settings.prompts_dir)
    ), generator


def _run(assistant, question, history=()):
    events = list(assistant.ask(question, history))
    assert isinstance(events[0], Sources) and isinstance(events[-1], Answer)
    return events


def _paper(title_start: str):
    papers = read_papers([SEEDS_FILE])
    return next(p for p in papers if p.title.startswith(title_start))


def test_answer_streams_findings_then_tokens_then_checked_answer(store):
    paper = _paper("Effectiveness of Mining Audio")
    claim = paper.abstract.split(". ")[1]
    assistant, generator = _assistant(store, f"{claim} [1]. Also see [9].")
    events = _run(assistant, "mining audio and text pairs for low-resource ASR")
    sources, *tokens, answer = events
    assert sources.evidence[0].hit.paper.title == paper.title
    assert sources.findings and sources.findings[0].n == 1 and not sources.declined
    assert all(f.quote in paper.abstract for f in sources.findings if f.n == 1)
    assert all(isinstance(t, Token) for t in tokens) and len(tokens) > 3
    assert not answer.abstained and answer.findings == sources.findings
    assert answer.text.startswith(HEADER) and answer.synthesis.endswith("[1].")
    assert paper.title in [c.title for c in answer.citations]
    assert "[9]" not in answer.text
    assert paper.title in generator.prompts[0][-1]["content"]
    assert answer.timings.completion_tokens == len(tokens)


def test_fabricated_model_text_is_never_cited(store):
    fabricated = (
        "The Shrutilipi dataset has 90,000 hours of audio in 45 languages [1]. "
        "It was built by Google with Whisper [2]. The answer is: ."
    )
    assistant, _ = _assistant(store, fabricated)
    *_, answer = _run(assistant, "mining audio and text pairs for low-resource ASR")
    assert not answer.abstained and answer.synthesis == ""
    assert "90,000" not in answer.text and "Whisper" not in answer.text
    assert answer.text.endswith(NO_SUMMARY)
    assert len(answer.unsupported) == 2
    assert {c.quote for c in answer.citations} <= {f.quote for f in answer.findings}


def test_off_topic_question_declines_without_calling_the_model(store):
    assistant, generator = _assistant(store, "should not be said")
    *_, answer = _run(assistant, "boiling point of ethanol at sea level")
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith(assistant.prompts.decline) and answer.findings == ()
    assert answer.decline_reason == "off_topic"
    assert generator.prompts == []


def test_the_model_saying_the_papers_do_not_cover_it_leaves_the_findings(store):
    assistant, _ = _assistant(store, "The papers do not cover this.")
    *_, answer = _run(assistant, "mining audio and text pairs for low-resource ASR")
    assert not answer.abstained and answer.findings and answer.text.endswith(NO_SUMMARY)
    assert answer.unsupported == ()  # a decline phrase claims nothing


def test_empty_question_is_rejected(store):
    assistant, _ = _assistant(store, "x")
    with pytest.raises(ConfigError, match="empty"):
        list(assistant.ask("   "))


def test_followup_keeps_the_previous_question_only_when_it_needs_it(store):
    assistant, _ = _assistant(store, "", standalone_dense=0.3)  # bag-of-words cosines run low
    history = [Turn("Which paper mines public radio audio for speech recognition?", "")]
    for followup in ("how many languages does it cover?", "what did that do for accuracy?",
                     "what about the dataset size?"):  # fmt: skip
        assert assistant.standalone_query(followup, history).startswith("Which paper mines")
    switch = "mining audio and text pairs for low-resource ASR"
    assert assistant.standalone_query(switch, [Turn("protein folding with diffusion?", "")]) == (
        switch
    )
    assert assistant.standalone_query("how many languages?", []) == "how many languages?"
    # A new name is a new topic, however weakly it retrieves on its own, even with "its".
    assert assistant.standalone_query("what is EfficientQAT?", history) == "what is EfficientQAT?"
    renamed = "How does EfficientQAT train its quantized blocks of weights?"
    assert assistant.standalone_query(renamed, history) == renamed


def test_empty_store_says_to_ingest(tmp_path):
    settings = Settings(store_path=str(tmp_path / "s"))
    empty = Store(settings, create=True, embedder_name="x")
    with pytest.raises(StoreError, match="rag ingest"):
        Assistant(
            settings, empty, FakeEmbedder(), FakeGenerator(), load_prompts(settings.prompts_dir)
        )
    with pytest.raises(StoreError, match="run `rag ingest` first"):
        Store(Settings(store_path=str(tmp_path / "missing")))


def test_sentence_vectors_come_from_the_store_or_are_embedded_for_old_stores(tmp_path):
    from rag.chunking import chunk_paper, split_sentences
    from rag.retrieve import Retriever

    settings = Settings(store_path=str(tmp_path / "s"))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    paper = _paper("Effectiveness of Mining Audio")
    ingest([SEEDS_FILE], store, FakeEmbedder())
    embedder = FakeEmbedder()
    stored = Retriever(store, embedder, 60, 0.3).sentences(paper)
    assert [s for s, _ in stored] == split_sentences(paper.abstract)
    assert embedder.calls == 0  # read from the store, not embedded
    store.delete(c.id for c in chunk_paper(paper) if c.kind == "sentence")
    rebuilt = Retriever(store, embedder, 60, 0.3).sentences(paper)
    assert [s for s, _ in rebuilt] == [s for s, _ in stored] and embedder.calls == 1


def test_question_naming_something_no_paper_mentions_is_declined(store):
    assistant, generator = _assistant(store, "should not be said")
    *_, answer = _run(assistant, "How does Zorblax improve mining audio and text pairs for ASR?")
    assert answer.abstained and generator.prompts == []
    assert answer.notices == ("No paper mentions Zorblax.",)
    assert answer.decline_reason == "unknown_names" and "Zorblax" in answer.text
    assistant, generator = _assistant(store, "should not be said", check_names=False)
    *_, answer = _run(assistant, "How does Zorblax improve mining audio and text pairs for ASR?")
    assert generator.prompts


def test_terminal_escapes_in_a_question_are_not_names(store):
    assistant, generator = _assistant(store, "")
    *_, answer = _run(assistant, "\x1b[31mmining audio and text pairs\x1b[0m for low-resource ASR")
    assert answer.decline_reason != "unknown_names" and generator.prompts
