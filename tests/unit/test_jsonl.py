from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from rag.jsonl import Record, in_categories, iso_date, read_records, wanted_categories

# Twelve invented papers in the arXiv snapshot's format (Kaggle's
# arxiv-metadata-oai-snapshot.json), with a line cut short at line 7.
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "arxiv_sample.jsonl"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def records(path: Path) -> list[Record]:
    return [r for r in read_records(path) if isinstance(r, Record)]


def problems(path: Path) -> list[str]:
    return [r for r in read_records(path) if isinstance(r, str)]


def by_id(path: Path) -> dict[str, Record]:
    return {r.metadata["arxiv_id"]: r for r in records(path)}


def test_sample_reads_every_record_and_reports_the_cut_line():
    got = records(SAMPLE)
    assert len(got) == 12
    assert [r.line for r in got] == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13]
    assert problems(SAMPLE) == [
        f"{SAMPLE}:7: invalid JSON (Unterminated string starting at); fix or remove the line"
    ]


def test_arxiv_record_keeps_id_categories_authors_and_dates():
    record = by_id(SAMPLE)["2403.01234"]
    assert record.metadata == {
        "date": "2024-03-04",  # the first version's, not the update's
        "year": 2024,
        "categories": ["cs.CL", "cs.LG"],
        "arxiv_id": "2403.01234",
        "authors": "Maria Lindqvist, Tomas Berg and Ana Ruiz",
        "created": "2024-03-04",
        "update_date": "2024-03-12",
    }
    assert record.listed == "2024-03-04"
    assert record.title.startswith("Sparse Retrieval") and "Question\n  Answering" in record.title


def test_old_style_id_and_a_record_without_versions():
    got = by_id(SAMPLE)
    old = got["hep-th/9901001"].metadata
    assert (old["date"], old["year"], old["categories"]) == ("1999-01-01", 1999, ["hep-th"])
    assert old["update_date"] == "2008-02-03"
    unversioned = got["2104.08888"].metadata
    assert (unversioned["date"], unversioned["created"]) == ("2021-04-20", "")


def test_every_record_has_the_normalised_metadata():
    for r in records(SAMPLE):
        meta = r.metadata
        assert ISO.fullmatch(meta["date"]) and meta["year"] == int(meta["date"][:4])
        assert meta["categories"] and all(isinstance(c, str) for c in meta["categories"])
        assert meta["arxiv_id"]
        assert not {"versions", "authors_parsed", "submitter", "abstract"} & meta.keys()


@pytest.mark.parametrize(
    ("row", "meta", "listed"),
    [
        (
            {"date": "2024-01-02", "categories": "cs.CL cs.LG", "year": "2023", "url": "u"},
            {"date": "2024-01-02", "year": 2024, "categories": ["cs.CL", "cs.LG"], "url": "u"},
            "2024-01-02",
        ),
        ({"year": "2021"}, {"date": "", "year": 2021, "categories": []}, ""),
        ({"year": 2021, "categories": ["cs.CL"]}, {"year": 2021, "categories": ["cs.CL"]}, ""),
        ({"date": "March 2024", "year": "n.d."}, {"date": ""}, "March 2024"),
        ({"date": "2024-01-02T09:00Z"}, {"date": "2024-01-02", "year": 2024}, "2024-01-02T09:00Z"),
        ({"arxiv_id": "2403.01234", "id": 7}, {"arxiv_id": "2403.01234", "id": 7}, ""),
    ],
)
def test_simple_rows_get_the_same_shape(tmp_path, row, meta, listed):
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"title": "T", "abstract": "A.", **row}) + "\n")
    [record] = records(f)
    shape = {"date": "", "categories": [], "arxiv_id": ""}
    expected = {**shape, **meta}
    if "year" not in meta:
        assert "year" not in record.metadata
    assert {k: record.metadata.get(k) for k in expected} == expected
    assert record.listed == listed


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2008-11-13", "2008-11-13"),
        ("Mon, 2 Apr 2007 19:18:42 GMT", "2007-04-02"),
        ("Fri, 31 Dec 1999 23:59:59 GMT", "1999-12-31"),
        ("2024-02-30", ""),
        ("Mar 17", ""),  # a listing page's date has no year
        ("2 Foo 2007", ""),
        ("20240102", ""),
        (None, ""),
        (2024, ""),
    ],
)
def test_iso_date(value, iso):
    assert iso_date(value) == iso


