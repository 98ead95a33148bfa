"""Read daily-papers listing pages and JSON lines (rag.jsonl) into deduplicated Papers.

Input is read as far as it goes: a bad file, a bad JSONL line or a broken stretch of a
listing page is skipped and reported as "path:line: what is wrong; what to do", and the
rest is read. Nothing is ever stored with its title and abstract shifted. Every paper's
metadata has one shape (rag.jsonl.metadata), whichever file it came from.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import CorpusError
from rag.jsonl import Record, in_categories, is_jsonl, metadata, read_records, wanted_categories
from rag.types import Listing, Paper

# A listing page starts with five header lines; the fifth is the date ("Mar 17").
HEADER_LINES = 5
DATE_RE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")
# A file's problems after this many are counted, not listed, but for its last (where a cut
# file says so): a screenful shows the pattern, and 2 million bad lines do not fill memory.
MAX_PROBLEMS_PER_FILE = 20

# A listing line's role comes from its shape, so a missing line costs one paper and shifts
# nothing. Measured on the 630 listings of seeds/ (5 pages): titles are 19-174 characters
# with at most 1 sentence end ("...Models? An Empirical Investigation") and none ends in a
# full stop; abstracts are 1,357-1,920 characters with at least 4 sentence ends. Both
# cut-offs sit inside that gap, leaving room for longer titles and shorter abstracts.
TITLE_MAX_CHARS = 300
ABSTRACT_MIN_SENTENCES = 3
_SENTENCE_END = re.compile(r"""[.!?]["')\]]*(?=\s+["'(\[]?[A-Z0-9]|$)""")
_FULL_STOP_END = re.compile(r"""\.["')\]]*$""")
TITLE, ABSTRACT, EITHER = "title", "abstract", "either"
QUOTE_CHARS = 50  # how much of a line a problem message shows to place it

# LaTeX the listing site leaves in titles and abstracts, as counted in seeds/: 57 \%,
# 22 ``quotes'', 7 ~ ties, \"U, \^o, \textbf{}, \times, {\epsilon}, \textasciitilde, $^3$,
# url{url}. The symbols beyond those are their common neighbours.
_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303"}
_SYMBOLS = {
    "textasciitilde": "~", "times": "×", "epsilon": "ε", "alpha": "α", "beta": "β",
    "gamma": "γ", "delta": "δ", "lambda": "λ", "mu": "μ", "sigma": "σ", "sim": "~",
    "approx": "≈", "leq": "≤", "geq": "≥", "pm": "±", "cdot": "·",
}  # fmt: skip


def _accent(m: re.Match[str]) -> str:
    """\\"U -> Ü (composed by detex's NFC)."""
    return (m[2] or m[3]) + _ACCENTS[m[1]]


def _symbol(m: re.Match[str]) -> str:
    """\\times -> ×; a macro not in _SYMBOLS (a paper's own \\method) stays as written."""
    return _SYMBOLS.get(m[1] or m[2], m[0])


# Each pattern comes with a literal all its matches contain: most abstracts contain none,
# and `in` costs far less than a scan. A lookbehind comes after the literal ($, ~), as re
# scans for a leading literal but tries a leading lookbehind everywhere (30x slower).
_TEX: list[tuple[str, re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [  # in order
    ("{", re.compile(r"""\{(\\["'`^~]\w)\}"""), r"\1"),  # {\"U} -> \"U
    ("\\", re.compile(r"""\\(["'`^~])(?:\{([A-Za-z])\}|([A-Za-z]))"""), _accent),
    ("\\", re.compile(r"\\(?:emph|textbf|textit|texttt|textsc|underline)\{([^{}]*)\}"), r"\1"),
    # $math$: opened before a non-blank, closed after one and not before a digit ($5 and $10)
    ("$", re.compile(r"\$(?<![\\$]\$)(?=[^\s$])([^$\n]{1,200}?)(?<=\S)\$(?!\d)"), r"\1"),
    ("~", re.compile(r"~(?<=[^\W\d_]~|\.~)(?=\S)"), " "),  # a tie (network~(NPNet)); 10~30% stays
    ("\\", re.compile(r"\{\\([A-Za-z]+)\}|\\([A-Za-z]+)"), _symbol),
    ("\\", re.compile(r"\\([%&_#$])"), r"\1"),
    ("``", re.compile(r"``(.*?)''"), r'"\1"'),
    ("``", re.compile(r"``"), '"'),
    ("`", re.compile(r"`([^`'\n]+)'"), r"'\1'"),
    ("{", re.compile(r"(https?://[^\s{}]+)\{\1\}"), r"\1"),  # \href{url}{url} without its \href
]


def detex(text: str) -> str:
    """Abstracts as a reader would write them: LaTeX escapes resolved, math without its
    dollars, unknown macros (\\method) left as they are; whitespace collapsed."""
    for literal, pattern, replacement in _TEX:
        if literal in text:
            text = pattern.sub(replacement, text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def paper_id(title: str) -> str:
    """Papers are identified by their normalised title: listings repeat a paper verbatim."""
    norm = " ".join(title.lower().split())
    return hashlib.sha1(norm.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Reading:
    """What the input holds: its papers, and one line per part that could not be read."""

    papers: tuple[Paper, ...]
    skipped: tuple[str, ...] = ()  # "path:line: what is wrong; what to do"
    outside: int = 0  # papers read but left out by the category filter
    complete: frozenset[str] = frozenset()  # sources read whole, without a problem or filter


def input_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders to their listing pages (*.txt) and JSON lines (rag.jsonl.SUFFIXES);
    a path that names nothing, or a file of another type, is a usage mistake and raises
    CorpusError."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if _readable_type(f) and f.is_file())
        elif p.is_file():
            if not _readable_type(p):
                raise CorpusError(
                    f"{p}: unsupported file type; give a listing .txt, or JSON lines "
                    "(.jsonl or .json, maybe gzipped: .jsonl.gz, .json.gz)"
                )
            files.append(p)
        else:
            raise CorpusError(f"{p}: no such file or folder")
    return files


def read_corpus(
    paths: Iterable[str | Path], limit: int | None = None, categories: Sequence[str] = ()
) -> Reading:
    """Every paper the files and folders hold, one per title with every listing kept, and
    what was skipped; files are streamed, so memory holds the papers kept, not the lines.
    A title read again with another abstract keeps the first; with the same abstract, it
    adds its listing and fills the metadata the first lacked. Reading stops at `limit`
    papers kept. With `categories`, a paper is kept when one of its categories is one given
    or in its field ("cs" keeps "cs.CL"; "cs.CL" only "cs.CL"); papers without categories
    (listing pages) are left out, counted in Reading.outside.
    Raises CorpusError when input was found but not one paper could be read from it."""
    if limit is not None and limit < 0:
        raise CorpusError(f"limit {limit}: give a number of papers, 0 or more")
    most = math.inf if limit is None else limit
    wanted = wanted_categories(categories)
    kept: dict[str, tuple[str, Paper]] = {}  # paper id -> where first read, paper
    skipped: list[str] = []
    outside, complete = 0, set()
    for path in input_files(paths):
        if len(kept) >= most:
            break
        source, problems, last = str(path.resolve()), 0, ""
        with closing(read_records(path) if is_jsonl(path) else _read_listing(path)) as items:
            for item in items:
                if isinstance(item, Record):
                    if wanted and not in_categories(item.metadata["categories"], wanted):
                        outside += 1
                        continue
                    problem = _keep(kept, f"{path}:{item.line}", _paper(item, source))
                else:
                    problem = item
                if problem:
                    problems, last = problems + 1, problem
                    if problems <= MAX_PROBLEMS_PER_FILE:
                        skipped.append(problem)
                if len(kept) >= most:
                    break
            else:
                if not problems and not wanted:
                    complete.add(source)
        if problems > MAX_PROBLEMS_PER_FILE + 1:
            skipped.append(
                f"{path}: {problems - MAX_PROBLEMS_PER_FILE - 1} more problems like those above, "
                "not listed; fix those and read the file again"
            )
        if problems > MAX_PROBLEMS_PER_FILE:
            skipped.append(last)  # a file that breaks off says so last
    if skipped and not kept and not outside:
        raise _failure("no paper could be read", skipped)
    papers = tuple(paper for _, paper in kept.values())
    return Reading(papers, tuple(skipped), outside, frozenset(complete))


def read_papers(paths: Iterable[str | Path]) -> list[Paper]:
    """The papers of input that must be clean: any problem read_corpus skips raises."""
    reading = read_corpus(paths)
    if reading.skipped:
        raise _failure("the input has problems", reading.skipped)
    return list(reading.papers)


def line_role(text: str) -> str:
    """TITLE, ABSTRACT, or EITHER (a short line ending in a full stop: a short abstract or a
    title with a period) from the line's shape alone; see TITLE_MAX_CHARS."""
    if len(text) > TITLE_MAX_CHARS or len(_SENTENCE_END.findall(text)) >= ABSTRACT_MIN_SENTENCES:
        return ABSTRACT
    return EITHER if _FULL_STOP_END.search(text) else TITLE


def _roles(texts: list[str]) -> list[str]:
    """Each line's role: its shape, or for an EITHER line its neighbours' (a title when an
    abstract follows, else an abstract when it follows a title, else a title)."""
    shapes = [line_role(t) for t in texts]
    roles: list[str] = []
    for i, shape in enumerate(shapes):
        if shape == EITHER:
            before_abstract = i + 1 < len(shapes) and shapes[i + 1] == ABSTRACT
            after_title = bool(roles) and roles[-1] == TITLE
            shape = ABSTRACT if after_title and not before_abstract else TITLE
        roles.append(shape)
    return roles


def _read_listing(path: Path) -> Iterator[Record | str]:
    """A listing page: header, then title and abstract lines, blank lines between."""
    try:
        lines = [(n, " ".join(line.split())) for n, line in enumerate(_lines(path), 1)]
    except CorpusError as exc:
        yield str(exc)
        return
    lines = [(n, line) for n, line in lines if line]
    if len(lines) < HEADER_LINES or not DATE_RE.match(lines[HEADER_LINES - 1][1]):
        line_no = lines[HEADER_LINES - 1][0] if len(lines) >= HEADER_LINES else 1
        yield (
            f"{path}:{line_no}: not a daily-papers listing page (expected five header lines "
            "ending in a date like 'Mar 17'); give a listing page or a .jsonl file"
        )
        return
    listed = lines[HEADER_LINES - 1][1]
    body = lines[HEADER_LINES:]
    title: tuple[int, str, str] | None = None  # line, text, the title line before it
    last = ""  # the latest title line, to place a problem among its neighbours
    for (n, text), role in zip(body, _roles([text for _, text in body]), strict=True):
        if role == TITLE:
            if title:
                yield _no_abstract(path, *title)
            title, last = (n, text, last), text
        elif title:
            yield Record(title[0], title[1], text, listed, metadata())
            title = None
        else:
            yield (
                f"{path}:{n}: abstract {_quote(text)} has no title{_after(last)}; "
                "add its title line before it"
            )
    if title:
        yield _no_abstract(path, *title)


def _keep(kept: dict[str, tuple[str, Paper]], where: str, paper: Paper) -> str | None:
    """Add the paper to `kept`, or merge it into the one of the same title; the problem
    when that one has another abstract."""
    first, seen = kept.setdefault(paper.id, (where, paper))
    if paper is seen:
        return None
    if paper.abstract != seen.abstract:
        return (
            f"{where}: title {_quote(paper.title)} has another abstract than at "
            f"{first}, which was kept; rename one title if they are different papers"
        )
    more = tuple(x for x in paper.listings if x not in seen.listings)
    if more:  # and what the first copy's metadata lacks: a listing page's paper gets its id
        filled = {k: v for k, v in paper.metadata.items() if v and not seen.metadata.get(k)}
        meta = {**seen.metadata, **filled}
        kept[paper.id] = (first, replace(seen, listings=seen.listings + more, metadata=meta))
    return None


def _paper(record: Record, source: str) -> Paper:
    title = detex(record.title)
    listing = Listing(source, record.listed)
    return Paper(paper_id(title), title, detex(record.abstract), (listing,), record.metadata)


def _readable_type(path: Path) -> bool:
    return path.suffix == ".txt" or is_jsonl(path)


def _lines(path: Path) -> list[str]:
    """The file's lines, split at "\\n" only so line numbers match editors and grep."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(
            f"{path}: cannot be read ({exc.strerror}); check that it is a readable file"
        ) from None
    try:
        return data.decode("utf-8-sig").split("\n")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CorpusError(
            f"{path}:{line}: not UTF-8 text ({exc.reason}); convert the file to UTF-8"
        ) from None


def _no_abstract(path: Path, n: int, title: str, before: str) -> str:
    return (
        f"{path}:{n}: title {_quote(title)} has no abstract{_after(before)}; "
        "add its abstract line after it"
    )


def _after(title: str) -> str:
    return f" (after {_quote(title)})" if title else " (first on the page)"


def _quote(text: str) -> str:
    return "'" + (text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…") + "'"


def _failure(what: str, problems: Sequence[str]) -> CorpusError:
    if len(problems) == 1:
        return CorpusError(problems[0])
    return CorpusError(f"{what}: {len(problems)} problems\n" + "\n".join(problems))
