from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag.corpus import (
    ABSTRACT,
    TITLE,
    Reading,
    detex,
    line_role,
    paper_id,
    read_corpus,
    read_papers,
)
from rag.errors import CorpusError

HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
    "byAK and the research community\n\n"
)
# One real page of seeds/: 86 papers, every title and abstract on its own line.
PAGE = "003_457e6e6d572be627.txt"


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
    assert reading.papers[0].listings[0].date == "Mar 3"
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
    assert len(reading.papers) == 86
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
    assert papers[0].metadata == {"url": "http://x", "date": "2024-01-02"}
    assert papers[0].listings[0].date == "2024-01-02"


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


def test_non_utf8_file_names_the_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_bytes(b'{"title": "ok", "abstract": "fine."}\n{"title": "\xff"}\n')
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: not UTF-8 text"):
        read_corpus([f])


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
