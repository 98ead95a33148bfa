from __future__ import annotations

from rag.chunking import (
    MAX_CHUNK_TOKENS,
    QUICK_VIEW_TOKENS,
    chunk_paper,
    embed_text,
    estimate_tokens,
    is_quick,
    quick_text,
    quick_view,
    split_sentences,
)
from rag.corpus import read_papers
from rag.types import Paper


def test_split_sentences_keeps_abbreviations_and_decimals():
    text = "We use e.g. BERT et al. models. It gains 14.5% on ARC-C. (A) new idea! 3 runs."
    assert split_sentences(text) == [
        "We use e.g. BERT et al. models.",
        "It gains 14.5% on ARC-C.",
        "(A) new idea!",
        "3 runs.",
    ]


def test_windows_cover_every_sentence_and_fit_the_embedder(seeds):
    for paper in read_papers([seeds]):
        chunks = chunk_paper(paper)
        assert chunks[0].kind == "abstract" and chunks[0].text == paper.abstract
        windows = [c for c in chunks if c.kind == "window"]
        assert windows
        covered = " ".join(c.text for c in windows)
        for sentence in split_sentences(paper.abstract):
            assert sentence in covered
        for c in windows:
            assert estimate_tokens(c.title) + estimate_tokens(c.text) <= MAX_CHUNK_TOKENS


def test_chunk_ids_are_content_hashes():
    p = Paper("p1", "Title", "One. Two. Three. Four. Five.")
    again = chunk_paper(Paper("p1", "Title", "One. Two. Three. Four. Five."))
    changed = chunk_paper(Paper("p1", "Title", "One. Two. Three. Four. Six."))
    assert [c.id for c in chunk_paper(p)] == [c.id for c in again]
    assert {c.id for c in chunk_paper(p)} != {c.id for c in changed}
    assert len({c.id for c in chunk_paper(p)}) == len(chunk_paper(p))


def test_overlong_sentence_is_split_to_fit():
    long = " ".join(f"word{i}" for i in range(600)) + "."
    chunks = chunk_paper(Paper("p", "T", long))
    windows = [c for c in chunks if c.kind == "window"]
    assert len(windows) >= 3
    assert all(estimate_tokens(c.text) <= MAX_CHUNK_TOKENS for c in windows)


def test_a_quick_view_is_the_head_of_the_abstract_view_under_a_derived_id(seeds):
    for paper in read_papers([seeds]):
        abstract = chunk_paper(paper)[0]
        quick = quick_view(abstract)
        assert is_quick(quick.id) and not is_quick(abstract.id) and abstract.id in quick.id
        assert quick.text == abstract.text  # the paper reads back whole from it
        head = quick_text(quick)
        assert " ".join(embed_text(abstract).split()).startswith(head)
        assert head.startswith(paper.title)
        assert estimate_tokens(head) <= max(QUICK_VIEW_TOKENS, estimate_tokens(paper.title))
        if estimate_tokens(embed_text(abstract)) > QUICK_VIEW_TOKENS:
            assert len(head) < len(embed_text(abstract))
