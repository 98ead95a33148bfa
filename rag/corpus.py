"""Read daily-papers listing pages and JSONL files into deduplicated Papers.

Input is read as far as it goes: a bad file, a bad JSONL line or a broken stretch of a
listing page is skipped and reported as "path:line: what is wrong; what to do", and the
rest is read. Nothing is ever stored with its title and abstract shifted.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import CorpusError
from rag.types import Listing, Paper

# A listing page starts with five header lines; the fifth is the date ("Mar 17").
HEADER_LINES = 5
DATE_RE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")
SUFFIXES = (".txt", ".jsonl")

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


_TEX: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [  # in order
    (re.compile(r"""\{(\\["'`^~]\w)\}"""), r"\1"),  # {\"U} -> \"U
    (re.compile(r"""\\(["'`^~])(?:\{([A-Za-z])\}|([A-Za-z]))"""), _accent),
    (re.compile(r"\\(?:emph|textbf|textit|texttt|textsc|underline)\{([^{}]*)\}"), r"\1"),
    # $math$: opened before a non-blank, closed after one and not before a digit ($5 and $10)
    (re.compile(r"(?<![\\$])\$(?=[^\s$])([^$\n]{1,200}?)(?<=\S)\$(?!\d)"), r"\1"),
    (re.compile(r"(?<=[^\W\d_]|\.)~(?=\S)"), " "),  # a tie (network~(NPNet)); 10~30% stays
    (re.compile(r"\{\\([A-Za-z]+)\}|\\([A-Za-z]+)"), _symbol),
    (re.compile(r"\\([%&_#$])"), r"\1"),
    (re.compile(r"``(.*?)''"), r'"\1"'),
    (re.compile(r"``"), '"'),
    (re.compile(r"`([^`'\n]+)'"), r"'\1'"),
    (re.compile(r"(https?://[^\s{}]+)\{\1\}"), r"\1"),  # \href{url}{url} without its \href
]


def detex(text: str) -> str:
    """Abstracts as a reader would write them: LaTeX escapes resolved, math without its
    dollars, unknown macros (\\method) left as they are; whitespace collapsed."""
    for pattern, replacement in _TEX:
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


def input_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders to their *.txt and *.jsonl files; a path that names nothing, or a file
    of another type, is a usage mistake and raises CorpusError."""
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


def read_corpus(paths: Iterable[str | Path]) -> Reading:
    """Every paper the files and folders hold, one per title with every listing kept, and
    what was skipped. A title read again with another abstract keeps the first one read.
    Raises CorpusError when input was found but not one paper could be read from it."""
    kept: dict[str, tuple[str, Paper]] = {}  # paper id -> where first read, paper
    skipped: list[str] = []
    for path in input_files(paths):
        try:
            found, problems = (_parse_jsonl if path.suffix == ".jsonl" else _parse_listing)(path)
        except CorpusError as exc:
            skipped.append(str(exc))
            continue
        skipped += problems
        for where, paper in found:
            first, seen = kept.setdefault(paper.id, (where, paper))
            if paper.abstract != seen.abstract:
                skipped.append(
                    f"{where}: title {_quote(paper.title)} has another abstract than at "
                    f"{first}, which was kept; rename one title if they are different papers"
                )
            elif not set(paper.listings) <= set(seen.listings):
                more = tuple(x for x in paper.listings if x not in seen.listings)
                kept[paper.id] = (first, replace(seen, listings=seen.listings + more))
    if skipped and not kept:
        raise _failure("no paper could be read", skipped)
    return Reading(tuple(paper for _, paper in kept.values()), tuple(skipped))


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


def _parse_listing(path: Path) -> tuple[list[tuple[str, Paper]], list[str]]:
    """A listing page: header, then title and abstract lines, blank lines between."""
    lines = [(n, " ".join(line.split())) for n, line in enumerate(_lines(path), 1)]
    lines = [(n, line) for n, line in lines if line]
    if len(lines) < HEADER_LINES or not DATE_RE.match(lines[HEADER_LINES - 1][1]):
        line_no = lines[HEADER_LINES - 1][0] if len(lines) >= HEADER_LINES else 1
        raise CorpusError(
            f"{path}:{line_no}: not a daily-papers listing page (expected five header lines "
            "ending in a date like 'Mar 17'); give a listing page or a .jsonl file"
        )
    listing = (Listing(str(path.resolve()), lines[HEADER_LINES - 1][1]),)
    body = lines[HEADER_LINES:]
    papers: list[tuple[str, Paper]] = []
    problems: list[str] = []
    title: tuple[int, str, str] | None = None  # line, text, the title line before it
    last = ""  # the latest title line, to place a problem among its neighbours
    for (n, text), role in zip(body, _roles([text for _, text in body]), strict=True):
        if role == TITLE:
            if title:
                problems.append(_no_abstract(path, *title))
            title, last = (n, text, last), text
        elif title:
            papers.append((f"{path}:{title[0]}", _paper(title[1], text, listing)))
            title = None
        else:
            problems.append(
                f"{path}:{n}: abstract {_quote(text)} has no title{_after(last)}; "
                "add its title line before it"
            )
    if title:
        problems.append(_no_abstract(path, *title))
    return papers, problems


def _parse_jsonl(path: Path) -> tuple[list[tuple[str, Paper]], list[str]]:
    """One JSON object per line with `title` and `abstract`; other fields become metadata."""
    papers: list[tuple[str, Paper]] = []
    problems: list[str] = []
    for n, line in enumerate(_lines(path), 1):
        if line.strip():
            try:
                papers.append((f"{path}:{n}", _json_paper(line, str(path.resolve()))))
            except ValueError as exc:
                problems.append(f"{path}:{n}: {exc}")
    return papers, problems


def _json_paper(line: str, source: str) -> Paper:
    """The paper of one JSONL line; ValueError says what is wrong with it and what to do."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg}); fix or remove the line") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object with title and abstract; fix or remove the line")
    title, abstract = obj.pop("title", None), obj.pop("abstract", None)
    for name, value in (("title", title), ("abstract", abstract)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"missing or empty {name!r}; every line needs a title and abstract")
    return _paper(title, abstract, (Listing(source, str(obj.get("date", ""))),), obj)


def _paper(
    title: str, abstract: str, listings: tuple[Listing, ...], meta: dict | None = None
) -> Paper:
    title, abstract = detex(title), detex(abstract)
    return Paper(paper_id(title), title, abstract, listings, meta or {})


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
