"""Read daily-papers listing pages and JSONL files into deduplicated Papers."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from rag.errors import CorpusError
from rag.types import Listing, Paper

# A listing page starts with five header lines; the fifth is the date ("Mar 17").
HEADER_LINES = 5
DATE_RE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")
SUFFIXES = (".txt", ".jsonl")


def paper_id(title: str) -> str:
    """Papers are identified by their normalised title: listings repeat a paper verbatim."""
    norm = " ".join(title.lower().split())
    return hashlib.sha1(norm.encode()).hexdigest()[:16]


def input_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders to their *.txt and *.jsonl files; reject what cannot be read."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix in SUFFIXES and f.is_file())
        elif p.is_file():
            if p.suffix not in SUFFIXES:
                raise CorpusError(f"{p}: unsupported file type; give a listing .txt or a .jsonl")
            files.append(p)
        else:
            raise CorpusError(f"{p}: no such file or folder")
    return files


def read_papers(paths: Iterable[str | Path]) -> list[Paper]:
    """All papers in the given files and folders, one per title, every listing kept."""
    by_id: dict[str, Paper] = {}
    for path in input_files(paths):
        parse = parse_jsonl if path.suffix == ".jsonl" else parse_listing
        for paper in parse(path):
            seen = by_id.get(paper.id)
            if seen is None:
                by_id[paper.id] = paper
            elif not set(paper.listings) <= set(seen.listings):
                merged = seen.listings + tuple(x for x in paper.listings if x not in seen.listings)
                by_id[paper.id] = Paper(seen.id, seen.title, seen.abstract, merged, seen.metadata)
    return list(by_id.values())


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text ({exc.reason}); convert it to UTF-8") from None


def parse_listing(path: Path) -> list[Paper]:
    """A listing page: header, then title and abstract lines, blank lines between."""
    lines = [(n, " ".join(line.split())) for n, line in enumerate(_read_text(path).splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line]
    if len(lines) < HEADER_LINES or not DATE_RE.match(lines[HEADER_LINES - 1][1]):
        line_no = lines[HEADER_LINES - 1][0] if len(lines) >= HEADER_LINES else 1
        raise CorpusError(
            f"{path}:{line_no}: not a daily-papers listing page (expected five header lines "
            "ending in a date like 'Mar 17'); give a listing page or a .jsonl file"
        )
    date = lines[HEADER_LINES - 1][1]
    body = lines[HEADER_LINES:]
    if len(body) % 2:
        n, line = body[-1]
        raise CorpusError(f"{path}:{n}: title {line[:60]!r} has no abstract after it")
    listing = (Listing(str(path.resolve()), date),)
    return [
        Paper(paper_id(title), title, abstract, listing)
        for (_, title), (_, abstract) in zip(body[0::2], body[1::2], strict=True)
    ]


def parse_jsonl(path: Path) -> list[Paper]:
    """One JSON object per line with `title` and `abstract`; other fields become metadata."""
    papers = []
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(
                f"{path}:{n}: invalid JSON ({exc.msg}); fix or remove the line"
            ) from None
        if not isinstance(obj, dict):
            raise CorpusError(f"{path}:{n}: expected a JSON object with title and abstract")
        title, abstract = obj.pop("title", None), obj.pop("abstract", None)
        for name, value in (("title", title), ("abstract", abstract)):
            if not isinstance(value, str) or not value.strip():
                raise CorpusError(f"{path}:{n}: missing or empty {name!r}; every line needs one")
        date = str(obj.get("date", ""))
        papers.append(
            Paper(
                paper_id(title),
                title.strip(),
                " ".join(abstract.split()),
                (Listing(str(path.resolve()), date),),
                obj,
            )
        )
    return papers
