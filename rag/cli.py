"""The command line: parse arguments, call the core, print. Nothing else lives here."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from rag.compose import findings_text
from rag.config import PROJECT_DIR, Settings, load_settings
from rag.errors import RagError
from rag.progress import console_progress
from rag.render import answer_json, erase, hit_json, print_answer
from rag.types import Answer, Sources, Token

EXIT_INTERRUPTED = 130
EXIT_PARTIAL = 5  # ingest stored what it could read and skipped the rest (listed)


class RagGroup(click.Group):
    """Turns RagError into a one-line message and its exit code, in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RagError as exc:
            if os.environ.get("RAG_RAISE"):  # tests and debugging see the traceback
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def settings_options(func: Callable) -> Callable:
    """Flags shared by every command; each overrides config file and RAG_* variables."""
    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            help="TOML config file (default: the user config dir's rag/config.toml).",
        ),
        click.option("--store", "store_path", help="Folder of the local Chroma store."),
        click.option("--chroma-url", help="Chroma server URL, for a shared store."),
        click.option("--model", help="GGUF model file."),
        click.option("--llm-url", help="OpenAI-compatible model server URL."),
        click.option("--k", type=int, help="Number of papers retrieved as sources."),
        click.option("--collection", help="Chroma collection: one corpus of several in a store."),
        click.option("--since", help="Only papers dated on or after (YYYY[-MM[-DD]])."),
        click.option("--until", help="Only papers dated on or before (YYYY[-MM[-DD]])."),
        click.option("--category", "categories", multiple=True, help="Only this category "
                     "(cs takes cs.CL too); repeat for any of several."),  # fmt: skip
        click.option("--source", "sources", multiple=True, help="Only papers from this "
                     "input file; repeat for any of several."),  # fmt: skip
    ]
    for option in reversed(options):
        func = option(func)

    @functools.wraps(func)
    def wrapper(config_file, store_path, chroma_url, model, llm_url, k, collection, since,
                until, categories, sources, **kwargs):  # fmt: skip
        settings = load_settings(
            config_file,
            store_path=store_path,
            chroma_url=chroma_url,
            model=model,
            llm_url=llm_url,
            k=k,
            collection=collection,
            since=since,
            until=until,
            categories=",".join(categories) or None,
            sources=",".join(sources) or None,
        )
        return func(settings=settings, **kwargs)

    return wrapper


