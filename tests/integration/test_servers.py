"""The scale-out path: a Chroma server shared by many users, and an OpenAI-compatible
llama.cpp server for the model, both chosen by configuration alone."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.assistant import build_assistant
from rag.chroma import client
from rag.corpus import read_papers
from rag.generate import find_model
from rag.ingest import ABSTRACTS, ingest
from rag.store import Store
from rag.types import Answer
from tests.conftest import SEED_FILE

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(command: list[str], ready_url: str) -> Iterator[None]:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield from _serve_started(proc, ready_url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "chroma"), "run", "--path", str(path), "--port", str(port)]
    yield from (url for _ in _serve(command, f"{url}/api/v2/heartbeat"))


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(find_model("")),
        "--port",
        str(port),
        "--n_ctx",
        "2048",
    ]
    yield from (url for _ in _serve(command, f"{url}/v1/models"))


def test_store_on_a_chroma_server(chroma_url, real_settings, embedder, tmp_path):
    settings = real_settings.replace(chroma_url=chroma_url, store_path=str(tmp_path / "unused"))
    store = Store(settings, create=True, embedder_name=embedder.name)
    report = ingest([SEED_FILE], store, embedder)
    assert store.count() == report.chunks > 0
    assert not (tmp_path / "unused").exists()
    papers = read_papers([SEED_FILE])
    # A server store is shared: its windows and sentences stay in Chroma, not in a table.
    names = {c.name: c.count() for c in client(settings).list_collections()}
    assert names == {"papers": 88, "papers__window": 418, "papers__sentence": 878}
    assert len(store.sentences([papers[3].id])[papers[3].id]) > 1
    assert len(store.passages("window", [papers[3].id])[papers[3].id]) >= 1
    hits = build_assistant(settings, embedder=embedder).search(papers[3].title)
    assert hits[0].paper.title == papers[3].title


def test_answer_from_an_openai_compatible_model_server(
    llm_url, real_settings, real_store, embedder
):
    settings = real_settings.replace(llm_url=llm_url)
    assistant = build_assistant(settings, real_store, embedder)
    *_, answer = assistant.ask("How does EfficientQAT make quantization-aware training cheaper?")
    assert isinstance(answer, Answer) and answer.model == llm_url
    assert answer.text and answer.timings.completion_tokens > 0
    assert answer.citations
    assert {c.paper_id for c in answer.citations} <= {h.paper.id for h in answer.hits}


def test_a_server_gone_mid_ingest_is_one_line(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "chroma"), "run", "--path", str(tmp_path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in _serve_started(server, f"{url}/api/v2/heartbeat"):
        ingest_run = subprocess.Popen(
            [sys.executable, "-c", "from rag.cli import main; main()", "ingest", str(SEED_FILE),
             "--chroma-url", url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        progress = [ingest_run.stderr.readline() for _ in range(2)]  # one batch is written
        server.kill()
        server.wait()
        _, err = ingest_run.communicate(timeout=300)
    assert all(line.startswith(ABSTRACTS) for line in progress), progress
    assert ingest_run.returncode == 3, err
    assert err.strip().splitlines()[-1].startswith(f"Error: lost the Chroma server at {url}")


def _serve_started(proc: subprocess.Popen, ready_url: str) -> Iterator[None]:
    """Wait for a server started by the caller, who also stops it."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(ready_url, timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"server did not start: {ready_url}")
            time.sleep(0.5)
    yield
