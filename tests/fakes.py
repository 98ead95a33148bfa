"""Tiny scripted stand-ins for the embedder and the model, for the fast unit tier."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence

from rag.text import tokenize

DIM = 256


class FakeEmbedder:
    """Hashed bag of words: texts sharing words get a high cosine, like a crude embedder."""

    name = "fake-embedder"

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> list[float]:
        v = [0.0] * DIM
        for word in tokenize(text):
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]


class DiesInTheSecondPass(FakeEmbedder):
    """Embeds the quick views of an ingest's first pass, then raises `error`: an ingest
    interrupted in its second pass."""

    def __init__(self, error: type[BaseException] = KeyboardInterrupt) -> None:
        super().__init__()
        self.error = error

    def encode(self, texts: list[str]) -> list[list[float]]:
        if self.calls == 1:  # the first call embedded the quick views
            raise self.error
        return super().encode(texts)


class FakeGenerator:
    """Yields a scripted answer word by word and records the prompts it was given."""

    name = "fake-model.gguf"
    n_ctx = 2048

    def __init__(self, answer: str = "") -> None:
        self.answer = answer
        self.prompts: list[Sequence[dict]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, messages: Sequence[dict]) -> Iterator[str]:
        self.prompts.append(messages)
        for i, word in enumerate(self.answer.split(" ")):
            yield word if i == 0 else " " + word
