"""Write an evaluation's outputs (results.jsonl, summary.json, report.md, chart.png) and
compare two of them side by side."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rag.errors import ConfigError

# (summary key, label) of the metrics shown in tables, compare and the chart.
ROWS = (
    ("recall@1", "Recall@1"),
    ("recall@5", "Recall@5"),
    ("recall@10", "Recall@10"),
    ("mrr@10", "MRR@10"),
    ("gold_found", "gold in sources"),
    ("keyword_hit", "keyword hit (quotes + summary)"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("top_cited", "top paper cited (when gold)"),
    ("strict_units", "cited units verbatim or strict"),
    ("kept_share", "model sentences kept"),
    ("invalid_citations", "invalid citations"),
    ("correct_decline", "declined (unanswerable)"),
    ("wrong_decline", "declined (answerable)"),
    ("asked_alone", "searched without history"),
    ("alone_recall@1", "Recall@1 if asked alone"),
)
SPEED = ("retrieve_s", "ttft_s", "total_s", "tokens_per_s")


def write_outputs(out: Path, summary: dict) -> None:
    """Everything but results.jsonl, which the runner writes line by line."""
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(summary), encoding="utf-8")
    chart(summary, out / "chart.png")


def _fmt(x: float | int | None, digits: int = 3) -> str:
    if x is None:
        return "–"
    return str(x) if isinstance(x, int) else f"{x:.{digits}f}"


def _groups(summary: dict) -> list[tuple[str, dict]]:
    return [("overall", summary["overall"]), *summary["by_type"].items()]


def markdown(summary: dict) -> str:
    """The report: a metric table and a speed table, one column per question type."""
    groups = _groups(summary)
    run = summary.get("run", {})
    lines = [
        "# rag eval",
        "",
        f"{run.get('questions', '?')} questions from `{run.get('questions_file', '?')}`"
        f"{' (retrieval only)' if run.get('retrieval_only') else ''}, "
        f"{run.get('elapsed_s', '?')} s; model `{Path(run.get('model', '')).name or '-'}`; "
        f"settings `{json.dumps(run.get('settings', {}))}`.",
        "",
    ]
    if run.get("skipped_lines"):
        lines += ["Skipped lines: " + "; ".join(run["skipped_lines"]), ""]
    header = ["metric", *(f"{name} (n={g['n']})" for name, g in groups)]
    lines += [_row(header), _row(["---"] * len(header))]
    lines += [_row([label, *(_fmt(g.get(key)) for _, g in groups)]) for key, label in ROWS]
    lines += ["", "## Speed (p50 / p95)", ""]
    header = ["", *(name for name, _ in groups)]
    lines += [_row(header), _row(["---"] * len(header))]
    for key in SPEED:
        cells = [
            f"{_fmt(g['speed'][key]['p50'], 2)} / {_fmt(g['speed'][key]['p95'], 2)}"
            for _, g in groups
        ]
        lines.append(_row([key, *cells]))
    return "\n".join(lines) + "\n"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def chart(summary: dict, path: Path) -> None:
    """Grouped bars of the 0..1 metrics per question type (matplotlib loads only here)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(k, label) for k, label in ROWS if k != "invalid_citations"]
    groups = _groups(summary)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / len(groups)
    for i, (name, g) in enumerate(groups):
        xs = [j + i * width for j in range(len(rows))]
        ax.bar(xs, [g.get(k) or 0.0 for k, _ in rows], width, label=f"{name} (n={g['n']})")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(rows))])
    ax.set_xticklabels([label for _, label in rows], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title("rag eval")
    ax.legend(fontsize=8, ncol=len(groups), loc="upper center", bbox_to_anchor=(0.5, -0.35))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def load_summary(folder: str | Path) -> dict:
    path = Path(folder) / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not an eval summary ({exc}): run `rag eval` first") from None


def compare(dir_a: str | Path, dir_b: str | Path) -> str:
    """Two summaries side by side with B - A, overall and per type."""
    a, b = load_summary(dir_a), load_summary(dir_b)
    lines = [f"A = {dir_a}", f"B = {dir_b}"]
    for name, ga in _groups(a):
        gb = b["overall"] if name == "overall" else b["by_type"].get(name)
        if gb is None:
            continue
        lines += ["", f"{name} (n={ga['n']} / {gb['n']})", f"{'':26}{'A':>9}{'B':>9}{'B-A':>9}"]
        rows = [(label, ga.get(k), gb.get(k)) for k, label in ROWS]
        rows += [(f"{k} p50", ga["speed"][k]["p50"], gb["speed"][k]["p50"]) for k in SPEED]
        for label, x, y in rows:
            diff = f"{y - x:+.3f}" if x is not None and y is not None else "–"
            lines.append(f"{label:26}{_fmt(x):>9}{_fmt(y):>9}{diff:>9}")
    return "\n".join(lines)
