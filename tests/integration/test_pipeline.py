from __future__ import annotations

import json

from click.testing import CliRunner

from rag.assistant import Assistant
from rag.chunking import chunk_paper, embed_text, split_sentences
from rag.cite import markers, strip_markers, support
from rag.cli import main
from rag.corpus import read_papers
from rag.ingest import ingest
from rag.prompts import load_prompts
from rag.types import Answer, Sources
from tests.conftest import SEED_FILE
from tests.fakes import FakeGenerator

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
    assert sources.findings == answer.findings and answer.findings[0].title == AUDIO
    papers = {h.paper.id: h.paper for h in answer.hits}
    for f in answer.findings:  # quoted verbatim, cited by construction
        assert f.quote in papers[f.paper_id].abstract and f"[{f.n}]" in answer.text
    for c in answer.citations:
        assert c.quote in papers[c.paper_id].abstract
    by_n = {e.n: e.hit.paper for e in sources.evidence}
    threshold = assistant.settings.support_threshold
    for sentence in split_sentences(answer.synthesis):  # every kept model sentence passes
        for n in markers(sentence):
            assert support(strip_markers(sentence), by_n[n], threshold).passed, sentence
    assert answer.timings.ttft_s > 0 and answer.timings.completion_tokens > 0


def test_fabricated_model_text_is_never_cited_with_the_real_store(
    real_settings, real_store, embedder
):
    fabricated = (
        "The authors collected 90,000 hours of speech in 45 languages from YouTube [1]. "
        "The dataset was built by OpenAI with Whisper-Large [1]. "
        "Low-resource speech recognition improves with mined audio [2]."
    )
    prompts = load_prompts(real_settings.prompts_dir)
    generator = FakeGenerator(fabricated)
    assistant = Assistant(real_settings, real_store, embedder, generator, prompts)
    *_, answer = assistant.ask("how do they get training data for asr in indian languages?")
    assert not answer.abstained and answer.findings[0].title == AUDIO
    for invented in ("90,000", "45 languages", "OpenAI", "Whisper"):
        assert invented not in answer.text
    assert any("90,000" in s for s in answer.unsupported)
    assert {c.quote for c in answer.citations} <= {f.quote for f in answer.findings} | {
        q for e in answer.hits for q in split_sentences(e.paper.abstract)
    }


def test_off_topic_question_is_declined_without_the_model(assistant):
    *_, answer = assistant.ask("What is the boiling point of ethanol?")
    assert answer.abstained and answer.timings.ttft_s == 0
    assert answer.findings == () and answer.citations == ()


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
        "findings",
        "synthesis",
        "decline_reason",
    }
    assert set(data["findings"][0]) == {"n", "paper_id", "title", "quote", "score"}
    text = CliRunner().invoke(
        main, ["ask", "--store", real_settings.store_path, "What does EfficientQAT quantize?"]
    )
    assert data["answer"] in text.output  # the same findings and checked answer
    assert set(data["timings"]) >= {"retrieve_s", "ttft_s", "generate_s", "tokens_per_s"}


def test_no_window_exceeds_the_embedder_limit(embedder, seeds):
    embedder.load()
    tokenizer, limit = embedder._model.tokenizer, embedder._model.max_seq_length
    windows = [c for p in read_papers([seeds]) for c in chunk_paper(p) if c.kind == "window"]
    lengths = [len(tokenizer(embed_text(c))["input_ids"]) for c in windows]
    assert max(lengths) <= limit == 256
