"""The one pipeline every face calls: retrieve -> prompt -> generate -> cite -> Answer.

`Assistant.ask()` streams events: first `Sources` (as soon as retrieval is done), then
`Token`s, then the final `Answer`. `build_assistant()` is the only place real parts are built.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence

from rag.cite import check_citations, lexical_support
from rag.config import Settings
from rag.embed import Embedder, SentenceTransformerEmbedder
from rag.errors import ConfigError, StoreError
from rag.generate import Generator, LlamaGenerator, ServerGenerator, find_model
from rag.prompts import Prompts, build_messages, load_prompts
from rag.retrieve import Retriever, dot
from rag.store import Store
from rag.types import Answer, Event, Evidence, Hit, Sources, Timings, Token, Turn

# A follow-up this short, or with a pronoun, leans on the previous question.
FOLLOWUP_MAX_WORDS = 8
# Turns the model sees when rewriting a follow-up: the topic is almost always the last one.
REWRITE_TURNS = 2
_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|the paper|the model)\b", re.IGNORECASE
)


def standalone_query(question: str, history: Sequence[Turn]) -> str:
    """Cheap follow-up rewrite: prefix the previous question when this one leans on it."""
    if history and (len(question.split()) <= FOLLOWUP_MAX_WORDS or _PRONOUN.search(question)):
        return f"{history[-1].question} {question}"
    return question


class Assistant:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedder: Embedder,
        generator: Generator,
        prompts: Prompts,
    ) -> None:
        self.settings, self.embedder = settings, embedder
        self.generator, self.prompts = generator, prompts
        self.retriever = Retriever(store, embedder, settings.candidates, settings.bm25_weight)
        if not self.retriever.papers:
            raise StoreError(f"the store at {store.where} is empty: run `rag ingest`")

    def warm_up(self, report: Callable[[str], None] = lambda step: None) -> None:
        """Load the embedder and the model now rather than on the first question."""
        report("loading embedder")
        self.embedder.encode(["warm up"])
        report("loading model")
        self.generator.count_tokens("warm up")
        report("ready")

    @property
    def paper_count(self) -> int:
        return len(self.retriever.papers)

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        return self.retriever.search(query, k or self.settings.k)

    def standalone_query(self, question: str, history: Sequence[Turn]) -> str:
        """The query retrieval runs for a question asked after `history`."""
        if not history or self.settings.rewrite != "model":
            return standalone_query(question, history)
        conversation = "\n".join(
            f"User: {t.question}\nAssistant: {t.answer}" for t in history[-REWRITE_TURNS:]
        )
        prompt = self.prompts.rewrite.format(conversation=conversation, question=question)
        rewritten = "".join(self.generator.stream([{"role": "user", "content": prompt}]))
        rewritten = rewritten.strip().splitlines()[0].strip(' "') if rewritten.strip() else ""
        return rewritten or standalone_query(question, history)

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Iterator[Event]:
        question = question.strip()
        if not question:
            raise ConfigError('the question is empty: ask something, e.g. rag ask "..."')
        start = time.perf_counter()
        query = self.standalone_query(question, history)
        vector = self.embedder.encode([query])[0]
        hits = self.retriever.search_vector(query, vector, self.settings.k)
        evidence = self.retriever.evidence(vector, hits, self.settings.sentences_per_source)
        retrieved = time.perf_counter()
        yield Sources(query, tuple(evidence))

        def answer(text: str, **kw) -> Answer:
            return Answer(
                question=question,
                text=text,
                hits=tuple(hits),
                model=self.generator.name,
                query=query,
                **kw,
            )

        relevance = max((r for e in evidence for r in e.relevance), default=0.0)
        unknown = self.retriever.unknown_names(question) if self.settings.check_names else []
        if relevance < self.settings.abstain_threshold or unknown:
            notice = f"No paper mentions {', '.join(unknown)}." if unknown else ""
            yield answer(
                self.prompts.decline,
                citations=(),
                abstained=True,
                timings=Timings(retrieve_s=retrieved - start, total_s=time.perf_counter() - start),
                notices=(notice,) if notice else (),
            )
            return

        budget = self.generator.n_ctx - self.settings.max_tokens
        messages, notices = build_messages(
            self.prompts, question, evidence, history, self.generator.count_tokens, budget
        )
        pieces: list[str] = []
        first = None
        for piece in self.generator.stream(messages):
            first = first or time.perf_counter()
            pieces.append(piece)
            yield Token(piece)
        end = time.perf_counter()
        raw = "".join(pieces).strip()
        timings = Timings(
            retrieve_s=retrieved - start,
            ttft_s=(first or end) - start,
            generate_s=end - (first or end),
            total_s=end - start,
            prompt_tokens=sum(self.generator.count_tokens(m["content"]) for m in messages),
            completion_tokens=len(pieces),
        )
        if self._declined(raw):
            yield answer(
                self.prompts.decline,
                citations=(),
                abstained=True,
                timings=timings,
                notices=tuple(notices),
            )
            return
        checked = check_citations(
            raw, evidence, self._support(evidence), self.settings.support_threshold
        )
        yield answer(
            checked.text,
            citations=checked.citations,
            abstained=False,
            timings=timings,
            unsupported=checked.unsupported,
            notices=tuple(notices),
        )

    def _declined(self, raw: str) -> bool:
        core = self.prompts.decline.rstrip(".").lower()
        return not raw or core in raw.lower()

    def _support(self, evidence: Sequence[Evidence]) -> Callable[[str], dict]:
        """Support of a claim by each source: its best sentence, by cosine or word overlap."""

        def support(claim: str) -> dict[int, tuple[float, str]]:
            vector = self.embedder.encode([claim])[0]
            out = {}
            for e in evidence:
                scored = [
                    (max(dot(vector, v), lexical_support(claim, s)), s)
                    for s, v in self.retriever.sentences(e.hit.paper)
                ]
                out[e.n] = max(scored, default=(0.0, ""))
            return out

        return support


def build_assistant(
    settings: Settings, store: Store | None = None, embedder: Embedder | None = None
) -> Assistant:
    """Wire the real parts from settings; models load lazily on first use."""
    prompts = load_prompts(settings.prompts_dir)
    embedder = embedder or SentenceTransformerEmbedder(settings.embedder or None)
    store = store or Store(settings)
    store.check_embedder(embedder.name)
    generator: Generator
    if settings.llm_url:
        generator = ServerGenerator(
            settings.llm_url, settings.n_ctx, settings.max_tokens, settings.temperature
        )
    else:
        generator = LlamaGenerator(
            find_model(settings.model),
            prompts,
            settings.n_ctx,
            settings.n_threads,
            settings.max_tokens,
            settings.temperature,
        )
    return Assistant(settings, store, embedder, generator, prompts)
