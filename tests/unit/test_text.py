from __future__ import annotations

from rag.text import clean, contains, names, numbers, stems, tokenize


def test_tokenize_drops_stopwords_and_case():
    assert tokenize("What is The KV-cache of LLaMA?") == ["kv", "cache", "llama"]


def test_names_are_mixed_case_alphanumeric_or_capitalised_words():
    assert names("How does RetNet compare with H2O and ViT-22B?") == ["RetNet", "H2O", "ViT-22B"]
    assert names("What ratio does the Jamba hybrid use?") == ["Jamba"]
    assert names("Which paper speeds up inference?") == []


def test_a_capitalised_word_opening_a_sentence_is_not_a_name():
    assert names("What is EfficientQAT? Please explain.") == ["EfficientQAT"]
    assert names("Tell me: Which dataset covers Tamil?") == ["Tamil"]
    assert names("I wonder. The paper says so.") == []


def test_numbers_ignore_thousands_separators_and_sentence_ends():
    assert numbers("over 6,400 hours in 12 languages, 2.3x more.") == {"6400", "12", "2.3"}
    assert numbers("Llama-2-70B in 41 hours.") == {"2", "70", "41"}


def test_stems_match_word_forms_and_skip_function_words():
    assert stems("Training the models") == stems("trains a model")
    assert stems("Which paper proposes this?") == set()


def test_clean_removes_terminal_escapes_and_control_characters():
    assert clean("\x1b[31mExpertFlow\x1b[0m, what\x07 is it?") == "ExpertFlow, what  is it?"
    assert names(clean("\x1b[31mExpertFlow\x1b[0m")) == ["ExpertFlow"]


def test_contains_ignores_case_and_spacing():
    assert contains("We mine  audio\nand text.", "mine audio AND text")
    assert not contains("We mine audio.", "we mine video")
