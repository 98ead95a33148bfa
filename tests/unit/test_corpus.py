from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from rag.corpus import (
    ABSTRACT,
    MAX_PROBLEMS_PER_FILE,
    TITLE,
    Reading,
    detex,
    input_files,
    line_role,
    paper_id,
    read_corpus,
    read_papers,
)
from rag.errors import CorpusError
from rag.types import Listing

HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
    "byAK and the research community\n\n"
)
# One real page of seeds/: 86 papers, every title and abstract on its own line.
PAGE = "003_457e6e6d572be627.txt"
# Twelve invented papers in the arXiv snapshot's format, with a line cut short at line 7.
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "arxiv_sample.jsonl"
CUT_LINE = f"{SAMPLE}:7: invalid JSON (Unterminated string starting at); fix or remove the line"


def positional(path: Path) -> list[tuple[int, str, int, str]]:
    """(title line, title, abstract line, abstract) of a well-formed page, by position only:
    the ground truth the shape rule is checked against."""
    lines = [(n, line.strip()) for n, line in enumerate(path.read_text().split("\n"), 1)]
    body = [(n, line) for n, line in lines if line][5:]
    return [(tn, t, an, a) for (tn, t), (an, a) in zip(body[0::2], body[1::2], strict=True)]


def pairs(reading: Reading) -> dict[str, str]:
    return {p.title: p.abstract for p in reading.papers}


def write_without(tmp_path: Path, seeds: Path, drop: set[int], blank: bool) -> Path:
    """The real page with some lines blanked (numbering kept) or deleted."""
    lines = (seeds / PAGE).read_text().split("\n")
    kept = [("" if blank else None) if n in drop else x for n, x in enumerate(lines, 1)]
    out = tmp_path / PAGE
    out.write_text("\n".join(x for x in kept if x is not None))
    return out


def test_seeds_dedupe_to_unique_titles_with_every_listing(seeds):
    reading = read_corpus([seeds])
    assert reading.skipped == ()
    papers = reading.papers
    assert len(papers) == 587
    assert sum(len(p.listings) for p in papers) == 630
    repeated = [p for p in papers if len(p.listings) > 1]
    assert repeated, "some papers appear in several listings"
    assert all(len({x.source for x in p.listings}) == len(p.listings) for p in repeated)
    dates = {x.date for p in papers for x in p.listings}
    assert {"Mar 17", "Mar 11", "Mar 14", "Jul 7"} <= dates
    assert read_papers([seeds]) == list(papers)


def test_shape_rule_classes_every_real_title_and_abstract(seeds):
    pages = sorted(seeds.glob("*.txt"))
    assert len(pages) == 5
    rows = [row for page in pages for row in positional(page)]
    assert len(rows) == 630
    assert [t for _, t, _, _ in rows if line_role(t) != TITLE] == []
    assert [a[:60] for _, _, _, a in rows if line_role(a) != ABSTRACT] == []


@pytest.mark.parametrize(
    ("line", "role"),
    [
        ("Do We Need Domain-Specific Embedding Models? An Empirical Investigation", TITLE),
        ("BAM! Just Like That: Simple and Efficient Parameter Upcycling", TITLE),
        ("We prove it. It is tight. It is also fast.", ABSTRACT),  # short, 3 sentences
        ("x" * 301, ABSTRACT),  # longer than any title
        ("We prove it. Only two sentences.", "either"),
        ("Attention Is All You Need.", "either"),
    ],
)
def test_line_role_from_shape(line, role):
    assert line_role(line) == role


def test_listing_page_parses_titles_and_abstracts(tmp_path):
    f = tmp_path / "page.txt"
    f.write_text(HEADER + "Mar 3\n\nA Title\n\nAn abstract. Two sentences.\n\nB Title\n\nB abs.\n")
    reading = read_corpus([f])
    assert reading.skipped == ()
    assert [(p.title, p.abstract) for p in reading.papers] == [
        ("A Title", "An abstract. Two sentences."),
        ("B Title", "B abs."),
    ]
    assert reading.papers[0].listings[0].date == "Mar 3"  # as the page says: no year made up
    assert reading.papers[0].metadata == {"date": "", "categories": [], "arxiv_id": ""}
    assert reading.papers[0].id == paper_id("a  title")


