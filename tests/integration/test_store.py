"""The store shared by real processes: concurrent ingests, readers during an ingest, the
lock of a killed ingest, and a damaged store found and rebuilt. Real Chroma throughout."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.chroma import client
from rag.cli import main
from rag.config import Settings
from rag.corpus import read_papers
from rag.ingest import ingest_papers
from rag.repair import probe, recover_papers, set_aside
from rag.store import Store
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
# Two pages of ~1,300 chunks each: large enough that two unlocked writers broke the store
# every time (MEASUREMENTS.md; 84 chunks happened to survive).
PAGE_A, PAGE_B = SEEDS / "001_9d2220cffeb7fbb9.txt", SEEDS / "004_a20546432cf234b0.txt"


def _worker(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workers", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen) -> list[str]:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return out.splitlines()


def _papers(*pages: Path) -> set[str]:
    return {p.id for p in read_papers(pages)}


def test_two_ingests_at_once_end_with_every_paper(tmp_path):
    store_path = tmp_path / "store"
    first, second = _worker("ingest", store_path, PAGE_A), _worker("ingest", store_path, PAGE_B)
    outs = _finish(first) + _finish(second)

    assert any(line.startswith("waiting for another ingest") for line in outs)
    settings = Settings(store_path=str(store_path))
    assert probe(settings) is None
    store = Store(settings)
    assert set(store.papers()) == _papers(PAGE_A, PAGE_B)
    assert store.count() == sum(json.loads(line)["added"] for line in outs if "added" in line)


def test_a_reader_during_an_ingest_never_fails_and_sees_new_papers(tmp_path):
    store_path = tmp_path / "store"
    _finish(_worker("ingest", store_path, PAGE_A))
    reader = _worker("read", store_path, 40)
    time.sleep(3)  # the reader is searching before the writer starts
    _finish(_worker("ingest", store_path, PAGE_B))
    (report,) = map(json.loads, _finish(reader))

    assert report["errors"] == []
    assert report["counts"][0] == len(_papers(PAGE_A))
    assert report["counts"][-1] == len(_papers(PAGE_A, PAGE_B))


def test_the_lock_of_a_killed_ingest_is_recovered(tmp_path):
    store_path = tmp_path / "store"
    holder = _worker("hold", store_path, 300)
    assert holder.stdout.readline().strip() == "holding"
    holder.send_signal(signal.SIGKILL)
    holder.communicate()

    started = time.monotonic()
    outs = _finish(_worker("ingest", store_path, SEEDS / "000_21389137d9350ab0.txt"))
    assert not any(line.startswith("waiting") for line in outs)
    assert time.monotonic() - started < 60


def _damaged_store(tmp_path) -> Settings:
    """A store whose vector index lost its id map: records in SQLite the index lacks.
    (Chroma writes the map once a collection passes 1,000 records: here the abstracts,
    padded past that with 12 copies of the page's 88 under another kind, as a bigger
    store would have.)"""
    settings = Settings(store_path=str(tmp_path / "store"))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    ingest_papers(read_papers([PAGE_A]), store, FakeEmbedder())
    store.close()
    chroma = client(settings)
    abstracts = chroma.get_collection("papers")
    got = abstracts.get(include=["embeddings", "documents", "metadatas"])
    for copy in range(12):
        abstracts.upsert(
            ids=[f"{cid}-copy{copy}" for cid in got["ids"]],
            embeddings=got["embeddings"],
            documents=got["documents"],
            metadatas=[m | {"kind": "padding"} for m in got["metadatas"]],
        )
    chroma.close()
    indexes = list(Path(settings.store_path).glob("*/index_metadata.pickle"))
    assert indexes
    for index in indexes:
        index.unlink()
    return settings


def test_damage_is_found_and_repair_restores_every_paper(tmp_path):
    settings = _damaged_store(tmp_path)
    damage = probe(settings)
    assert damage and "error finding id" in damage.lower()

    papers = recover_papers(settings)
    assert {p.id for p in papers} == _papers(PAGE_A)
    aside = set_aside(settings)
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    ingest_papers(papers, store, FakeEmbedder())

    assert aside.is_dir() and probe(settings) is None
    assert set(store.papers()) == _papers(PAGE_A)
    assert [c.name for c in client(settings).list_collections()] == ["papers"]
    hits = store.query(FakeEmbedder().encode(["speech"])[0], 5, "abstract")
    found = [h.paper_id for h in hits]
    assert len(hits) == 5 and all(store.sentences(found).values())
    assert all(store.passages("window", found).values())


def test_cli_reports_damage_in_one_line_and_refuses_to_ingest(tmp_path):
    settings = _damaged_store(tmp_path)
    runner = CliRunner()
    for args in (["check"], ["ingest", str(PAGE_B)]):
        result = runner.invoke(main, [*args, "--store", settings.store_path])
        assert result.exit_code == 3, result.output
        last = result.output.strip().splitlines()[-1]
        assert last.startswith("Error: the store at") and last.endswith("`rag ingest --repair`")


def test_cli_repair_rebuilds_with_the_real_embedder(tmp_path):
    settings = _damaged_store(tmp_path)
    result = CliRunner().invoke(main, ["ingest", "--repair", "--store", settings.store_path])

    assert result.exit_code == 0, result.output
    assert "moved the damaged store to" in result.output
    assert probe(settings) is None
    assert set(Store(settings).papers()) == _papers(PAGE_A)


def test_one_thread_ending_its_read_leaves_another_threads_read_locked(tmp_path):
    """flock belongs to the open file, not the thread: the chat's threads take turns, so a
    writer in another process never starts while any of them still reads."""
    settings = Settings(store_path=str(tmp_path / "store"))
    store = Store(settings, create=True, embedder_name=FakeEmbedder.name)
    ingest_papers(read_papers([PAGE_A]), store, FakeEmbedder())
    ids = sorted(store.papers())[:3]
    inside, leave, read = threading.Event(), threading.Event(), {}

    def long_read() -> None:
        with store.db.reading():  # a read that lasts until the test says so
            inside.set()
            leave.wait(30)

    first = threading.Thread(target=long_read)
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=lambda: read.update(store.sentences(ids)))
    second.start()
    second.join(0.5)  # a short read, which ends (or waits) while the first still reads
    writer = os.open(Path(settings.store_path) / "store.lock", os.O_RDWR)
    with pytest.raises(BlockingIOError):
        fcntl.flock(writer, fcntl.LOCK_EX | fcntl.LOCK_NB)
    leave.set()
    first.join(30)
    second.join(30)
    assert set(read) == set(ids) and all(read.values())
    fcntl.flock(writer, fcntl.LOCK_EX | fcntl.LOCK_NB)  # every read over: a writer may go
    os.close(writer)
    store.close()
