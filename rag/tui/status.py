"""The status line under the question box, fitted to the terminal's width.

A narrow terminal used to cut the line at its end, which is where the state ("answering…",
"loading model…") matters most; here the least useful parts go first instead.
"""

from __future__ import annotations

from pathlib import Path

from rag.types import Timings

SEPARATOR = " · "


def fit(parts: list[tuple[str, int]], width: int) -> str:
    """Join (text, rank) parts in order, dropping the highest rank (least useful) until
    the line fits; the rank-0 part is kept whole and, alone, cut to the width."""
    kept = [p for p in parts if p[0]]
    while len(kept) > 1 and len(SEPARATOR.join(t for t, _ in kept)) > width:
        kept.remove(max(kept, key=lambda p: p[1]))
    return SEPARATOR.join(t for t, _ in kept)[: max(width, 0)]


def status_parts(
    state: str, model: str, papers: int | None, timings: Timings | None, unfinished: int = 0
) -> list[tuple[str, int]]:
    """The state first, then the model, the store's size (and how many papers an
    interrupted ingest left searchable only by their quick views, as `rag check` says)
    and the last answer's speed; ranked state < papers < speed < model for what a narrow
    terminal keeps."""
    parts = [(state, 0), (Path(model).name if model else "", 3)]
    if papers is not None:
        parts.append((f"{papers} papers", 1))
    if unfinished:
        parts.append((f"{unfinished} not fully indexed: run rag ingest", 1))
    if timings is not None and timings.completion_tokens:
        speed = f"first token {timings.ttft_s:.1f} s{SEPARATOR}{timings.tokens_per_s:.1f} tokens/s"
        parts.append((speed, 2))
    elif timings is not None:
        parts.append((f"retrieval {timings.retrieve_s:.1f} s", 2))
    return parts
