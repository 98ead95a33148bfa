"""Two `rag ingest` runs into one fresh store at the same moment, RUNS times in a row.

Prints, per run, the papers each input holds, the papers and chunks the store ends with,
and whether `rag check` finds it consistent. Before the ingest lock this broke the store
every time with pages of this size (issue 10). Usage: python bench/concurrent_ingest.py [RUNS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.corpus import read_papers  # noqa: E402
from rag.repair import probe  # noqa: E402
from rag.store import Store  # noqa: E402

PAGES = [ROOT / "seeds" / "000_21389137d9350ab0.txt", ROOT / "seeds" / "003_457e6e6d572be627.txt"]
RAG = [sys.executable, "-c", "from rag.cli import main; main()"]


def one_run(store: Path) -> str:
    started = time.perf_counter()
    runs = [
        subprocess.Popen([*RAG, "ingest", str(page), "--store", str(store)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for page in PAGES
    ]  # fmt: skip
    codes = [r.wait() for r in runs]
    waited = sum("waiting for another ingest" in r.stderr.read() for r in runs)
    for r in runs:
        r.stdout.close()
        r.stderr.close()
    settings = Settings(store_path=str(store))
    damage = probe(settings)
    papers = len(Store(settings).papers()) if damage is None else 0
    expected = len({p.id for p in read_papers(PAGES)})
    return (
        f"exit codes {codes}, {waited} waited · papers {papers}/{expected} · "
        f"{'consistent' if damage is None else 'DAMAGED: ' + damage} · "
        f"{time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for n in range(1, runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"run {n}: {one_run(Path(tmp) / 'store')}", flush=True)


if __name__ == "__main__":
    main()
