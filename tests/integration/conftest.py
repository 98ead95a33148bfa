"""One small real store per session: the real embedder, Chroma and the packaged GGUF."""

from __future__ import annotations

import pytest

from rag.assistant import Assistant, build_assistant
from rag.config import Settings
from rag.embed import SentenceTransformerEmbedder
from rag.ingest import ingest
from rag.store import Store
from tests.conftest import SEEDS

# One listing page (88 papers, ~500 chunks) keeps the tier to a few minutes.
SEED_FILE = SEEDS / "000_21389137d9350ab0.txt"


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    return Settings(store_path=str(tmp_path_factory.mktemp("real") / "store"))


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def real_store(real_settings, embedder) -> Store:
    store = Store(real_settings, create=True, embedder_name=embedder.name)
    ingest([SEED_FILE], store, embedder)
    return store


@pytest.fixture(scope="session")
def assistant(real_settings, real_store, embedder) -> Assistant:
    assistant = build_assistant(real_settings, real_store)
    assistant.embedder = embedder
    assistant.retriever.embedder = embedder
    return assistant
