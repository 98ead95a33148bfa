"""Load the templates in prompts/ and fit a prompt into the model's context window.

Prompt tokens are the main cost on CPU (120-150 tokens/s here), so the system prompt is a
fixed prefix (llama.cpp reuses its cache) and only the most relevant sentences are sent.
Text that is not ours (sources, questions, earlier turns) passes through
`untrusted.neutralise` on its way in, so it cannot end its turn of the chat template.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError
from rag.types import Evidence, Turn
from rag.untrusted import neutralise

# Variables each template may use; a custom template with others is rejected at load.
TEMPLATE_VARS = {
    "system": {"decline"},
    "question": {"sources", "question"},
    "fallback": {"system", "conversation"},
    "decline": set(),
    "rewrite": {"conversation", "question"},
}
# A longer "question" is a pasted document; at ~8 ms a prompt token on 2 cores it would
# delay the answer by seconds, and the sources matter more.
MAX_QUESTION_TOKENS = 300
# Tokens kept free for the chat template's role markers.
TEMPLATE_MARGIN = 48

Message = dict[str, str]


@dataclass(frozen=True)
class Prompts:
    system: str
    question: str
    fallback: str
    decline: str
    rewrite: str


def load_prompts(folder: str | Path) -> Prompts:
    """Read and check every template; the system prompt is rendered once, here."""
    texts = {name: _load(Path(folder), name, allowed) for name, allowed in TEMPLATE_VARS.items()}
    decline = texts["decline"].strip()
    return Prompts(
        texts["system"].strip().format(decline=decline),
        texts["question"].strip(),
        texts["fallback"],
        decline,
        texts["rewrite"].strip(),
    )


def _load(folder: Path, name: str, allowed: set[str]) -> str:
    path = folder / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
        used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except FileNotFoundError:
        raise ConfigError(
            f"prompt template {path} is missing: restore it or fix RAG_PROMPTS_DIR"
        ) from None
    except ValueError as exc:  # a stray { or }
        raise ConfigError(
            f"prompt template {path} is malformed ({exc}): write literal braces as {{{{ }}}}"
        ) from None
    if used - allowed:
        raise ConfigError(
            f"prompt template {path} uses unknown variable(s) {sorted(used - allowed)}; "
            f"allowed: {sorted(allowed) or 'none'}"
        )
    return text


def format_sources(evidence: Sequence[Evidence]) -> str:
    """One line a source, its text in quotation marks: quoted data (see prompts/system.txt),
    with nothing in it that could close the chat template or open a line as a role."""
    return "\n".join(
        f"[{e.n}] {neutralise(e.hit.paper.title)}: “{neutralise(' '.join(e.sentences))}”"
        for e in evidence
    )


def build_messages(
    prompts: Prompts,
    question: str,
    evidence: Sequence[Evidence],
    history: Sequence[Turn],
    count_tokens: Callable[[str], int],
    budget: int,
) -> tuple[list[Message], list[str]]:
    """Chat messages within `budget` tokens: drop the oldest turns first, then the least
    relevant evidence sentences, and cut an over-long question (with a notice)."""
    notices = []
    budget -= TEMPLATE_MARGIN + count_tokens(prompts.system)
    limit = min(budget // 2, MAX_QUESTION_TOKENS)
    question, cut = _truncate(neutralise(question), limit, count_tokens)
    if cut:
        notices.append(f"The question was cut to its first {limit} tokens to fit the prompt.")
    history, evidence = list(history), list(evidence)

    def render() -> list[Message]:
        msgs = [{"role": "system", "content": prompts.system}]
        for turn in history:  # a declined turn has no words of the model's to show it
            if not turn.answer:
                continue
            msgs += [
                {"role": "user", "content": neutralise(turn.question)},
                {"role": "assistant", "content": neutralise(turn.answer)},
            ]
        body = prompts.question.format(sources=format_sources(evidence), question=question)
        return [*msgs, {"role": "user", "content": body}]

    while sum(count_tokens(m["content"]) for m in render()[1:]) > budget:
        if history:
            history.pop(0)
        elif any(len(e.sentences) > 1 for e in evidence):
            evidence = _drop_weakest_sentence(evidence)
        elif len(evidence) > 1:
            evidence.pop()
        else:
            break
    return render(), notices


def render_plain(prompts: Prompts, messages: Sequence[Message]) -> str:
    """The fallback prompt for a GGUF with no chat template (e.g. a base model)."""
    lines = [f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages[1:]]
    return prompts.fallback.format(system=prompts.system, conversation="".join(lines))


def _truncate(text: str, limit: int, count_tokens: Callable[[str], int]) -> tuple[str, bool]:
    if count_tokens(text) <= limit:
        return text, False
    words = text.split()
    if count_tokens(words[0]) > limit:  # no spaces to cut at (a URL, CJK): cut characters
        words, sep = list(text), ""
    else:
        sep = " "
    lo, hi = 0, len(words)
    while lo < hi:  # the longest prefix that fits
        mid = (lo + hi + 1) // 2
        if count_tokens(sep.join(words[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return sep.join(words[:lo]), True


def _drop_weakest_sentence(evidence: list[Evidence]) -> list[Evidence]:
    candidates = [
        (r, i, j)
        for i, e in enumerate(evidence)
        for j, r in enumerate(e.relevance)
        if len(e.sentences) > 1
    ]
    _, i, j = min(candidates)
    e = evidence[i]
    keep = [k for k in range(len(e.sentences)) if k != j]
    evidence[i] = Evidence(
        e.n, e.hit, tuple(e.sentences[k] for k in keep), tuple(e.relevance[k] for k in keep)
    )
    return evidence
