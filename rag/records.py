"""How a paper and its chunks are written as Chroma metadata, and read back.

Each chunk carries its paper (title, listings, extra fields) so a paper can be rebuilt
from its abstract chunk, plus the filterable fields of rag/filters.py.
"""

from __future__ import annotations

import json

from rag.filters import FILTER_FIELDS, paper_fields
from rag.types import Chunk, Listing, Paper


def metadata(chunk: Chunk, paper: Paper) -> dict:
    return {
        "paper_id": paper.id,
        "title": paper.title,
        "kind": chunk.kind,
        "position": chunk.position,
        "listings": listings_json(paper),
        "extra": json.dumps(paper.metadata),
        **paper_fields(paper),
    }


def signature(paper: Paper) -> str:
    """What a paper's stored metadata must match; when it differs, ingest refreshes it."""
    return json.dumps([listings_json(paper), paper_fields(paper)], sort_keys=True)


def stored_signature(meta: dict) -> str:
    fields = {k: meta[k] for k in FILTER_FIELDS if k in meta}
    return json.dumps([meta.get("listings", ""), fields], sort_keys=True)


def paper_texts(papers: dict[str, tuple[Paper, str]]) -> dict[str, str]:
    """What the keyword index reads of each paper."""
    return {pid: f"{p.title} {p.abstract}" for pid, (p, _) in papers.items()}


def listings_json(paper: Paper) -> str:
    return json.dumps([[x.source, x.date] for x in paper.listings])


def parse_listings(text: str) -> tuple[Listing, ...]:
    return tuple(Listing(src, date) for src, date in json.loads(text))


def paper(meta: dict, abstract: str) -> Paper:
    listings = parse_listings(meta["listings"])
    return Paper(meta["paper_id"], meta["title"], abstract, listings, json.loads(meta["extra"]))
