"""Progress for the faces: a tqdm bar on a terminal, plain lines when piped or logged.
Both show the rate and the time left, one bar (or line series) per stage."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

ProgressFn = Callable[[int, int, str], None]  # done, total, label


def console_progress(unit: str) -> ProgressFn:
    """The bar is created on the first report, so a run with nothing to do prints nothing."""
    bar = None
    label_now, started = "", 0.0

    def show(done: int, total: int, label: str) -> None:
        nonlocal bar, label_now, started
        if label != label_now:
            if bar is not None:
                bar.close()
            bar, label_now, started = None, label, time.perf_counter()
        if not sys.stderr.isatty():
            print(f"{label}: {done}/{total} {unit}s{_pace(done, total, started, unit)}",
                  file=sys.stderr, flush=True)  # fmt: skip
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit=unit, file=sys.stderr, desc=label)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return show


def _pace(done: int, total: int, started: float, unit: str) -> str:
    elapsed = time.perf_counter() - started
    if done == 0 or elapsed <= 0:
        return ""
    rate = done / elapsed
    return f" · {rate:.1f} {unit}s/s · {max(total - done, 0) / rate:.0f} s left"
