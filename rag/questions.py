"""The evaluation's question file: one JSON question per line, checked as it is read.

A line may give the question's type (`TYPES`), the gold papers' titles, the keywords a
good answer contains, and the earlier question it follows (`context_id`). A bad line is
reported by number and skipped, so one typo does not end a long run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

# "switch": a short new question after an unrelated one (context_id), on its own paper.
TYPES = ("single", "multi", "unanswerable", "followup", "switch")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    type: str = ""
    gold_titles: tuple[str, ...] | None = None  # None: not given, skip the metrics needing it
    answer_keywords: tuple[str, ...] | None = None
    context_id: str = ""
    line: int = 0

    @property
    def answerable(self) -> bool | None:
        """Typed questions say so; untyped ones are answerable when they name gold papers."""
        if self.type:
            return self.type != "unanswerable"
        return None if self.gold_titles is None else bool(self.gold_titles)


def load_questions(path: str | Path) -> tuple[list[Question], list[str]]:
    """Parse one JSON question per line; bad lines are reported by number and skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read question file {path}: {exc.strerror}") from None
    questions: list[Question] = []
    problems: list[str] = []
    seen: set[str] = set()
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = _question(json.loads(line), no, seen)
        except json.JSONDecodeError as exc:
            problems.append(f"line {no}: not valid JSON ({exc.msg})")
            continue
        except ValueError as exc:
            problems.append(f"line {no}: {exc}")
            continue
        seen.add(q.id)
        questions.append(q)
    return questions, problems


def _question(obj: Any, no: int, seen: set[str]) -> Question:
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    text = obj.get("question")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing 'question'")
    kind = obj.get("type") or ""
    if kind and kind not in TYPES:
        raise ValueError(f"unknown type {kind!r} (expected one of {', '.join(TYPES)})")
    qid = str(obj.get("id") or f"line{no}")
    if qid in seen:
        raise ValueError(f"duplicate id {qid!r}")
    context = str(obj.get("context_id") or "")
    if context and context not in seen:
        raise ValueError(f"context_id {context!r} is not an earlier question")
    lists = {}
    for key in ("gold_titles", "answer_keywords"):
        value = obj.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise ValueError(f"{key!r} must be a list of strings")
        lists[key] = None if value is None else tuple(value)
    return Question(qid, text.strip(), kind, lists["gold_titles"], lists["answer_keywords"],
                    context, no)  # fmt: skip
