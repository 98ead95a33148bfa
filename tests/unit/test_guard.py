from __future__ import annotations

from rag.asking import Asked, asked_for, asks_for_several, key_terms
from rag.config import Settings
from rag.guard import check, coverage, known, missing_terms, unstated
from rag.text import names
from rag.types import Evidence, Hit, Paper

ABSTRACT = (
    "We mine audio and text pairs for Indian languages from All India Radio. "
    "Shrutilipi contains over 6,400 hours of labelled audio across 12 languages."
)
PAPER = Paper("p1", "Mining Audio and Text Pairs for ASR", ABSTRACT)
VOCABULARY = set(ABSTRACT.lower().replace(",", " ").replace(".", " ").split())


def _evidence(relevance: float) -> list[Evidence]:
    sentences = tuple(ABSTRACT.split(". "))
    return [Evidence(1, Hit(PAPER, 1.0, "c1", ABSTRACT), sentences, (relevance, relevance / 2))]


def _check(question: str, relevance: float = 0.6, **settings):
    return check(question, _evidence(relevance), VOCABULARY.__contains__, Settings(**settings))


def test_a_covered_relevant_question_passes():
    assert _check("how many hours of radio audio did they mine for indian languages?") is None


def test_low_relevance_declines_without_showing_findings():
    decline = _check("boiling point of ethanol", relevance=0.2)
    assert decline.reason == "off_topic" and not decline.near


def test_low_relevance_does_not_decline_when_a_paper_holds_every_key_term():
    # a name the embedder does not know scores low, but the paper names it
    assert _check("what is shrutilipi", relevance=0.2) is None
    assert _check("what is shrutilipi boiling", relevance=0.2).reason == "off_topic"


def test_a_name_no_paper_contains_declines_and_names_it():
    decline = _check("How does Zorblax mine audio and text pairs?")
    assert decline.reason == "unknown_names" and decline.near
    assert decline.notice == "No paper mentions Zorblax."
    assert _check("How does Zorblax mine audio and text pairs?", check_names=False) is None


def test_an_ordinary_capitalised_word_is_not_a_name():
    assert _check("How many hours of audio did they mine? Please explain.") is None


def test_key_terms_no_paper_contains_decline_as_near_topic():
    decline = _check("what learning rate and optimizer schedule did they use for radio audio?")
    assert decline.reason == "uncovered" and decline.near
    assert "learning" in decline.notice and "audio" not in decline.notice


def test_key_terms_skip_asking_words():
    assert key_terms("Which method improves the dataset of radio audio?") == ["radio", "audio"]
    assert key_terms("tell me the radio audio names pls") == ["radio", "audio", "names"]
    assert coverage("radio audio", _evidence(0.6)) == (1.0, [])


def test_known_names_match_hyphen_free_spellings_plurals_and_parts():
    corpus = {"gpt4v", "gpt", "4v", "ode", "captioned", "llava"}.__contains__
    assert known("gpt4v-captioned", corpus)  # GPT-4V in the papers, typed without a hyphen
    assert known("ODEs", corpus)
    assert not known("Zorblax", corpus)
    assert known("gpt4v-captioned", {"gpt4v", "caption"}.__contains__)  # a verb ending
    assert not known("gpt4v-captioned", {"gpt4v", "cap"}.__contains__)


def test_quantities_are_not_names():
    assert names("How long at 512x512 for a 5s clip with 70B and 3D?") == []
    assert names("Does 3DGS beat NeRF?") == ["3DGS", "NeRF"]


def test_missing_terms_notice_names_what_the_sources_lack():
    assert missing_terms("what license is the radio audio under", _evidence(0.6)) == (
        "The sources do not mention license."
    )
    assert missing_terms("radio audio", _evidence(0.6)) == ""
    assert missing_terms("how many radio podcasts does it cover?", _evidence(0.6)) == (
        "The sources do not mention podcasts."
    )


def test_a_version_no_paper_names_is_unknown():
    corpus = {"gpt", "5", "4", "gpt4", "llama"}.__contains__
    assert not known("GPT-5", corpus) and known("GPT-4", corpus)
    assert not known("mamba-2", {"mamba", "2"}.__contains__)


def test_a_detail_the_paper_never_names_declines_as_near_topic():
    decline = _check("what license is the shrutilipi audio released under?")
    assert decline.reason == "unstated" and decline.near
    assert decline.notice == "The papers found do not state the license."
    assert _check("what license is the shrutilipi audio released under?", check_asked=False) is None


def test_the_asked_for_thing_may_be_stemmed_or_abbreviated():
    assert _check("how many langs does shrutilipi cover?") is None  # "languages"
    assert _check("how many hours of audio does shrutilipi have?") is None


