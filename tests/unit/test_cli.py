from __future__ import annotations

from rag.compose import answer_text, findings_text
from rag.render import print_answer
from rag.types import Answer, Citation, Finding, Timings

FOUND = (Finding(1, "p1", "Shrutilipi", "It has 6,400 hours of audio.", 0.7),)
CITED = (Citation(1, "p1", "Shrutilipi", "seeds/a.txt", "Mar 17", "c1", FOUND[0].quote, 0.7),)


def _answer(synthesis: str) -> Answer:
    return Answer("q", answer_text(FOUND, synthesis), CITED, (), False, "m.gguf", Timings(),
                  findings=FOUND, synthesis=synthesis)  # fmt: skip


def test_a_terminal_gets_only_what_follows_the_findings_already_shown(capsys):
    shown = findings_text(FOUND)
    print_answer(_answer("Shrutilipi has 6,400 hours [1]."), shown)
    out = capsys.readouterr().out
    assert out.startswith("In short: Shrutilipi has 6,400 hours [1].")
    assert "What the papers say" not in out
    assert '"It has 6,400 hours of audio."' not in out  # the findings already quote it
    assert "[1] Shrutilipi (Mar 17, a.txt)" in out


def test_a_pipe_gets_the_whole_answer(capsys):
    answer = _answer("")
    print_answer(answer)
    assert capsys.readouterr().out.startswith(answer.text)
