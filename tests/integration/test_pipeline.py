from __future__ import annotations

import json

from click.testing import CliRunner

from rag.chunking import chunk_paper, embed_text
from rag.cli import main
from rag.corpus import read_papers
from rag.ingest import ingest
from rag.types import Answer, Sources
from tests.conftest import SEED_FILE

AUDIO = (
    "Effectiveness of Mining Audio and Text Pairs from Public Data for Improving ASR Systems "
    "for Low-Resource Languages"
)


def test_reingest_embeds_nothing(real_store, embedder):
    before = real_store.count()
    report = ingest([SEED_FILE], real_store, embedder)
    assert report.added == 0 and report.removed == 0
    assert real_store.count() == before == report.chunks


def test_hybrid_search_finds_the_paper_for_short_and_long_questions(assistant):
    short = assistant.search("youtube audio text pairs for speech recognition in rare languages")
    assert short[0].paper.title == AUDIO
    long = assistant.search(
        "Which work mines audio and text pairs from public data for improving ASR systems "
        "for low-resource languages?"
    )
    assert long[0].paper.title == AUDIO
    assert long[0].score > long[1].score


def test_ask_end_to_end_with_the_real_model(assistant):
    events = list(
        assistant.ask(
            "Which paper mines audio and text pairs from public data to "
            "improve speech recognition for low-resource languages?"
        )
    )
    sources, answer = events[0], events[-1]
    assert isinstance(sources, Sources) and isinstance(answer, Answer)
    assert not answer.abstained and answer.text
    hit_ids = {h.paper.id for h in answer.hits}
    abstracts = {h.paper.id: h.paper.abstract for h in answer.hits}
    for c in answer.citations:
        assert c.paper_id in hit_ids
        assert c.quote in abstracts[c.paper_id]
    assert answer.timings.ttft_s > 0 and answer.timings.completion_tokens > 0


def test_off_topic_question_is_declined_without_the_model(assistant):
    *_, answer = assistant.ask("What is the boiling point of ethanol?")
    assert answer.abstained and answer.timings.ttft_s == 0


def test_every_seed_title_is_retrievable_by_itself(assistant):
    papers = read_papers([SEED_FILE])
    top1 = sum(assistant.search(p.title)[0].paper.id == p.id for p in papers)
    assert top1 / len(papers) >= 0.95


def test_cli_ask_json_shape(real_settings, real_store):
    result = CliRunner().invoke(
        main,
        ["ask", "--json", "--store", real_settings.store_path, "What does EfficientQAT quantize?"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {
        "question",
        "answer",
        "citations",
        "retrieved",
        "abstained",
        "model",
        "timings",
        "unsupported_sentences",
    }
    assert set(data["timings"]) >= {"retrieve_s", "ttft_s", "generate_s", "tokens_per_s"}


def test_no_window_exceeds_the_embedder_limit(embedder, seeds):
    embedder.load()
    tokenizer, limit = embedder._model.tokenizer, embedder._model.max_seq_length
    windows = [c for p in read_papers([seeds]) for c in chunk_paper(p) if c.kind == "window"]
    lengths = [len(tokenizer(embed_text(c))["input_ids"]) for c in windows]
    assert max(lengths) <= limit == 256