def test_title_ending_in_full_stop_before_an_abstract_is_a_title(tmp_path):
    long = "We study things. " * 30
    f = tmp_path / "page.txt"
    f.write_text(HEADER + "Mar 3\n\nLonely Title\n\nA Title With A Period.\n\n" + long + "\n")
    reading = read_corpus([f])
    assert pairs(reading) == {"A Title With A Period.": long.strip()}
    assert reading.skipped == (
        f"{f}:11: title 'Lonely Title' has no abstract (first on the page); "
        "add its abstract line after it",
    )


def test_missing_abstract_in_the_middle_skips_only_that_paper(tmp_path, seeds):
    rows = positional(seeds / PAGE)
    (_, before, _, _), (title_line, title, abstract_line, _) = rows[14], rows[15]
    page = write_without(tmp_path, seeds, {abstract_line}, blank=True)
    reading = read_corpus([page])
    whole = pairs(read_corpus([seeds / PAGE]))
    assert len(whole) == 86
    assert pairs(reading) == {t: a for t, a in whole.items() if t != title}
    assert reading.skipped == (
        f"{page}:{title_line}: title '{title[:49]}…' has no abstract "
        f"(after '{before[:49]}…'); add its abstract line after it",
    )


def test_two_abstracts_deleted_leave_no_paper_shifted(tmp_path, seeds):
    rows = positional(seeds / PAGE)
    first, second = rows[15], rows[40]
    page = write_without(tmp_path, seeds, {first[2], second[2]}, blank=False)
    reading = read_corpus([page])
    whole = pairs(read_corpus([seeds / PAGE]))
    assert pairs(reading) == {t: a for t, a in whole.items() if t not in (first[1], second[1])}
    assert len(reading.papers) == 84
    # the second title moved up one line, with the first abstract's line deleted above it
    lines = [int(re.match(rf"{re.escape(str(page))}:(\d+): title ", s)[1]) for s in reading.skipped]
    assert lines == [first[0], second[0] - 1]


def test_missing_title_reports_the_orphan_abstract(tmp_path, seeds):
    rows = positional(seeds / PAGE)
    (_, before, _, _), (title_line, title, abstract_line, abstract) = rows[14], rows[15]
    page = write_without(tmp_path, seeds, {title_line}, blank=True)
    reading = read_corpus([page])
    assert len(reading.papers) == 85 and title not in pairs(reading)
    assert reading.skipped == (
        f"{page}:{abstract_line}: abstract '{abstract[:49]}…' has no title "
        f"(after '{before[:49]}…'); add its title line before it",
    )


def test_folder_with_bad_files_reads_the_good_ones_and_lists_the_bad(tmp_path, seeds):
    good = tmp_path / "good.txt"
    good.write_text((seeds / PAGE).read_text())
    (tmp_path / "notes.txt").write_text("just\nsome\nnotes\nhere\nand more\n")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"title": "a", "abstract": "b"}\n{"title": "\xff"}\n')
    (tmp_path / "ignored.pdf").write_text("%PDF")
    reading = read_corpus([tmp_path])
    assert len(reading.papers) == 87  # and line 1 of latin1.jsonl
    assert [s.split(": ")[0] for s in reading.skipped] == [
        f"{tmp_path / 'latin1.jsonl'}:2",
        f"{tmp_path / 'notes.txt'}:5",
    ]
    assert "not UTF-8 text" in reading.skipped[0]
    assert "not a daily-papers listing page" in reading.skipped[1]


