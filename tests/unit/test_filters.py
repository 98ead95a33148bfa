from __future__ import annotations

import pytest

from rag.errors import ConfigError
from rag.filters import Filters, day_number, paper_fields, with_question
from rag.types import Listing, Paper


def test_no_filters_means_no_where():
    assert not Filters() and Filters().where() is None


def test_dates_become_comparable_day_numbers():
    assert day_number("2024", last=False) == 20240101
    assert day_number("2024-03", last=True) == 20240331
    assert day_number("2024-03-17", last=False) == 20240317
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        day_number("March 2024", last=False)


def test_where_combines_every_filter():
    where = Filters(since="2024", categories=("cs.CL", "cs.LG"), sources=("/x/a.txt",)).where()
    assert where == {
        "$and": [
            {"date": {"$gte": 20240101}},
            {"$or": [{"categories": {"$contains": c}} for c in ("cs.CL", "cs.LG")]},
            {"sources": {"$contains": "a.txt"}},
        ]
    }


def test_a_question_naming_a_listing_day_is_filtered_and_searched_without_it():
    filters, rest = with_question(Filters(), "What came out on Mar 17 about video?")
    assert filters.listed == ("Mar 17",) and rest == "What came out about video?"
    filters, rest = with_question(Filters(), "papers from march 3 on speech")
    assert filters.listed == ("Mar 3",) and rest == "papers on speech"
    question = "Is 17 a prime on Mars?"
    assert with_question(Filters(), question) == (Filters(), question)


def test_paper_fields_keep_category_prefixes_and_listing_days():
    paper = Paper(
        "p", "T", "A", (Listing("/seeds/000.txt", "Mar 17"), Listing("/in/a.jsonl", "2024-03-18")),
        {"date": "2024-03-18", "categories": ["cs.CL", "stat.ML"]},
    )
    assert paper_fields(paper) == {
        "date": 20240318,
        "categories": ["cs", "cs.CL", "stat", "stat.ML"],
        "listed": ["Mar 17"],
        "sources": ["000.txt", "a.jsonl"],
    }


def test_a_paper_without_date_or_categories_stores_no_empty_lists():
    assert paper_fields(Paper("p", "T", "A", (), {})) == {"date": 0}
