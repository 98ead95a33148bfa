from __future__ import annotations

from rag.keywords import KeywordIndex

DOCS = {
    "a": "speculative decoding for fast inference on phones with LongLoRA-style tricks",
    "b": "a survey of inference methods for language models",
    "c": "protein folding with diffusion",
}


def test_ranks_the_document_sharing_rare_terms_first():
    scores = KeywordIndex.build(DOCS).scores("speculative decoding on phones", 10)
    assert list(scores)[0] == "a"
    assert "c" not in scores


def test_returns_at_most_top_best_first():
    scores = KeywordIndex.build(DOCS).scores("inference", 1)
    assert len(scores) == 1 and list(scores)[0] in {"a", "b"}


def test_indexes_any_script_and_survives_empty_queries():
    index = KeywordIndex.build({"a": "大规模 语言 模型", "b": "speech recognition"})
    assert list(index.scores("语言", 5)) == ["a"]
    assert index.scores("???", 5) == {}
    assert KeywordIndex.build({}).scores("speech", 5) == {}


def test_saved_index_loads_with_the_same_scores_and_words(tmp_path):
    index = KeywordIndex.build(DOCS)
    index.save(tmp_path)
    index.save(tmp_path)  # replacing a saved index
    loaded = KeywordIndex.load(tmp_path)
    assert loaded.scores("inference phones", 3) == index.scores("inference phones", 3)
    assert loaded.knows("longlora") and loaded.knows("protein") and not loaded.knows("banana")
    assert KeywordIndex.load(tmp_path / "elsewhere") is None