def test_input_with_no_readable_paper_is_an_error(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("just\nsome\nnotes\nhere\nand more\n")
    with pytest.raises(CorpusError, match=r"notes.txt:5: not a daily-papers listing page"):
        read_corpus([f])
    (tmp_path / "b.jsonl").write_text("{oops\n")
    with pytest.raises(CorpusError, match=r"no paper could be read: 2 problems\n.*b.jsonl:1"):
        read_corpus([tmp_path])


def test_empty_folder_is_an_empty_reading(tmp_path):
    assert read_corpus([tmp_path]) == Reading((), ())


def test_jsonl_keeps_extra_fields_as_metadata(tmp_path):
    f = tmp_path / "mine.jsonl"
    rows = [
        {"title": "T1", "abstract": "A1.", "url": "http://x", "date": "2024-01-02"},
        {"title": "T2", "abstract": "A2."},
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    papers = read_papers([f])
    assert [p.title for p in papers] == ["T1", "T2"]
    shape = {"date": "", "categories": [], "arxiv_id": ""}
    assert papers[0].metadata == {**shape, "url": "http://x", "date": "2024-01-02", "year": 2024}
    assert papers[0].listings[0].date == "2024-01-02"
    assert papers[1].metadata == shape


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"mine.jsonl:2: invalid JSON \(.*\); fix or remove the line"),
        ('["a list"]', r"mine.jsonl:2: expected a JSON object"),
        ('{"title": "x"}', r"mine.jsonl:2: missing or empty 'abstract'"),
        ('{"title": "", "abstract": "y"}', r"mine.jsonl:2: missing or empty 'title'"),
    ],
)
def test_bad_jsonl_line_is_reported_and_the_others_read(tmp_path, line, message):
    f = tmp_path / "mine.jsonl"
    good = '{"title": "ok %d", "abstract": "fine."}'
    f.write_text("\n".join([good % 1, line, good % 3]) + "\n")
    reading = read_corpus([f])
    assert [p.title for p in reading.papers] == ["ok 1", "ok 3"]
    assert len(reading.skipped) == 1
    assert re.search(message, reading.skipped[0])
    with pytest.raises(CorpusError, match=message):
        read_papers([f])


