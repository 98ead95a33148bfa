from __future__ import annotations

import json

import pytest

from rag.corpus import paper_id, read_papers
from rag.errors import CorpusError

HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
    "byAK and the research community\n\n"
)


def test_seeds_dedupe_to_unique_titles_with_every_listing(seeds):
    papers = read_papers([seeds])
    assert len(papers) == 587
    assert sum(len(p.listings) for p in papers) == 630
    repeated = [p for p in papers if len(p.listings) > 1]
    assert repeated, "some papers appear in several listings"
    assert all(len({x.source for x in p.listings}) == len(p.listings) for p in repeated)
    dates = {x.date for p in papers for x in p.listings}
    assert {"Mar 17", "Mar 11", "Mar 14", "Jul 7"} <= dates


def test_listing_page_parses_titles_and_abstracts(tmp_path):
    f = tmp_path / "page.txt"
    f.write_text(HEADER + "Mar 3\n\nA Title\n\nAn abstract. Two sentences.\n\nB Title\n\nB abs.\n")
    papers = read_papers([f])
    assert [p.title for p in papers] == ["A Title", "B Title"]
    assert papers[0].abstract == "An abstract. Two sentences."
    assert papers[0].listings[0].date == "Mar 3"
    assert papers[0].id == paper_id("a  title")


def test_listing_with_title_but_no_abstract_names_file_and_line(tmp_path):
    f = tmp_path / "page.txt"
    f.write_text(HEADER + "Mar 3\n\nA Title\n\nabs\n\nDangling Title\n")
    with pytest.raises(CorpusError, match=r"page.txt:15: title 'Dangling Title' has no abstract"):
        read_papers([f])


def test_text_file_that_is_not_a_listing_is_rejected(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("just\nsome\nnotes\nhere\nand more\n")
    with pytest.raises(CorpusError, match="not a daily-papers listing page"):
        read_papers([f])


def test_jsonl_keeps_extra_fields_as_metadata(tmp_path):
    f = tmp_path / "mine.jsonl"
    rows = [
        {"title": "T1", "abstract": "A1.", "url": "http://x", "date": "2024-01-02"},
        {"title": "T2", "abstract": "A2."},
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    papers = read_papers([f])
    assert [p.title for p in papers] == ["T1", "T2"]
    assert papers[0].metadata == {"url": "http://x", "date": "2024-01-02"}
    assert papers[0].listings[0].date == "2024-01-02"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"mine.jsonl:2: invalid JSON"),
        ('["a list"]', r"mine.jsonl:2: expected a JSON object"),
        ('{"title": "x"}', r"mine.jsonl:2: missing or empty 'abstract'"),
        ('{"title": "", "abstract": "y"}', r"mine.jsonl:2: missing or empty 'title'"),
    ],
)
def test_bad_jsonl_line_is_named(tmp_path, line, message):
    f = tmp_path / "mine.jsonl"
    f.write_text('{"title": "ok", "abstract": "fine"}\n' + line + "\n")
    with pytest.raises(CorpusError, match=message):
        read_papers([f])


def test_unknown_file_type_and_missing_path(tmp_path):
    (tmp_path / "x.pdf").write_text("%PDF")
    with pytest.raises(CorpusError, match="unsupported file type"):
        read_papers([tmp_path / "x.pdf"])
    with pytest.raises(CorpusError, match="no such file"):
        read_papers([tmp_path / "missing"])


def test_non_utf8_file_is_rejected(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_bytes(b'{"title": "\xff"}\n')
    with pytest.raises(CorpusError, match="not UTF-8"):
        read_papers([f])
