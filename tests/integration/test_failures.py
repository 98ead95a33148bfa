"""Bad input and OS failures end in one line naming the thing and the fix, lose nothing,
and exit with the README's code. Real Chroma and the real embedder."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from rag.cli import main
from rag.config import Settings
from rag.store import Store
from tests.conftest import SEED_FILE

ROOT = Path(__file__).resolve().parents[2]
GOOD = [
    {"title": f"Tiny paper {i}", "abstract": f"We study topic {i} with a new method. It works."}
    for i in range(3)
]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def _one_error_line(result, code: int, *words: str) -> str:
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.strip().splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


def _cli(*args: str, preexec=None, user: bool = False) -> subprocess.CompletedProcess:
    """The CLI in a process of its own (limits and users apply to a whole process)."""
    command = [sys.executable, "-c", "from rag.cli import main; main()", *args]
    if user:  # root writes anywhere: drop to nobody so a read-only folder is read-only
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    env = {**os.environ, "HOME": "/tmp"}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, preexec_fn=preexec,
                          env=env, timeout=600)  # fmt: skip


def test_partial_input_stores_the_good_and_lists_the_bad(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [json.dumps(GOOD[0]), "{not json", json.dumps(GOOD[1]), json.dumps({"title": "x"})]
    (folder / "papers.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "notes.txt").write_text("just some notes\n")
    (folder / "more.jsonl").write_text(json.dumps(GOOD[2]) + "\n")
    store = tmp_path / "store"

    result = run("ingest", str(folder), "--store", str(store))

    assert result.exit_code == 5, result.output
    skipped = [line for line in result.output.splitlines() if line.startswith("Skipped: ")]
    assert [s.split(": ")[1] for s in skipped] == [
        f"{folder / 'notes.txt'}:1",
        f"{folder / 'papers.jsonl'}:2",
        f"{folder / 'papers.jsonl'}:4",
    ]
    titles = {p.title for p, _ in Store(Settings(store_path=str(store))).papers().values()}
    assert titles == {g["title"] for g in GOOD}


def test_a_bad_embedder_creates_no_store(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDER", str(tmp_path / "no-such-model"))
    store = tmp_path / "store"
    result = run("ingest", str(SEED_FILE), "--store", str(store))
    _one_error_line(result, 4, "embedder folder", "RAG_EMBEDDER")
    assert not store.exists()


def test_a_file_as_store_and_a_bad_collection_name(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "store"
    not_a_folder.write_text("")
    _one_error_line(run("search", "speech", "--store", str(not_a_folder)), 3, "is a file")
    monkeypatch.setenv("RAG_COLLECTION", "bad name!")
    _one_error_line(run("search", "speech", "--store", str(tmp_path)), 2, "collection name")


def test_an_empty_search_is_a_usage_error(real_settings, real_store):
    for query in ("", "  ", "\x1b[31m\x1b[0m"):
        result = run("search", query, "--store", real_settings.store_path)
        assert result.exit_code == 2 and "the query is empty" in result.output


def test_a_read_only_store_says_so(real_settings, real_store):
    shared = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's tmp_path is private to root
    shared.chmod(0o755)
    store = shared / "store"
    shutil.copytree(real_settings.store_path, store)
    for path in [store, *store.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    as_root = os.geteuid() == 0
    for args in (["search", "speech"], ["ingest", str(SEED_FILE)]):
        done = _cli(*args, "--store", str(store), user=as_root)
        assert done.returncode == 3, done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith(f"Error: the store at {store}")
        assert "read-only" in done.stderr and "Traceback" not in done.stderr
    shutil.rmtree(shared, ignore_errors=True)


def test_a_full_disk_keeps_what_was_stored(tmp_path):
    store = tmp_path / "store"

    def small_disk() -> None:  # writes past 3 MB fail, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, 3_000_000))

    done = _cli("ingest", str(SEED_FILE), "--store", str(store), preexec=small_disk)
    assert done.returncode == 3, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: cannot write to the store at {store}") and "kept" in last
    check = run("check", "--store", str(store))
    assert check.exit_code == 0 and "is consistent" in check.output
