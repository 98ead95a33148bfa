from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.assistant import Assistant, build_assistant
from rag.config import Settings
from rag.embed import SentenceTransformerEmbedder
from rag.ingest import ingest
from rag.store import Store

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["RAG_CONFIG"] = os.devnull  # no user config file leaks into the tests
for name in list(os.environ):
    if name.startswith("RAG_") and name != "RAG_CONFIG":
        del os.environ[name]

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

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
    return build_assistant(real_settings, real_store, embedder)


@pytest.fixture
def seeds() -> Path:
    return SEEDS


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def stored_vectors(store) -> dict:
    """Every chunk id in a store with its vector, of every kind, wherever the store keeps
    it (Chroma or its table), to compare stores written apart."""
    from rag.layout import KINDS

    ids = list(store.papers())
    return {
        r.id: r.vector
        for kind in KINDS
        for rows in store.passages(kind, ids).values()
        for r in rows
    }

