"""Fixtures for the chat: a fake-embedder store, scripted generators and app factories."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest

from rag.assistant import Assistant
from rag.config import Settings
from rag.corpus import read_papers
from rag.ingest import ingest
from rag.prompts import load_prompts
from rag.store import Store
from rag.types import Answer, Sources, Timings, Turn
from tests.conftest import SEED_FILE
from tests.fakes import FakeEmbedder, FakeGenerator

# The fake embedder is a bag of words, so its cosines run lower than MiniLM's.
FAKE_SETTINGS = Settings(abstain_threshold=0.35, support_threshold=0.4, k=3)
QUESTION = "mining audio and text pairs for low-resource ASR"
PAPER_TITLE = "Effectiveness of Mining Audio and Text Pairs from Public Data"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def fake_store(tmp_path_factory) -> Store:
    settings = Settings(store_path=str(tmp_path_factory.mktemp("fake") / "store"))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    ingest([SEED_FILE], store, FakeEmbedder())
    return store


@pytest.fixture(scope="session")
def cited_answer() -> str:
    """An answer the citation check keeps: a sentence of the paper, cited as [1]."""
    paper = next(p for p in read_papers([SEED_FILE]) if p.title.startswith(PAPER_TITLE))
    return f"{paper.abstract.split('. ')[1]} [1]. It is a strong result."


class SlowGenerator(FakeGenerator):
    """A fake model that takes `delay` seconds per token and can wait for a gate."""

    def __init__(self, answer: str, delay: float = 0.0, gate: threading.Event | None = None):
        super().__init__(answer)
        self.delay, self.gate = delay, gate

    def stream(self, messages: Sequence[dict]) -> Iterator[str]:
        if self.gate is not None:
            self.gate.wait(10)
        for piece in super().stream(messages):
            time.sleep(self.delay)
            yield piece


class RecordingAssistant(Assistant):
    """The real pipeline over fakes; records each ask and can pin timings and scores."""

    fixed_timings: Timings | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: list[tuple[str, tuple[Turn, ...]]] = []

    def ask(self, question: str, history: Sequence[Turn] = ()):
        self.asked.append((question, tuple(history)))
        for event in super().ask(question, history):
            if self.fixed_timings is not None:
                event = self._pin(event)
            yield event

    def _pin(self, event):
        """Fixed timings and scores: Chroma's approximate search varies the fused score."""
        if isinstance(event, Answer):
            return dataclasses.replace(event, timings=self.fixed_timings)
        if isinstance(event, Sources):
            evidence = tuple(
                dataclasses.replace(e, hit=dataclasses.replace(e.hit, score=1.0 / e.n))
                for e in event.evidence
            )
            return dataclasses.replace(event, evidence=evidence)
        return event


@pytest.fixture
def make_fake(fake_store) -> Callable[..., RecordingAssistant]:
    """make_fake(answer, delay=0, gate=None, fixed=False) -> an assistant over fakes."""

    def make(answer: str = "", delay: float = 0.0, gate=None, fixed: bool = False):
        generator = SlowGenerator(answer, delay, gate)
        assistant = RecordingAssistant(
            FAKE_SETTINGS,
            fake_store,
            FakeEmbedder(),
            generator,
            load_prompts(FAKE_SETTINGS.prompts_dir),
        )
        if fixed:
            assistant.fixed_timings = Timings(
                retrieve_s=0.01, ttft_s=0.25, generate_s=1.0, total_s=1.3, completion_tokens=12
            )
        return assistant

    return make
