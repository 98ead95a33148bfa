"""Stream JSON-lines files into Records: simple rows (a title, an abstract, any other
fields) and the arXiv metadata snapshot (Kaggle's arxiv-metadata-oai-snapshot.json).

Files are read one line at a time, plain or gzip: reading the 4 GB snapshot takes no more
memory than reading a small file. A bad line is reported as "path:line: what is wrong; what to do"
and the rest is read; a file that breaks off keeps the lines read before the break.
"""

from __future__ import annotations

import datetime
import gzip
import json
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")  # the snapshot is named .json
# Fields only an arXiv snapshot record has together (a simple row needs title and abstract).
ARXIV_FIELDS = ("id", "categories", "abstract")
# The keys metadata() sets: a simple row's own fields of these names are replaced by them.
NORMALISED = ("date", "year", "categories", "arxiv_id")

_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?!\d)")  # "2008-11-13", maybe with a time
# arXiv's version dates: "Mon, 2 Apr 2007 19:18:42 GMT"
_MAIL_DATE = re.compile(r"(?:\w+,\s*)?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})\b")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_YEAR = re.compile(r"\s*(\d{4})\s*", re.ASCII)
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Record:
    """One paper as its file states it, before detex."""

    line: int
    title: str
    abstract: str
    listed: str  # the date its Listing shows: a listing page's "Mar 17", a row's own date
    metadata: dict


def is_jsonl(path: Path) -> bool:
    """Whether the file is read as JSON lines, by its name."""
    return path.name.endswith(SUFFIXES)


def metadata(
    date: str = "", categories: list[str] | None = None, arxiv_id: str = "", year: int | None = None
) -> dict:
    """The metadata shape every paper has, so that the store can filter on it:
    date        ISO "YYYY-MM-DD", or "" (a listing page's "Mar 17" has no year: it is kept
                as the Listing's date only, never completed with a guessed year)
    year        int, the date's year or a row's own "year"; absent when unknown
    categories  list of arXiv categories ("cs.CL"), possibly empty
    arxiv_id    "2403.01234" or "hep-th/9901001", or ""
    Other keys are the file's own: an arXiv record's authors, created (first version's
    date) and update_date; a simple row's other fields as given."""
    meta: dict = {"date": date, "categories": categories or [], "arxiv_id": arxiv_id}
    if date:
        year = int(date[:4])
    if year is not None:
        meta["year"] = year
    return meta


def wanted_categories(categories: Sequence[str]) -> tuple[str, ...]:
    """The categories asked for, without blanks or a trailing "." ("cs." means "cs")."""
    if isinstance(categories, str):  # one category, not its letters
        categories = (categories,)
    return tuple(c.strip().rstrip(".") for c in categories if c.strip().rstrip("."))


def in_categories(have: Sequence[str], wanted: tuple[str, ...]) -> bool:
    """Whether one of `have` is one of `wanted` or in its field ("cs" holds "cs.CL")."""
    fields = tuple(w + "." for w in wanted)
    return any(c in wanted or c.startswith(fields) for c in have)


def read_records(path: Path) -> Iterator[Record | str]:
    """Each paper of the file in order, or the problem of each line that holds none."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:  # opened apart from the reading below, to tell a missing file from a cut one
        f: IO[bytes] = opener(path, "rb")  # noqa: SIM115
    except OSError as exc:
        yield f"{path}: cannot be read ({exc.strerror}); check that it is a readable file"
        return
    n = 0
    with f:
        try:
            # bytes, split at "\n" only, so line numbers match editors and grep
            for n, line in enumerate(f, 1):
                if n == 1:
                    line = line.removeprefix(_BOM)
                if line.strip():
                    try:
                        yield _record(n, line)
                    except ValueError as exc:
                        yield f"{path}:{n}: {exc}"
        except (EOFError, OSError, zlib.error) as exc:  # a cut or damaged download
            read = f"lines 1-{n} were read, the rest was not" if n else "nothing was read"
            yield f"{path}:{n + 1}: the file breaks off ({exc}); {read}; download it again"


def iso_date(value: object) -> str:
    """ "YYYY-MM-DD" of "2008-11-13" or "Mon, 2 Apr 2007 19:18:42 GMT"; "" for anything else."""
    if not isinstance(value, str):
        return ""
    if m := _ISO_DATE.match(value):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif (m := _MAIL_DATE.match(value)) and m[2] in _MONTHS:
        year, month, day = int(m[3]), _MONTHS[m[2]], int(m[1])
    else:
        return ""
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:  # 2024-02-30
        return ""


def _record(n: int, line: bytes) -> Record:
    """The paper of one line; ValueError says what is wrong with it and what to do."""
    try:
        obj = json.loads(line.decode().rstrip("\r\n"))  # a cut line: "Unterminated string"
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason}); convert the file to UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg}); fix or remove the line") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object with title and abstract; fix or remove the line")
    is_arxiv = all(k in obj for k in ARXIV_FIELDS)
    title, abstract = obj.pop("title", None), obj.pop("abstract", None)
    for name, value in (("title", title), ("abstract", abstract)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"missing or empty {name!r}; every line needs a title and abstract")
    if is_arxiv:
        meta = _arxiv_metadata(obj)
        return Record(n, title, abstract, meta["date"], meta)
    listed = obj.get("date") or ""
    categories, arxiv_id = _categories(obj.get("categories")), str(obj.get("arxiv_id") or "")
    meta = metadata(iso_date(listed), categories, arxiv_id, _year(obj.get("year")))
    return Record(n, title, abstract, str(listed), {**_drop(obj, NORMALISED), **meta})


def _arxiv_metadata(obj: dict) -> dict:
    """A snapshot record's metadata: dated by its first version, else by its last update."""
    versions = obj.get("versions")
    first = versions[0] if isinstance(versions, list) and versions else None
    created = iso_date(first.get("created")) if isinstance(first, dict) else ""
    updated = iso_date(obj.get("update_date"))
    meta = metadata(created or updated, _categories(obj["categories"]), str(obj["id"]))
    authors = obj.get("authors")
    meta["authors"] = authors if isinstance(authors, str) else ""
    meta["created"], meta["update_date"] = created, updated
    return meta


def _categories(value: object) -> list[str]:
    """ "cs.CL cs.LG" (the snapshot's form) or ["cs.CL", "cs.LG"] -> ["cs.CL", "cs.LG"]."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [c.strip() for c in value if isinstance(c, str) and c.strip()]
    return []


def _year(value: object) -> int | None:
    """2021 or "2021"; None for anything that is not a four-digit year."""
    if isinstance(value, str) and (m := _YEAR.fullmatch(value)):
        return int(m[1])
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return value
    return None


def _drop(obj: dict, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in obj.items() if k not in keys}
