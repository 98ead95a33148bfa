"""Which collection holds which kind of chunk, and the filter that picks them there."""

from __future__ import annotations

import pytest

from rag.errors import StoreError
from rag.layout import Collections, both, sibling, user_facing


def test_siblings_are_named_after_their_collection():
    assert [sibling("papers", k) for k in ("abstract", "window", "sentence")] == [
        "papers", "papers__window", "papers__sentence",
    ]  # fmt: skip
    assert {user_facing(n) for n in ("papers", "papers__window", "papers__sentence")} == {"papers"}


def test_both_drops_missing_filters():
    assert both(None, None) is None
    assert both({"a": 1}, None) == {"a": 1}
    assert both({"a": 1}, {"b": 2}) == {"$and": [{"a": 1}, {"b": 2}]}


def test_a_per_kind_store_is_queried_without_a_kind_filter():
    cols = Collections("main", {"window": "win", "sentence": "sen"})
    assert cols.sources("abstract") == [("main", None)]
    assert cols.sources("window") == [("win", None)]
    assert cols.target("sentence", "here") == "sen"


def test_an_old_store_is_read_in_both_places_and_not_written():
    cols = Collections("main", {"window": "win"}, per_kind=False)
    assert cols.sources("abstract") == [("main", {"kind": "abstract"})]
    assert cols.sources("window") == [("main", {"kind": "window"}), ("win", None)]
    assert cols.sources("sentence") == [("main", {"kind": "sentence"})]
    with pytest.raises(StoreError, match="run `rag ingest` to upgrade"):
        cols.target("window", "/s")
