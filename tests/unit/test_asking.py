from __future__ import annotations

from rag.asking import Asked, asked_for, asks_for_several, key_terms


def test_key_terms_leave_out_asking_and_function_words():
    assert key_terms("Which method improves the dataset of radio audio?") == ["radio", "audio"]
    assert key_terms("tell me the radio audio names pls") == ["radio", "audio", "names"]


def test_what_a_question_asks_for_is_named_as_typed():
    assert asked_for("what license are the weights released under") == [
        Asked("the license", ("license",), count=False)
    ]
    assert asked_for("how many GPUs do you need to serve it?") == [
        Asked("the number of gpus", ("gpus",), count=True)
    ]
    assert asked_for("what peak learning rate did they use") == [
        Asked("the peak learning rate", ("peak", "learning", "rate"), count=False)
    ]
    # a kind of answer, or no asked-for noun at all: nothing to require
    assert asked_for("which benchmark did they surpass?") == []
    assert asked_for("which paper mines radio audio?") == []
    assert asked_for("how much faster is it?") == []


def test_a_count_typed_without_a_question_word_is_asked_for_like_how_many():
    assert asked_for("squeezed attention number of k-means clusters") == [
        Asked("the number of k means clusters", ("clusters",), count=True)
    ]
    assert asked_for("gpu count for training xlstm 7b") == [
        Asked("the number of gpu", ("gpu",), count=True)
    ]
    # after a question word, "the number of" describes rather than asks (which set w14)
    assert asked_for("which objective predicts the number of remaining tokens?") == []


def test_a_question_asking_for_several_papers_is_told_apart():
    assert asks_for_several("which papers mine radio audio?")
    assert asks_for_several("what quantization methods keep outliers?")
    assert not asks_for_several("which code completion model works best?")