@click.group(cls=RagGroup)
@click.version_option(package_name="rag")
def main() -> None:
    """Ask questions about research-paper abstracts; answers cite their sources."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--prune", is_flag=True, help="Remove papers whose source files are gone.")
@click.option("--repair", is_flag=True, help="Rebuild a damaged store from the papers it holds.")
@click.option("--limit", type=click.IntRange(min=0), help="Read at most this many papers.")
@settings_options
def ingest(
    settings: Settings, paths: tuple[str, ...], prune: bool, repair: bool, limit: int | None
) -> None:
    """Parse, chunk, embed and store PATHS (default: seeds/): listing pages, JSONL, or the
    arXiv metadata snapshot (.json/.jsonl, gzipped or not; take one field with --category
    and --limit). Re-runs embed only what changed."""
    from rag import ingest as ingesting
    from rag import repair as repairing
    from rag.chroma import one_writer
    from rag.corpus import read_corpus
    from rag.embed import SentenceTransformerEmbedder
    from rag.store import Store

    if repair and (paths or prune or settings.chroma_url):
        raise click.UsageError("--repair rebuilds a local store on its own: drop the other input")
    embedder = SentenceTransformerEmbedder(settings.embedder or None)
    embedder.load()  # before anything is created: a bad embedder leaves no store behind
    waiting = functools.partial(click.echo, err=True)
    with one_writer(settings, waiting):
        skipped: tuple[str, ...] = ()
        complete: frozenset[str] = frozenset()
        if repair:
            papers = repairing.recover_papers(settings)
            aside = repairing.set_aside(settings)
            click.echo(f"moved the damaged store to {aside}; rebuilding {len(papers)} papers")
        else:
            reading = read_corpus(paths or [str(PROJECT_DIR / "seeds")], limit,
                                  settings.filters().categories)  # fmt: skip
            papers, skipped, complete = list(reading.papers), reading.skipped, reading.complete
            if reading.outside:
                click.echo(f"{reading.outside} papers outside --category left out", err=True)
            _refuse_damaged(settings)
        store = Store(settings, create=True, embedder_name=embedder.name, report=waiting)
        show = console_progress("paper")
        report = ingesting.ingest_papers(
            papers,
            store,
            embedder,
            prune=prune,
            progress=lambda stage, done, total: show(done, total, stage),
            complete=complete,
            notify=waiting,
        )
    click.echo(
        f"{report.papers} papers, {report.chunks} chunks: {report.added} embedded, "
        f"{report.removed} removed, {report.refreshed} refreshed, "
        f"{report.pruned_papers} papers pruned in {report.seconds:.1f} s -> {store.where}"
    )
    if report.searchable_s is not None:
        click.echo(f"new papers searchable after {report.searchable_s:.1f} s")
    for problem in skipped:
        click.echo(f"Skipped: {problem}", err=True)
    if skipped:
        click.echo(f"{len(skipped)} part(s) of the input skipped; the rest is stored.", err=True)
        sys.exit(EXIT_PARTIAL)


@main.command()
@settings_options
def check(settings: Settings) -> None:
    """Check that the store opens and answers queries; say how to repair it if not."""
    from rag.store import Store

    _refuse_damaged(settings)  # first: a damaged store can crash the process opening it
    store = Store(settings)
    quick = store.quick_papers()
    unfinished = f"; {quick} papers not fully indexed: run rag ingest" if quick else ""
    click.echo(f"{store.paper_count()} papers, {store.count()} chunks: the store at "
               f"{store.where} is consistent{unfinished}")  # fmt: skip


@main.command()
@settings_options
def collections(settings: Settings) -> None:
    """List the corpora (Chroma collections) in the store, with their sizes."""
    from rag.chroma import collections as list_collections

    for name, chunks, embedder in list_collections(settings):
        mark = "*" if name == settings.collection else " "
        click.echo(f"{mark} {name}  {chunks} chunks  embedder {embedder or '?'}")


def _refuse_damaged(settings: Settings) -> None:
    """Probe an existing local store in a child process; a damaged one is an error."""
    from rag.errors import StoreError
    from rag.repair import probe

    if settings.chroma_url or not (Path(settings.store_path) / "chroma.sqlite3").exists():
        return
    if damage := probe(settings):
        raise StoreError(f"the store at {settings.store_path} is damaged ({damage}): "
                         "run `rag ingest --repair`")  # fmt: skip


@main.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@settings_options
def search(settings: Settings, query: str, as_json: bool) -> None:
    """Show the ranked papers for QUERY without the model ('-': one query per stdin line)."""
    from rag.assistant import build_assistant
    from rag.text import clean

    lines = list(sys.stdin) if query == "-" else [query]
    queries = [clean(q).strip() for q in lines if q.strip()]
    if not queries or not all(queries):
        raise click.UsageError("the query is empty: give the words to search for")
    assistant = build_assistant(settings)
    for q in queries:
        hits = assistant.search(q)
        if as_json or query == "-":
            results = [hit_json(h) for h in hits]
            filters = settings.filters().as_dict()
            click.echo(json.dumps({"query": q, "filters": filters, "results": results}))
        else:
            for rank, h in enumerate(hits, 1):
                click.echo(f"{rank}. {h.score:6.2f}  {h.paper.title}")
                click.echo(f"   dense {h.dense:.3f}  bm25 {h.bm25:.2f}  {h.chunk_text[:160]}")


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (see README).")
@settings_options
def ask(settings: Settings, question: str, as_json: bool) -> None:
    """Answer QUESTION from the papers, with checked citations ('-' reads stdin)."""
    from rag.assistant import build_assistant

    if question == "-":
        question = sys.stdin.read()
    if not question.strip():
        raise click.UsageError("the question is empty")
    assistant = build_assistant(settings)
    assistant.warm_up(_status)
    stream = not as_json and sys.stdout.isatty()
    shown = ""  # the findings, printed as soon as retrieval is done
    streamed: list[str] = []
    answer = None
    for event in assistant.ask(question):
        if isinstance(event, Sources) and stream and not event.declined and event.findings:
            shown = findings_text(event.findings)
            click.echo(f"{shown}\n")
        elif isinstance(event, Token) and stream:
            streamed.append(event.text)
            click.echo(click.style(event.text, dim=True), nl=False)
        elif isinstance(event, Answer):
            answer = event
    if as_json:
        click.echo(json.dumps(answer_json(answer), indent=2))
        return
    if streamed:
        erase("".join(streamed))
    print_answer(answer, shown)


def _status(step: str) -> None:
    """Loading steps, shown on a terminal only: timings then measure the question alone."""
    if sys.stderr.isatty():
        click.echo(f"\r\033[K{step}…" if step != "ready" else "\r\033[K", nl=False, err=True)


@main.command()
@click.option("--list", "list_chats", is_flag=True, help="List saved chats: id, date, question.")
@click.option("--export", metavar="ID", help="Print saved chat ID ('last': newest) as Markdown.")
@settings_options
def chat(settings: Settings, list_chats: bool, export: str | None) -> None:
    """Open the terminal chat: streamed answers, live sources, follow-ups, saved chats."""
    if list_chats or export:
        from rag.tui.export import saved_text

        click.echo(saved_text(export), nl=False)
        return
    from rag.tui.app import ChatApp

    ChatApp(settings, raise_errors=bool(os.environ.get("RAG_RAISE"))).run()


@main.command(name="eval")
@click.argument("questions", required=False, type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Output folder (default eval-TIME).")
@click.option("--retrieval-only", is_flag=True, help="Skip generation: retrieval metrics only.")
@click.option("--compare", nargs=2, type=click.Path(file_okay=False), help="Compare DIR_A DIR_B.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a setting.")
@settings_options
def eval_(
    settings: Settings,
    questions: str | None,
    out: str | None,
    retrieval_only: bool,
    compare: tuple[str, str] | None,
    overrides: tuple[str, ...],
) -> None:
    """Score QUESTIONS.jsonl (retrieval, answers, citations, abstention, speed) into --out."""
    import time

    from rag import evaluate, report

    if compare:
        click.echo(report.compare(*compare))
        return
    if not questions:
        raise click.UsageError("give a QUESTIONS.jsonl file, or --compare DIR_A DIR_B")
    from rag.assistant import build_assistant

    assistant = build_assistant(evaluate.apply_overrides(settings, overrides))
    if not retrieval_only:
        assistant.warm_up(_status)
    out = out or f"eval-{time.strftime('%Y%m%d-%H%M%S')}"
    summary = evaluate.evaluate(
        assistant, questions, out, retrieval_only, report=lambda m: click.echo(m, err=True)
    )
    click.echo(report.markdown(summary))
    click.echo(f"results in {out}/ (results.jsonl, summary.json, report.md, chart.png)")
