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

# The fake embedder is a bag of words, so its cosines run lower than MiniLM's; the
# citation check counts words, not cosines, so it keeps its default.
FAKE_SETTINGS = Settings(abstain_threshold=0.35, k=3)
QUESTION = "mining audio and text pairs for low-resource ASR"
PAPER_TITLE = "Effectiveness of Mining Audio and Text Pairs from Public Data"
# A model sentence with a number, a name and a year the paper does not contain.
FABRICATED = "Shrutilipi covers 97 languages and was built by Zorblax Labs in 2019"


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
    """A sentence of the paper cited as [1], which the check keeps, and a vague one it
    drops (no sentence of the paper holds enough of its words)."""
    paper = next(p for p in read_papers([SEED_FILE]) if p.title.startswith(PAPER_TITLE))
    return f"{paper.abstract.split('. ')[1]} [1]. It is a strong result."


class SlowGenerator(FakeGenerator):
    """A fake model that takes `delay` seconds per token and, given a gate, waits for it
    after its first `gate_after` tokens."""

    def __init__(
        self,
        answer: str,
        delay: float = 0.0,
        gate: threading.Event | None = None,
        gate_after: int = 0,
    ):
        super().__init__(answer)
        self.delay, self.gate, self.gate_after = delay, gate, gate_after

    def stream(self, messages: Sequence[dict]) -> Iterator[str]:
        for i, piece in enumerate(super().stream(messages)):
            if self.gate is not None and i == self.gate_after:
                self.gate.wait(10)
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
    """make_fake(answer, delay=0, gate=None, gate_after=0, fixed=False) -> an assistant
    over fakes."""

    def make(
        answer: str = "",
        delay: float = 0.0,
        gate: threading.Event | None = None,
        gate_after: int = 0,
        fixed: bool = False,
    ) -> RecordingAssistant:
        generator = SlowGenerator(answer, delay, gate, gate_after)
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
