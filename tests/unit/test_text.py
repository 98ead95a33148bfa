from __future__ import annotations

import pytest

from rag.text import clean, compounds, contains, names, numbers, stems, tokenize


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


def test_compounds_are_squashed_and_known_by_their_square_side():
    assert compounds("GPT-4V and Qwen2.5 on ImageNet-64x64") >= {"gpt4v", "qwen25", "imagenet64"}
    assert "imagenet256" not in compounds("ImageNet-256x128")  # not square: no side


def test_stems_match_word_forms_and_skip_function_words():
    assert stems("Training the models") == stems("trains a model")
    assert stems("Which paper proposes this?") == set()


@pytest.mark.parametrize(
    "typed, question",
    [
        ("\x1b[31mExpertFlow\x1b[0m, what\x07 is it?", "ExpertFlow, what is it?"),  # CSI, BEL
        ("\x1b[1;38;5;196mExpertFlow\x1b[m", "ExpertFlow"),  # 256 colours, bare reset
        ("\x9b31mExpertFlow\x9b0m", "ExpertFlow"),  # 8-bit CSI
        ("[31mExpertFlow[0m", "ExpertFlow"),  # the ESC lost on the way
        ("^[[31mExpertFlow^[[0m", "ExpertFlow"),  # ESC as a terminal echoes it
        ("\x1b]0;my title\x07ExpertFlow", "ExpertFlow"),  # OSC window title, BEL-ended
        ("\x1b]8;;https://x.org\x1b\\ExpertFlow\x1b]8;;\x1b\\", "ExpertFlow"),  # OSC link
        ("\x9d0;title\x9cExpertFlow", "ExpertFlow"),  # 8-bit OSC and ST
        ("\x1bPq#0;2\x1b\\ExpertFlow", "ExpertFlow"),  # DCS with its payload
        ("\x1b(BExpert\x1b7Flow\x1b[?25h", "ExpertFlow"),  # charset, save cursor, show cursor
        ("what\tis\nExpert\x00Flow\x7f?\x85", "what is Expert Flow ?"),  # C0, DEL, C1
        ("Expert\u00adFlow\u200b", "ExpertFlow"),  # soft hyphen, zero-width space
        ("  how do [1] and [2] differ?  ", "how do [1] and [2] differ?"),  # not escapes
    ],
)
def test_clean_leaves_the_question_without_terminal_escapes_or_controls(typed, question):
    assert clean(typed) == question


def test_a_coloured_name_is_one_name():
    assert names(clean("\x1b[31mExpertFlow\x1b[0m")) == ["ExpertFlow"]
    assert names(clean("[31mExpertFlow[0m")) == ["ExpertFlow"]


def test_contains_ignores_case_and_spacing():
    assert contains("We mine  audio\nand text.", "mine audio AND text")
    assert not contains("We mine audio.", "we mine video")