def test_a_count_the_paper_names_but_never_gives_declines():
    # "text pairs" occurs, never in a sentence with a number: the count is not stated
    decline = _check("how many text pairs does shrutilipi mine?")
    assert decline.reason == "unstated"
    assert decline.notice == "The papers found do not state the number of text pairs."
    assert _check("how many languages does shrutilipi cover?") is None  # "12 languages"
    # one of the terms beside a number is enough ("6,000 SFT data" for "SFT examples")
    assert _check("how many audio pairs does shrutilipi have?") is None  # "6,400 hours of audio"


def test_a_count_typed_without_a_question_word_the_paper_never_gives_declines():
    decline = _check("shrutilipi number of text pairs")
    assert decline.reason == "unstated"
    assert decline.notice == "The papers found do not state the number of text pairs."
    assert _check("shrutilipi language count") is None  # "12 languages"


def test_a_singular_term_is_held_by_its_plural_the_stemmer_keeps():
    # Snowball stems "GPUs" to "gpus" and "LLMs" to "llms" (held-out attribute3 c17)
    paper = Paper("p2", "Insights into DeepSeek-V3", "DeepSeek-V3 was trained on 2,048 GPUs.")
    evidence = [Evidence(1, Hit(paper, 1.0, "c2", paper.abstract), (paper.abstract,), (0.6,))]
    assert unstated("deepseek-v3 training gpu count", "deepseek-v3 gpu", evidence) == []
    assert unstated("how many tpus does deepseek-v3 use", "deepseek-v3", evidence) == [
        "the number of tpus"
    ]


def test_asked_when_the_paper_must_give_a_year():
    assert asked_for("what year did alexnet win the imagenet competition") == [
        Asked("the year", ("alexnet", "win", "imagenet", "competition"), count=False, year=True)
    ]
    assert asked_for("when was shrutilipi released?") == [
        Asked("the year", ("shrutilipi", "released"), count=False, year=True)
    ]
    decline = _check("in what year was shrutilipi mined from all india radio?")
    assert decline.reason == "unstated"
    assert decline.notice == "The papers found do not state the year."
    cited = Paper("p1", PAPER.title, f"{ABSTRACT} We follow Radford et al. (2022).")
    evidence = [Evidence(1, Hit(cited, 1.0, "c1", ABSTRACT), (ABSTRACT,), (0.6,))]
    question = "when was shrutilipi released?"  # a year, but not beside shrutilipi
    assert check(question, evidence, VOCABULARY.__contains__, Settings()).reason == "unstated"
    dated = Paper("p1", PAPER.title, f"{ABSTRACT} Shrutilipi was released in 2022.")
    evidence = [Evidence(1, Hit(dated, 1.0, "c1", ABSTRACT), (ABSTRACT,), (0.6,))]
    assert check(question, evidence, VOCABULARY.__contains__, Settings()) is None


def test_what_is_asked_comes_from_the_question_typed_not_the_query():
    query = "what license covers shrutilipi radio audio? how many hours of audio?"
    decline = check(
        query, _evidence(0.6), VOCABULARY.__contains__, Settings(), asked="how many hours of audio?"
    )
    assert decline is None


def test_a_notice_never_says_the_papers_lack_a_word_one_of_them_has():
    other = Paper("p2", "Learning in general", "We study learning.")
    evidence = [*_evidence(0.6), Evidence(2, Hit(other, 0.5, "c2", ""), ("x",), (0.4,))]
    question = "what learning rate and optimizer schedule did they use for radio audio?"
    decline = check(question, evidence, VOCABULARY.__contains__, Settings())
    assert decline.reason == "uncovered" and "learning" not in decline.notice
    assert "learning" not in missing_terms(question, evidence)


def test_a_term_is_held_in_a_nearby_form_but_not_with_a_version():
    # "labelled" -> "relabelled", "mine" -> "miner": the paper says "mine" and "labelled"
    assert coverage("relabelled miners", _evidence(0.6)) == (1.0, [])
    evidence = [Evidence(1, Hit(Paper("p2", "Llama", "Llama models."), 1.0, "c2", ""), (), ())]
    assert coverage("llama3", evidence) == (0.0, ["llama3"])


def test_asked_for_several_papers_the_terms_may_be_spread_over_them():
    other = Paper("p3", "Planning for driving", "Senna plans trajectories for driving.")
    evidence = [*_evidence(0.6), Evidence(2, Hit(other, 0.9, "c3", ""), (), ())]
    question = "radio audio mining and trajectory planning for driving"
    assert coverage(question, evidence)[0] < 0.6  # one paper holds half of it
    several = f"which papers do {question}?"
    assert coverage(several, evidence) == (1.0, [])
    assert asks_for_several("what quantization methods keep outliers?")
    assert not asks_for_several("which code completion model works best?")


def test_a_share_is_a_kind_of_answer_a_paper_gives_as_a_number():
    assert _check("what share of the audio did they mine from radio?") is None