def test_same_title_with_another_abstract_keeps_the_first_and_names_both(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.txt"
    a.write_text('{"title": "Same Title", "abstract": "First version."}\n')
    b.write_text(HEADER + "Mar 3\n\nOther\n\nOther abstract.\n\nSame  title\n\nSecond version.\n")
    reading = read_corpus([a, b])
    assert pairs(reading) == {"Same Title": "First version.", "Other": "Other abstract."}
    assert reading.skipped == (
        f"{b}:15: title 'Same title' has another abstract than at {a}:1, which was kept; "
        "rename one title if they are different papers",
    )


def test_identical_repeats_merge_silently_with_every_listing(tmp_path):
    page = HEADER + "{date}\n\nSame Title\n\nThe same abstract. Word for word.\n"
    (tmp_path / "1.txt").write_text(page.format(date="Mar 3"))
    (tmp_path / "2.txt").write_text(page.format(date="Mar 4"))
    reading = read_corpus([tmp_path, tmp_path / "1.txt"])
    assert reading.skipped == ()
    assert [[x.date for x in p.listings] for p in reading.papers] == [["Mar 3", "Mar 4"]]


def test_unknown_file_type_and_missing_path_are_usage_errors(tmp_path):
    (tmp_path / "x.pdf").write_text("%PDF")
    with pytest.raises(CorpusError, match="unsupported file type"):
        read_corpus([tmp_path / "x.pdf"])
    with pytest.raises(CorpusError, match="no such file"):
        read_corpus([tmp_path / "missing"])


def test_non_utf8_line_is_skipped_and_named(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_bytes(b'{"title": "ok", "abstract": "fine."}\n{"title": "\xff"}\n')
    reading = read_corpus([f])
    assert [p.title for p in reading.papers] == ["ok"]
    assert reading.skipped == (
        f"{f}:2: not UTF-8 text (invalid start byte); convert the file to UTF-8",
    )
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: not UTF-8 text"):
        read_papers([f])
    page = tmp_path / "page.txt"
    page.write_bytes(HEADER.encode() + b"Mar 3\n\nT\xff\n")
    with pytest.raises(CorpusError, match=r"page.txt:11: not UTF-8 text"):
        read_corpus([page])


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"a decrease of 5.8\% in WER", "a decrease of 5.8% in WER"),
        ("by ``mining'' text", 'by "mining" text'),
        ('a ``lite-weight" rank', 'a "lite-weight" rank'),
        ("such as `jailbreaks', where", "such as 'jailbreaks', where"),
        (r"R\&D and snake\_case", "R&D and snake_case"),
        ("a noise prompt network~(NPNet)", "a noise prompt network (NPNet)"),
        ("available at~https://x.io", "available at https://x.io"),
        ("by 10~30% and (~50%)", "by 10~30% and (~50%)"),  # ranges and "about" stay
        (r"\emph{x} \textbf{bold words} \textit{y}", "x bold words y"),
        ("runs in $O(n^2)$ time", "runs in O(n^2) time"),
        ("M$^3$ViT and S$^{2}$FT", "M^3ViT and S^{2}FT"),
        ("costs $20 and $0.1 million", "costs $20 and $0.1 million"),  # dollars, not math
        (r"T\"ULU 3 and It\^o and na\"{i}ve", "TÜLU 3 and Itô and naïve"),
        (r"{\epsilon}-differential privacy", "ε-differential privacy"),
        (r"approximately \textasciitilde42\% time", "approximately ~42% time"),
        (r"up to 5.18\times faster", "up to 5.18× faster"),
        ("at https://x.io/a{https://x.io/a}.", "at https://x.io/a."),
        (r"Our \method beats \etc", r"Our \method beats \etc"),  # a paper's own macro
        ("  We study\nthe  $k$-nearest\n  points.\n", "We study the k-nearest points."),
    ],
)
def test_detex(tex, text):
    assert detex(tex) == text


def test_titles_and_abstracts_are_detexed_before_ids_and_dedupe(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(HEADER + "Mar 3\n\nM$^3$ViT: Experts\n\nWe gain 5.8\\% in WER. It works.\n")
    mine = tmp_path / "mine.jsonl"
    mine.write_text(
        json.dumps({"title": "M^3ViT: Experts", "abstract": "We gain 5.8% in WER. It works."})
    )
    reading = read_corpus([page, mine])
    assert reading.skipped == ()
    [paper] = reading.papers
    assert (paper.title, paper.abstract) == ("M^3ViT: Experts", "We gain 5.8% in WER. It works.")
    assert paper.id == paper_id("M^3ViT: Experts")
    assert len(paper.listings) == 2


def ids(reading: Reading) -> set[str]:
    return {p.metadata["arxiv_id"] for p in reading.papers}


def test_arxiv_snapshot_papers_are_detexed_and_dated():
    reading = read_corpus([SAMPLE])
    assert reading.skipped == (CUT_LINE,)
    assert len(reading.papers) == 12
    paper = next(p for p in reading.papers if p.metadata["arxiv_id"] == "2403.01234")
    assert (
        paper.title == "Sparse Retrieval Beats Dense Retrieval on Long-Context Question Answering"
    )
    assert paper.abstract.startswith("We compare sparse and dense retrievers on long-context")
    assert (
        "for 82% of the questions" in paper.abstract and "the k-nearest passages" in paper.abstract
    )
    assert paper.listings == (Listing(str(SAMPLE), "2024-03-04"),)
    assert (paper.metadata["date"], paper.metadata["year"]) == ("2024-03-04", 2024)
    titles = {p.title for p in reading.papers}
    assert "Learning the Schrödinger equation with neural operators" in titles


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        (["cs"], {"2403.01234", "2310.04567", "1905.11111", "2104.08888", "2312.00042"}),
        (["cs.CL"], {"2403.01234", "2104.08888"}),
        (["math"], {"2401.00002", "2208.05555"}),  # not math-ph
        (["math-ph"], {"1603.07777"}),
        (["hep-th"], {"hep-th/9901001", "0907.1234"}),  # primary or cross-listed
        (["quant-ph", "astro-ph"], {"2207.00123", "1012.3456"}),
        (["physics"], set()),
    ],
)
def test_category_filter_keeps_a_field_or_one_category(categories, expected):
    reading = read_corpus([SAMPLE], categories=categories)
    assert ids(reading) == expected
    assert reading.outside == 12 - len(expected)
    assert reading.skipped == (CUT_LINE,)


