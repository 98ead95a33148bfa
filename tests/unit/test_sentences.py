"""The sentence-vector table: rows by paper, float16 vectors, one transaction a write."""

from __future__ import annotations

import numpy as np
import pytest

from rag.sentences import FILE, SentenceRow, SentenceTable, counts

DIM = 384


def _vector(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM)
    return v / np.linalg.norm(v)


def _rows(paper: str, n: int) -> list[SentenceRow]:
    seed = sum(map(ord, paper)) * 100
    return [
        SentenceRow(f"{paper}-s{i}", paper, i, f"Sentence {i} of {paper}.", _vector(seed + i))
        for i in range(n)
    ]


def test_rows_come_back_by_paper_in_order_with_their_vectors(tmp_path):
    table = SentenceTable(tmp_path, "papers", create=True)
    rows = _rows("p1", 4) + _rows("p2", 3)
    table.write(reversed(rows))  # written in any order, read in abstract order

    got = table.read(["p2", "p1", "missing"])
    assert list(got) == ["p2", "p1", "missing"] and got["missing"] == []
    for pid in ("p1", "p2"):
        expected = [r for r in rows if r.paper_id == pid]
        assert [(r.id, r.position, r.text) for r in got[pid]] == [
            (r.id, r.position, r.text) for r in expected
        ]
        for vector, row in zip((r.vector for r in got[pid]), expected, strict=True):
            assert vector.dtype == np.float32 and vector.shape == (DIM,)
            assert abs(float(vector @ row.vector) - 1.0) < 1e-3  # float16: cosine within 1e-3
    assert table.count() == 7
    assert table.ids() == {r.id: r.paper_id for r in rows}
    table.close()


def test_a_row_written_twice_is_stored_once_and_delete_ignores_missing_ids(tmp_path):
    table = SentenceTable(tmp_path, "papers", create=True)
    rows = _rows("p1", 3)
    table.write(rows)
    table.write(rows)
    assert table.count() == 3
    table.delete(["p1-s0", "never-stored"])
    assert [r.text for r in table.read(["p1"])["p1"]] == [r.text for r in rows[1:]]
    table.close()


def test_each_collection_has_its_own_rows(tmp_path):
    papers = SentenceTable(tmp_path, "papers", create=True)
    physics = SentenceTable(tmp_path, "physics", create=True)
    papers.write(_rows("p1", 2))
    physics.write(_rows("p1", 5))  # the same ids in another collection
    physics.delete(["p1-s0"])
    assert (papers.count(), physics.count()) == (2, 4)
    assert len(papers.read(["p1"])["p1"]) == 2
    assert counts(tmp_path) == {"papers": 2, "physics": 4}
    papers.close()
    physics.close()


def test_a_failed_write_stores_nothing_of_its_batch(tmp_path):
    table = SentenceTable(tmp_path, "papers", create=True)
    table.write(_rows("p1", 2))
    good = _rows("p2", 3)
    broken = [*good, SentenceRow("p2-bad", "p2", 9, None, _vector(1))]  # text NOT NULL
    with pytest.raises(Exception, match="NOT NULL"):
        table.write(broken)
    assert table.read(["p2"])["p2"] == [] and table.count() == 2
    table.close()


def test_a_reader_of_a_store_without_the_file_sees_no_rows_and_makes_no_file(tmp_path):
    table = SentenceTable(tmp_path, "papers")
    assert table.read(["p1"]) == {"p1": []}
    assert (table.ids(), table.count(), counts(tmp_path)) == ({}, 0, {})
    table.delete(["p1-s0"])
    assert not (tmp_path / FILE).exists()
    with pytest.raises(RuntimeError, match="reading only"):
        table.write(_rows("p1", 1))
    table.close()


def test_a_reader_sees_what_a_writer_committed(tmp_path):
    writer = SentenceTable(tmp_path, "papers", create=True)
    reader = SentenceTable(tmp_path, "papers")
    writer.write(_rows("p1", 2))
    assert len(reader.read(["p1"])["p1"]) == 2
    writer.close()
    reader.close()
