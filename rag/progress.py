"""Progress for the faces: a tqdm bar on a terminal, plain lines when piped or logged."""

from __future__ import annotations

import sys
from collections.abc import Callable

ProgressFn = Callable[[int, int, str], None]  # done, total, label


def console_progress(unit: str) -> ProgressFn:
    """The bar is created on the first report, so a run with nothing to do prints nothing."""
    bar = None

    def show(done: int, total: int, label: str) -> None:
        nonlocal bar
        if not sys.stderr.isatty():
            print(f"{label}: {done}/{total} {unit}s", file=sys.stderr, flush=True)
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit=unit, file=sys.stderr)
        bar.total = total
        bar.set_description(label)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return show