def test_category_filter_leaves_out_listing_pages(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(HEADER + "Mar 3\n\nA Title\n\nAn abstract. Two sentences.\n\nB\n\nB abs.\n")
    reading = read_corpus([page, SAMPLE], categories=["cs"])
    assert len(reading.papers) == 5 and all(p.metadata["arxiv_id"] for p in reading.papers)
    assert reading.outside == 2 + 7
    assert read_corpus([page], categories=["cs"]) == Reading((), (), outside=2)


class EndlessSnapshot:
    """A two-million-line snapshot made as it is read, every other paper in cs; it counts
    the lines read, and fails the test when reading goes far past where it should stop."""

    def __init__(self) -> None:
        self.lines_read = 0

    def open(self, path: Path, mode: str) -> EndlessSnapshot:  # stands in for open()
        self.lines_read = 0
        return self

    def __enter__(self) -> EndlessSnapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self):
        for i in range(2_000_000):
            if i > 50_000:
                pytest.fail(f"read {i} lines: the limit did not stop the reading")
            self.lines_read += 1
            record = {
                "id": f"2401.{i:05d}",
                "title": f"Paper number {i}",
                "abstract": f"  Abstract of paper\n  {i}.\n",
                "categories": "cs.CL cs.LG" if i % 2 else "math.PR",
                "versions": [{"version": "v1", "created": "Tue, 2 Jan 2024 10:00:00 GMT"}],
                "update_date": "2024-01-03",
            }
            yield json.dumps(record).encode() + b"\n"


def test_limit_stops_reading_a_long_file(tmp_path, monkeypatch):
    dump = EndlessSnapshot()
    monkeypatch.setattr("rag.jsonl.open", dump.open, raising=False)
    path = tmp_path / "arxiv-metadata-oai-snapshot.json"
    path.touch()
    reading = read_corpus([path], limit=1000)
    assert len(reading.papers) == 1000 and dump.lines_read == 1000
    reading = read_corpus([path], limit=100, categories=["cs"])
    assert len(reading.papers) == 100 and dump.lines_read == 200
    assert all("cs.CL" in p.metadata["categories"] for p in reading.papers)
    assert reading.outside == 100


def test_limit_counts_papers_kept(tmp_path):
    rows = ["A", "A", "{cut", "B", "C"]
    f = tmp_path / "mine.jsonl"
    f.write_text(
        "\n".join(r if r == "{cut" else json.dumps({"title": r, "abstract": r + "."}) for r in rows)
    )
    reading = read_corpus([f, SAMPLE], limit=2)
    assert [p.title for p in reading.papers] == ["A", "B"]
    [problem] = reading.skipped
    assert problem.startswith(f"{f}:3: invalid JSON")
    assert len(read_corpus([f, SAMPLE], limit=4).papers) == 4
    assert read_corpus([f], limit=0) == Reading((), ())
    with pytest.raises(CorpusError, match="limit -1"):
        read_corpus([f], limit=-1)


