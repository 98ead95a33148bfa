from __future__ import annotations

import pytest

from rag.errors import ConfigError
from rag.questions import load_questions


def test_malformed_question_file_reports_line_numbers_and_keeps_the_rest(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"id": "a", "type": "single", "question": "ok?", "gold_titles": ["T"]}',
                '{"id": "b", "type": "single", "question": "broken"',
                '{"id": "c", "type": "single", "gold_titles": ["T"]}',
                "",
                '{"id": "d", "type": "riddle", "question": "what?"}',
                '{"id": "e", "type": "followup", "question": "and?", "context_id": "zz"}',
                '{"id": "f", "question": "untyped, no gold"}',
                '{"id": "g", "type": "followup", "question": "and then?", "context_id": "a"}',
            ]
        )
    )
    questions, problems = load_questions(path)
    assert [q.id for q in questions] == ["a", "f", "g"]
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 5", "line 6"]
    assert "not valid JSON" in problems[0]
    assert "missing 'question'" in problems[1]
    assert "unknown type 'riddle'" in problems[2]
    assert questions[1].answerable is None and questions[1].gold_titles is None


def test_missing_question_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_questions(tmp_path / "nope.jsonl")
