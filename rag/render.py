"""How `rag ask` and `rag search` print: the checked answer below the findings already on
screen, its sources and timings, and the documented JSON shapes (README: `rag ask
--json`)."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

import click

from rag.types import Answer, Hit


def hit_json(h: Hit) -> dict:
    """One search result as `rag search --json` prints it."""
    return {
        "title": h.paper.title,
        "paper_id": h.paper.id,
        "score": round(h.score, 4),
        "dense": round(h.dense, 4),
        "bm25": round(h.bm25, 4),
        "chunk_id": h.chunk_id,
        "chunk": h.chunk_text,
        "listings": [asdict(x) for x in h.paper.listings],
        "metadata": h.paper.metadata,
    }


def erase(text: str) -> None:
    """Replace the streamed draft with the checked answer: move up over its lines, clear."""
    width = shutil.get_terminal_size().columns
    rows = sum(max(1, -(-len(line) // width)) for line in text.split("\n"))
    click.echo(f"\r\033[{rows - 1}F\033[J" if rows > 1 else "\r\033[K", nl=False)


def print_answer(answer: Answer, shown: str = "") -> None:
    """The answer below what is already on screen (the findings), then its sources."""
    for notice in answer.notices:
        click.echo(f"Note: {notice}", err=True)
    text = answer.text
    click.echo(text[len(shown) :].lstrip("\n") if shown and text.startswith(shown) else text)
    if answer.unsupported:
        click.echo(
            click.style(f"({len(answer.unsupported)} model sentence(s) not found in the "
                        "sources were left out; see --json)", dim=True), err=True,
        )  # fmt: skip
    if answer.citations:
        click.echo("\nSources:")
    quoted = {f.quote for f in answer.findings}
    for c in answer.citations:
        click.echo(f"[{c.n}] {c.title} ({c.date}, {Path(c.source).name})")
        if c.quote not in quoted:  # the findings already show theirs
            click.echo(f'    "{c.quote}"')
    t = answer.timings
    click.echo(
        click.style(
            f"\nretrieval {t.retrieve_s:.2f} s · first token {t.ttft_s:.2f} s · "
            f"{t.tokens_per_s:.1f} tokens/s · {Path(answer.model).name}",
            dim=True,
        ),
        err=True,
    )


def answer_json(answer: Answer) -> dict:
    """The documented JSON shape of an answer (README: `rag ask --json`)."""
    return {
        "question": answer.question,
        "query": answer.query,
        "answer": answer.text,
        "abstained": answer.abstained,
        "decline_reason": answer.decline_reason,
        "findings": [asdict(f) for f in answer.findings],
        "synthesis": answer.synthesis,
        "citations": [asdict(c) for c in answer.citations],
        "unsupported_sentences": list(answer.unsupported),
        "retrieved": [
            {"title": h.paper.title, "paper_id": h.paper.id, "score": round(h.score, 4)}
            for h in answer.hits
        ],
        "model": answer.model,
        "notices": list(answer.notices),
        "filters": answer.filters,
        "timings": answer.timings.as_dict(),
    }