def test_listing_page_and_arxiv_record_of_one_title_are_one_paper(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(
        HEADER + "Mar 5\n\nSparse Retrieval Beats Dense Retrieval on Long-Context Question "
        "Answering\n\nWe compare sparse and dense retrievers on long-context question "
        "answering. A sparse retriever with learned term weights finds the supporting passage "
        "for 82\\% of the questions, against 71\\% for the best dense retriever. The gap grows "
        "with document length, and the $k$-nearest passages of the dense retriever are often "
        "near duplicates. Code is available at https://example.org/sparse-qa.\n"
    )
    on_page = Listing(str(page.resolve()), "Mar 5")
    in_dump = Listing(str(SAMPLE), "2024-03-04")
    for paths, listings in (
        ([page, SAMPLE], (on_page, in_dump)),
        ([SAMPLE, page], (in_dump, on_page)),
    ):
        reading = read_corpus(paths)
        assert reading.skipped == (CUT_LINE,)
        assert len(reading.papers) == 12
        [paper] = [p for p in reading.papers if p.title.startswith("Sparse Retrieval")]
        assert paper.listings == listings
        assert paper.metadata["arxiv_id"] == "2403.01234"  # the record's, whichever came first
        assert paper.metadata["categories"] == ["cs.CL", "cs.LG"]
        assert paper.metadata["date"] == "2024-03-04"
    reading = read_corpus([page, SAMPLE], categories=["cs.CL"])
    [paper] = [p for p in reading.papers if p.title.startswith("Sparse Retrieval")]
    assert paper.listings == (in_dump,)  # the page's listing left out with the page


def test_gzip_snapshot_reads_as_the_plain_one(tmp_path):
    gz = tmp_path / "arxiv.json.gz"
    gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    plain, packed = read_corpus([SAMPLE]), read_corpus([gz])
    assert [(p.id, p.abstract, p.metadata) for p in packed.papers] == [
        (p.id, p.abstract, p.metadata) for p in plain.papers
    ]
    assert packed.skipped == (CUT_LINE.replace(str(SAMPLE), str(gz)),)


def test_cut_gzip_keeps_what_was_read_and_says_where_it_broke(tmp_path):
    lines = [json.dumps({"title": f"T{i}", "abstract": f"A{i}."}) for i in range(3000)]
    data = gzip.compress("\n".join(lines).encode(), compresslevel=0)
    gz = tmp_path / "cut.jsonl.gz"
    gz.write_bytes(data[: len(data) // 2])
    reading = read_corpus([gz])
    [problem] = reading.skipped
    good = int(re.search(r"lines 1-(\d+) were read", problem)[1])
    assert problem.startswith(f"{gz}:{good + 1}: the file breaks off (Compressed file ended")
    assert [p.title for p in reading.papers] == [f"T{i}" for i in range(good)]
    assert 1000 < good < 2000


def test_a_file_of_many_problems_lists_the_first_and_the_last(tmp_path):
    f = tmp_path / "bad.jsonl.gz"
    rows = ['{"title": "ok", "abstract": "fine."}'] + ["{oops"] * 30
    data = gzip.compress("".join(r + "\n" for r in rows).encode(), compresslevel=0)
    f.write_bytes(data[:-8])  # and the file breaks off: its checksum is cut
    reading = read_corpus([f])
    assert [p.title for p in reading.papers] == ["ok"]
    assert len(reading.skipped) == MAX_PROBLEMS_PER_FILE + 2
    assert reading.skipped[0].startswith(f"{f}:2: invalid JSON")
    assert reading.skipped[-2] == (
        f"{f}: 10 more problems like those above, not listed; fix those and read the file again"
    )
    assert "the file breaks off" in reading.skipped[-1]


def test_input_files_takes_json_lines_plain_or_gzipped(tmp_path):
    names = ["a.json", "b.jsonl", "c.json.gz", "d.jsonl.gz", "e.gz", "f.txt.gz", "g.txt", "h.js"]
    for name in names:
        (tmp_path / name).write_text("")
    wanted = ["a.json", "b.jsonl", "c.json.gz", "d.jsonl.gz", "g.txt"]
    assert input_files([tmp_path]) == [tmp_path / n for n in wanted]
    with pytest.raises(CorpusError, match="unsupported file type"):
        input_files([tmp_path / "e.gz"])
