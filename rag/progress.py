"""Progress for the faces: a tqdm bar on a terminal, plain lines when piped or logged.
Both show the rate and the time left; a count starting again from 0 starts a new bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

ProgressFn = Callable[[int, int, str], None]  # done, total, label


def console_progress(unit: str) -> ProgressFn:
    """The bar is created on the first report, so a run with nothing to do prints nothing."""
    bar = None
    started, first, last = 0.0, 0, -1

    def show(done: int, total: int, label: str) -> None:
        nonlocal bar, started, first, last
        if done == 0 or done < last or not started:  # a new stage (or the first report)
            if bar is not None:
                bar.close()
            bar, started, first = None, time.perf_counter(), done
        last = done
        if not sys.stderr.isatty():
            pace = _pace(done - first, total - done, started, unit)
            print(f"{label}: {done}/{total} {unit}s{pace}", file=sys.stderr, flush=True)
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit=unit, file=sys.stderr)
        bar.set_description(label)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return show


def _pace(done: int, left: int, started: float, unit: str) -> str:
    """Rate over what was done since the stage began, and the time the rest will take."""
    elapsed = time.perf_counter() - started
    if done <= 0 or elapsed <= 0:
        return ""
    rate = done / elapsed
    return f" · {rate:.1f} {unit}s/s · {max(left, 0) / rate:.0f} s left"
