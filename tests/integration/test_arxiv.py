"""A slice of the arXiv metadata snapshot, ingested with --category and --limit, then
searched and asked under date and category filters in every face. Real Chroma and
embedder; the model only for `rag ask`."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.cli import main
from rag.config import Settings
from rag.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "arxiv_sample.jsonl"
CS = {"2403.01234", "2310.04567", "1905.11111", "2104.08888", "2312.00042"}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def arxiv_store(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("arxiv")
    dump = folder / "arxiv-metadata-oai-snapshot.json.gz"
    with SAMPLE.open("rb") as plain, gzip.open(dump, "wb") as packed:
        shutil.copyfileobj(plain, packed)
    store = str(folder / "store")
    result = run("ingest", str(dump), "--store", store, "--category", "cs")
    assert result.exit_code == 5, result.output  # the sample's cut-off line is listed
    assert "Skipped: " in result.output and ":7:" in result.output
    return store


def _ids(store: str) -> set[str]:
    return {p.metadata["arxiv_id"] for p, _ in Store(Settings(store_path=store)).papers().values()}


def test_category_takes_one_field_of_the_dump(arxiv_store):
    assert _ids(arxiv_store) == CS


def test_limit_stops_reading(tmp_path):
    store = str(tmp_path / "store")
    result = run("ingest", str(SAMPLE), "--store", store, "--limit", "3")
    assert result.exit_code == 0, result.output
    assert len(_ids(store)) == 3


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--since", "2023"], {"2403.01234", "2310.04567", "2312.00042"}),
        (["--until", "2021-12-31"], {"1905.11111", "2104.08888"}),
        (["--category", "cs.CL"], {"2403.01234", "2104.08888"}),
        (["--category", "cs.CV", "--category", "stat"], {"2310.04567", "1905.11111"}),
    ],
)
def test_search_json_applies_the_filters(arxiv_store, flags, expected):
    result = run("search", "--json", "--k", "10", "--store", arxiv_store, *flags, "learning")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["filters"]
    assert {r["metadata"]["arxiv_id"] for r in data["results"]} == expected


def test_ask_json_reports_its_filters_and_cites_only_kept_papers(arxiv_store):
    result = run("ask", "--json", "--store", arxiv_store, "--since", "2024",
                 "Do sparse retrievers beat dense ones on long-context question answering?")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{"):])
    assert data["filters"] == {"since": "2024"}
    assert data["retrieved"] and data["citations"]
    assert {c["paper_id"] for c in data["citations"]} == {r["paper_id"] for r in data["retrieved"]}
