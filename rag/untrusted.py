"""Abstracts are data, not instructions: the one rule for "is this sentence addressed to the
assistant?", and the escaping that keeps any text from closing the chat template.

A sentence the rule flags is left out of the evidence (so out of the findings, the prompt
and the text the citation check accepts as support) rather than rewritten: a rewritten
instruction still reads as one, and a quote must stay verbatim or not be shown at all.
The paper's other sentences still serve. tests/unit/test_untrusted.py runs the rule over
every title and sentence of seeds/ (6,641): it must flag none.
"""

from __future__ import annotations

import re

# Each pattern is one way injected text talks to the model rather than about research.
# Abstracts are third-person prose, so the patterns stay narrow: seeds/ has "all you need",
# "You are caught stealing my winning lottery ticket!" (a title), "LLMs are inclined to
# ignore contextual knowledge" and "unseen instructions", none of which may match.
# Where a sentence opens: its start, or after an end mark the sentence splitter missed
# ("...tasks.This research" occurs in seeds/), then quotes or brackets; then adverbs.
_ADVERBS = r"(?:now|instead|please|then|also|always|only|just|simply|and|so)"
_OPENS = rf"(?:^|[.!?;\n])[\s\"'“‘(]*(?:{_ADVERBS}[\s,]+)*"
INSTRUCTION_PATTERNS: dict[str, re.Pattern[str]] = {
    # "Ignore all previous instructions", "disregard the above", "forget your rules".
    "override": re.compile(
        r"\b(?:ignore|disregard|forget|override)\s+(?:(?:all|any|the|of|these|those)\s+)*"
        r"(?:all|your|my|previous|prior|above|earlier|preceding|foregoing|former|original|system)"
        r"\s+(?:(?:previous|prior|above|earlier|system|original)\s+)?"
        r"(?:instructions?|prompts?|rules|guidelines|directions|programming|commands|messages)\b"
        r"|\b(?:ignore|disregard|forget)\s+(?:(?:all|everything)\s+)?(?:the\s+)?above\b"
        r"|\b(?:ignore|disregard|forget)\s+everything\s+(?:above|before|you)\b",
        re.IGNORECASE,
    ),
    # A sentence opening with an order to speak: "Say that...", "Reply with...".
    "order_to_speak": re.compile(
        rf"{_OPENS}(?:say|reply|respond|tell|pretend|roleplay|act\s+as)(?![\w-])",
        re.IGNORECASE,
    ),
    # An order about the output, with what marks it as one: "Answer with", "Output only",
    # "Cite [1]" ("Answer set programming", "Output quality" are ordinary openers).
    "order_about_output": re.compile(
        rf"{_OPENS}(?:answer|output|print|write|repeat|state|cite)\s+"
        r"(?:that|with|only|exactly|back|after|always|\[\d|[\"“'‘:]|the\s+(?:answer|user|word|"
        r"phrase|sentence|text))",
        re.IGNORECASE,
    ),
    # Second person with an order or a role: "You must...", "you are now a...", "your task
    # is". Only "must" and "are now" count mid-sentence ("how you should prompt models").
    "second_person": re.compile(
        rf"{_OPENS}you\s+(?:are\s+(?:now\s+)?(?:a|an|the|my|no\s+longer|going\s+to|"
        r"required|allowed|not\s+allowed)|should|shall|will|may\s+only|can\s+only|have\s+to)\b"
        r"|\byou\s+(?:must|are\s+now)\b|\b(?:from\s+now\s+on|henceforth),?\s+you\b"
        r"|\byour\s+(?:task|job|role|goal|instructions?|new\s+instructions?)\s+(?:is|are)\b",
        re.IGNORECASE,
    ),
    # The chatbot's self-reference: "As an AI language model, I ..." (not "Llama Guard
    # functions as a language model, carrying out...", a sentence of seeds/).
    "ai_self": re.compile(
        r"\bas\s+an?\s+(?:ai|artificial\s+intelligence|(?:large\s+)?language\s+model|llm|"
        r"assistant|chatbot)(?:\s+(?:language\s+model|assistant|model))?\s*,\s*I\b",
        re.IGNORECASE,
    ),
    # Role markers of chat transcripts and instruction formats, opening a sentence or line:
    # "System:", "Assistant:", "### Instruction", "New instructions:".
    "role_marker": re.compile(
        rf"{_OPENS}(?:#{{1,4}}\s*)?(?:system|assistant|user|human|instructions?)\s*:"
        r"|#{2,}\s*(?:instruction|system|response|input|user|assistant)\b"
        r"|\b(?:new|updated|real|actual|hidden)\s+instructions?\s*:",
        re.IGNORECASE,
    ),
    # Special tokens of chat templates: ChatML / Llama 3 / Phi <|...|>, Llama 2 and Mistral
    # [INST] and <<SYS>>, Gemma's turns, the end-of-sequence </s>.
    "chat_token": re.compile(
        r"<\|[^<>|\s]{1,40}\|>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>|</s>", re.IGNORECASE
    ),
}

# Anything shaped like a special token: a word in angle brackets (<|im_end|>, <file_sep>,
# <start_of_turn>, </s>, and also harmless ones such as <EOS>), [INST], <<SYS>>. llama.cpp
# reads special tokens inside message text as the real thing, so one in a source could end
# the user's turn; with its brackets swapped for look-alikes it is only text.
_TEMPLATE_TOKEN = re.compile(r"<<?/?\|?[A-Za-z_][\w|-]{0,40}\|?>>?|\[/?INST\]")
_LOOKALIKE = str.maketrans({"<": "‹", ">": "›", "[": "(", "]": ")"})


def instruction(sentence: str) -> str:
    """The name of the first pattern by which this sentence addresses the assistant, or ""."""
    return next((name for name, p in INSTRUCTION_PATTERNS.items() if p.search(sentence)), "")


def addresses_assistant(sentence: str) -> bool:
    """Whether the sentence gives the assistant an order or a role instead of stating a
    research finding: such a sentence is never evidence, a quote or support for a claim."""
    return bool(instruction(sentence))


def neutralise(text: str) -> str:
    """Text that is not ours (sources, the question, earlier turns) as it may enter a
    prompt: on one line, so it cannot open a line with a role marker, and with anything
    shaped like a special token made plain text."""
    text = " ".join(text.split())
    return _TEMPLATE_TOKEN.sub(lambda m: m.group().translate(_LOOKALIKE), text)