@pytest.mark.parametrize(
    ("wanted", "have", "keep"),
    [
        (["cs"], ["math.PR", "cs.CL"], True),
        (["cs.CL"], ["cs.CL"], True),
        (["cs.CL"], ["cs.CLX", "cs.LG"], False),
        (["math"], ["math-ph"], False),
        (["math"], ["mathematics"], False),
        (["hep-th"], ["hep-th"], True),
        (["cs."], ["cs.CV"], True),
        ("cs", ["cs.CV"], True),  # one category given as a string, not its letters
        (["astro-ph", "quant-ph"], ["quant-ph"], True),
        (["cs"], [], False),
    ],
)
def test_category_is_one_given_or_in_its_field(wanted, have, keep):
    assert in_categories(have, wanted_categories(wanted)) is keep


def test_gzip_reads_as_the_plain_file(tmp_path):
    for name in ("snap.json.gz", "snap.jsonl.gz"):
        gz = tmp_path / name
        gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
        assert records(gz) == records(SAMPLE)
        assert problems(gz) == [p.replace(str(SAMPLE), str(gz)) for p in problems(SAMPLE)]


def test_cut_gzip_keeps_the_lines_before_the_cut(tmp_path):
    data = gzip.compress(SAMPLE.read_bytes() * 20, compresslevel=0)  # 260 lines, stored
    gz = tmp_path / "cut.json.gz"
    gz.write_bytes(data[: len(data) // 2])
    *rows, last = list(read_records(gz))
    m = re.fullmatch(
        rf"{re.escape(str(gz))}:(\d+): the file breaks off \(Compressed file ended before the "
        r"end-of-stream marker was reached\); lines 1-(\d+) were read, the rest was not; "
        "download it again",
        last,
    )
    assert m and int(m[1]) == int(m[2]) + 1
    good = int(m[2])
    assert 100 < good < 160
    assert [r.line for r in rows if isinstance(r, Record)] == [
        n for n in range(1, good + 1) if n % 13 != 7
    ]


def test_a_file_that_is_not_gzip(tmp_path):
    f = tmp_path / "plain.jsonl.gz"
    f.write_text('{"title": "T", "abstract": "A."}\n')
    assert list(read_records(f)) == [
        f"{f}:1: the file breaks off (Not a gzipped file (b'{{\"')); nothing was read; "
        "download it again"
    ]


def test_bad_lines_are_reported_and_the_others_read(tmp_path):
    f = tmp_path / "mine.json"
    f.write_bytes(
        b'\xef\xbb\xbf{"title": "first", "abstract": "a."}\r\n'  # Windows: BOM and CRLF
        b'{"title": "\xff", "abstract": "b."}\n'
        b"\n"
        b'{"title": "x"}\n'
        b'{"title": "last", "abstract": "c."}'  # no newline at the end
    )
    assert [(r.line, r.title) for r in records(f)] == [(1, "first"), (5, "last")]
    assert problems(f) == [
        f"{f}:2: not UTF-8 text (invalid start byte); convert the file to UTF-8",
        f"{f}:4: missing or empty 'abstract'; every line needs a title and abstract",
    ]


def test_unreadable_file_is_one_problem(tmp_path):
    missing = tmp_path / "gone.jsonl"
    assert list(read_records(missing)) == [
        f"{missing}: cannot be read (No such file or directory); check that it is a readable file"
    ]
