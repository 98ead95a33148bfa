"""Which papers a question may use: dates, categories, listing days, source files.

Filters run inside Chroma (a `where` on each chunk's metadata), so a filtered search
costs what an unfiltered one does. Chroma compares numbers only, so a date is stored as
the integer YYYYMMDD; categories are stored with their prefixes ("cs.CL" also as "cs")
so `--category cs` takes the whole field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import ConfigError
from rag.types import Paper

FILTER_FIELDS = ("date", "categories", "listed", "sources")  # chunk metadata keys
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
# "on Mar 17", "from March 17", "listed Mar 3": a listing page's date named in a question.
LISTED_RE = re.compile(
    r"\b(?:on|from|of|listed|for)\s+(" + "|".join(MONTHS) + r")[a-z]*\.?\s+(\d{1,2})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Filters:
    since: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    until: str = ""
    categories: tuple[str, ...] = ()  # any of them
    sources: tuple[str, ...] = ()  # file names (or paths) of the input, any of them
    listed: tuple[str, ...] = ()  # listing-page dates such as "Mar 17", any of them

    def __bool__(self) -> bool:
        return any((self.since, self.until, self.categories, self.sources, self.listed))

    def where(self) -> dict | None:
        """The Chroma `where` for chunks of papers these filters keep (None: all)."""
        parts: list[dict] = []
        if self.since or self.until:  # a paper without a date (0) is in no date range
            since = day_number(self.since, last=False) if self.since else 1
            parts.append({"date": {"$gte": since}})
        if self.until:
            parts.append({"date": {"$lte": day_number(self.until, last=True)}})
        for key, values in (("categories", self.categories), ("sources", self.sources),
                            ("listed", self.listed)):  # fmt: skip
            if values:
                names = [Path(v).name if key == "sources" else v for v in values]
                anyof = [{key: {"$contains": v}} for v in names]
                parts.append(anyof[0] if len(anyof) == 1 else {"$or": anyof})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def as_dict(self) -> dict:
        """The filters in use, as JSON shows them."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items() if v}


def with_question(filters: Filters, question: str) -> tuple[Filters, str]:
    """Take the listing day a question names ("what came out on Mar 17 about video?") as
    a filter, and the question without it as what to search for."""
    days = [f"{m[0][:3].title()} {int(m[1])}" for m in LISTED_RE.findall(question)]
    if not days:
        return filters, question
    rest = " ".join(LISTED_RE.sub(" ", question).split())
    return replace(filters, listed=(*filters.listed, *days)), rest or question


def day_number(text: str, last: bool) -> int:
    """'2024-03' -> 20240301 (or 20240331 with last): the integer Chroma can compare."""
    match = DATE_RE.match(text.strip())
    if not match:
        raise ConfigError(f"date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD: e.g. 2024-03-17")
    year, month, day = match.group(1), match.group(2), match.group(3)
    month = month or ("12" if last else "01")
    day = day or ("31" if last else "01")
    return int(f"{year}{month}{day}")


def paper_fields(paper: Paper) -> dict:
    """The filterable metadata of a paper, stored on each of its chunks."""
    fields: dict = {"date": _date_number(str(paper.metadata.get("date", "")))}
    categories = [str(c) for c in paper.metadata.get("categories") or ()]
    with_prefixes = {p for c in categories for p in (c, c.split(".")[0])}
    listed = {x.date for x in paper.listings if x.date and not DATE_RE.match(x.date)}
    sources = {Path(x.source).name for x in paper.listings if x.source}
    for key, values in (("categories", with_prefixes), ("listed", listed),
                        ("sources", sources)):  # fmt: skip
        if values:  # Chroma refuses empty lists
            fields[key] = sorted(values)
    return fields


def _date_number(iso: str) -> int:
    """An ISO date as YYYYMMDD, 0 when unknown (listing pages carry no year)."""
    match = DATE_RE.match(iso[:10])
    if not match or not match.group(3):
        return 0
    return int(iso[:10].replace("-", ""))
