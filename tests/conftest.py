from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["RAG_CONFIG"] = str(Path(__file__).parent / "no-such-config.toml")
for name in list(os.environ):
    if name.startswith("RAG_") and name != "RAG_CONFIG":
        del os.environ[name]

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture
def seeds() -> Path:
    return SEEDS


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
