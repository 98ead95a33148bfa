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
    """Every chunk id in a store with its vector: Chroma's, and the sentence table's (keyed
    by the id of the sentence chunk at that position), to compare stores written apart."""
    import numpy as np

    from rag.chunking import chunk_paper

    out = {}
    for col in store._cols.all():
        got = col.get(include=["embeddings"])
        out.update(zip(got["ids"], map(np.asarray, got["embeddings"]), strict=True))
    papers = {pid: p for pid, (p, _) in store.papers().items()}
    for pid, rows in store.sentences(list(papers)).items():
        ids = [c.id for c in chunk_paper(papers[pid]) if c.kind == "sentence"]
        out.update(zip(ids, (np.asarray(v) for _, v in rows), strict=True))
    return out

