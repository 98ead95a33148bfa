from __future__ import annotations

import threading
import time

import pytest

from rag.errors import StoreError, failures
from rag.lock import StoreLock, ingest_lock


def test_each_write_moves_the_generation_on(tmp_path):
    writer, reader = StoreLock(tmp_path), StoreLock(tmp_path)
    with reader.reading() as before:
        pass
    for _ in range(3):
        with writer.writing():
            pass
    with reader.reading() as after:
        assert after == before + 3


def test_a_reader_waits_for_a_write_batch(tmp_path):
    writer, reader = StoreLock(tmp_path), StoreLock(tmp_path)
    seen = []

    def read() -> None:
        with reader.reading() as generation:
            seen.append(generation)

    with writer.writing():
        thread = threading.Thread(target=read)
        thread.start()
        time.sleep(0.2)
        assert seen == []  # blocked while the batch is written
    thread.join(timeout=5)
    assert seen == [1]


def test_a_second_ingest_waits_and_says_for_whom(tmp_path):
    messages: list[str] = []
    order: list[str] = []

    def second() -> None:
        with ingest_lock(tmp_path, messages.append):
            order.append("second")

    with ingest_lock(tmp_path, messages.append):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(timeout=5)
    assert order == ["first", "second"]
    assert len(messages) == 1 and messages[0].startswith("waiting for another ingest")


@pytest.mark.parametrize(
    ("chroma_says", "user_reads"),
    [
        ("attempt to write a readonly database", "is read-only"),
        ("(code: 778) disk I/O error", "disk full or failing"),
        ("Error executing plan: Internal error: Error finding id", "rag ingest --repair"),
    ],
)
def test_store_failures_become_one_line(chroma_says, user_reads):
    with pytest.raises(StoreError, match=user_reads) as caught, failures("/data/store"):
        raise RuntimeError(chroma_says)
    assert "\n" not in str(caught.value) and "/data/store" in str(caught.value)


def test_unknown_failures_are_not_hidden():
    with pytest.raises(KeyError), failures("/data/store"):
        raise KeyError("a bug")
