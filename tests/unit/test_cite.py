from __future__ import annotations

from rag.cite import check_citations, lexical_support, markers, strip_markers
from rag.types import Evidence, Hit, Listing, Paper

THRESHOLD = 0.5


def _evidence(n: int, title: str, sentences: tuple[str, ...]) -> Evidence:
    paper = Paper(f"p{n}", title, " ".join(sentences), (Listing(f"file{n}.txt", "Mar 1"),))
    return Evidence(n, Hit(paper, 1.0, f"c{n}", sentences[0]), sentences, (0.5,) * len(sentences))


EVIDENCE = [
    _evidence(1, "Audio mining", ("We mine audio and text pairs from YouTube for ASR.",)),
    _evidence(2, "Driving", ("Senna combines vision language models with planning.",)),
]


def support(claim: str) -> dict[int, tuple[float, str]]:
    """Word overlap as support, so the test reads like the real check."""
    out = {}
    for e in EVIDENCE:
        out[e.n] = max((lexical_support(claim, s), s) for s in e.sentences)
    return out


def test_markers_and_strip():
    assert markers("A claim [1][3] and [2, 4].") == [1, 3, 2, 4]
    assert markers("Ranges [1-3], spaced [ 2 ] and named [Source 4].") == [1, 2, 3, 2, 4]
    assert strip_markers("A claim [1] here [2].") == "A claim here."
    assert strip_markers("Named [Source 4] and ranged [1-3].") == "Named and ranged."


def test_paragraphs_and_list_items_are_kept():
    answer = (
        "Senna combines vision language models with planning [2].\n\n- YouTube audio text pairs."
    )
    checked = check_citations(answer, EVIDENCE, support, THRESHOLD)
    assert checked.text.split("\n\n")[1].startswith("- YouTube")


def test_invented_source_is_dropped():
    checked = check_citations(
        "They mine audio and text pairs from YouTube [7].", EVIDENCE, support, THRESHOLD
    )
    assert "[7]" not in checked.text
    assert [c.n for c in checked.citations] == [1]  # re-attributed to the real source
    assert checked.text.endswith("[1].")


def test_wrong_source_is_replaced_by_the_supporting_one():
    checked = check_citations(
        "Senna combines vision language models with planning [1].", EVIDENCE, support, THRESHOLD
    )
    assert checked.text == "Senna combines vision language models with planning [2]."
    assert checked.citations[0].title == "Driving"
    assert checked.citations[0].quote == EVIDENCE[1].sentences[0]


def test_uncited_supported_sentence_gets_a_citation():
    checked = check_citations(
        "The authors mine audio text pairs from YouTube.", EVIDENCE, support, THRESHOLD
    )
    assert checked.text == "The authors mine audio text pairs from YouTube [1]."
    assert checked.unsupported == ()


def test_unsupported_sentence_is_reported_and_left_uncited():
    checked = check_citations(
        "Quantum chromodynamics explains quark confinement well [1].", EVIDENCE, support, THRESHOLD
    )
    assert checked.citations == ()
    assert checked.unsupported == ("Quantum chromodynamics explains quark confinement well.",)
    assert "[" not in checked.text


def test_repeated_sentences_are_said_once():
    claim = "Senna combines vision language models with planning"
    answer = f"{claim} [2]. {claim} [2]. {claim}."
    checked = check_citations(answer, EVIDENCE, support, THRESHOLD)
    assert checked.text == f"{claim} [2]."


def test_every_citation_points_at_a_real_source():
    answer = "Senna plans [2][9]. Audio pairs come from YouTube [1]. Nothing else [3]."
    checked = check_citations(answer, EVIDENCE, support, THRESHOLD)
    assert {c.n for c in checked.citations} <= {e.n for e in EVIDENCE}
    assert all(n in (1, 2) for n in markers(checked.text))
