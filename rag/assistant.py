"""The one pipeline every face calls:
retrieve -> evidence -> guard -> findings -> prompt -> generate -> check -> Answer.

`Assistant.ask()` streams events: first `Sources` with the findings (as soon as retrieval
is done), then the model's `Token`s, then the final `Answer`. `build_assistant()` is the
only place real parts are built.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence

from rag import compose, guard
from rag.cite import NOTHING, check_citations, citations
from rag.config import Settings
from rag.embed import Embedder, SentenceTransformerEmbedder
from rag.errors import ConfigError, StoreError
from rag.filters import with_question
from rag.generate import Generator, LlamaGenerator, ServerGenerator, find_model
from rag.prompts import Prompts, build_messages, load_prompts
from rag.retrieve import Retriever
from rag.store import Store
from rag.text import clean, names, squash
from rag.types import Answer, Event, Hit, Sources, Timings, Token, Turn
from rag.untrusted import neutralise

# Turns the model sees when rewriting a follow-up: the topic is almost always the last one.
REWRITE_TURNS = 2
# Words that point back at the previous turn. "the paper", "that method" name it outright;
# a pronoun ("it", "their") or a bare "that" before a verb ("what did that do?") usually
# does, but "how does LongLoRA extend its context?" uses "its" for a new name.
_BACK_REFERENCE = re.compile(
    r"\b(?:the|that|this|same) (?:paper|model|method|dataset|approach|authors|work|benchmark)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"\b(?:it|its|they|them|their|this|these|those|that(?= (?:is|was|does|did|do|has|have|"
    r"had|can|could|would|will|needs?|gets?|uses?|takes?|requires?|costs?)\b|\s*\?))\b",
    re.IGNORECASE,
)


def cleaned(history: Sequence[Turn]) -> list[Turn]:
    """Earlier turns as the pipeline reads them: questions cleaned as a new one is (a saved
    chat keeps what was typed); the answers, checked text already, are kept as written."""
    return [Turn(clean(t.question), t.answer) for t in history]


def new_names(question: str, previous: str) -> list[str]:
    """Names in the question that the previous one did not use: a sign of a new topic."""
    before = {squash(n) for n in names(previous)}
    return [n for n in names(question) if squash(n) not in before]


class Assistant:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedder: Embedder,
        generator: Generator,
        prompts: Prompts,
    ) -> None:
        self.settings, self.store, self.embedder = settings, store, embedder
        self.generator, self.prompts = generator, prompts
        self.filters = settings.filters()
        self.retriever = Retriever(store, embedder, settings.candidates, settings.bm25_weight)
        if not self.retriever.paper_count:
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
        return self.retriever.paper_count

    def unfinished_papers(self) -> int:
        """Papers an interrupted ingest left searchable by their quick views only: their
        sentences are not in the evidence until `rag ingest` completes them."""
        return self.store.quick_papers()

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """Ranked papers for a query, cleaned as a question is; none for an empty one."""
        query = clean(query)
        if not query:
            return []
        filters, query = with_question(self.filters, query)
        return self.retriever.search(query, k or self.settings.k, filters.where())

    def standalone_query(self, question: str, history: Sequence[Turn]) -> str:
        """The query retrieval runs for a question asked after `history`: the previous
        question is kept when this one points back at it ("the paper", "it"), not when it
        names something new, else only when it finds nothing strong alone. So a new topic
        is not dragged back to the old one."""
        return self._standalone(clean(question), cleaned(history))

    def _standalone(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        if self.settings.rewrite == "model":
            return self._model_rewrite(question, history)
        previous = history[-1].question
        combined = f"{previous} {question}"
        if _BACK_REFERENCE.search(question):
            return combined
        named, pronoun = new_names(question, previous), _PRONOUN.search(question)
        if named and not pronoun:  # "what is LongLoRA?"
            return question
        if pronoun and not named:  # "how many languages does it cover?"
            return combined
        alone = self.retriever.search(question, 1, self.filters.where())  # let retrieval decide
        strong = alone and alone[0].dense >= self.settings.standalone_dense
        return question if strong else combined

    def _model_rewrite(self, question: str, history: Sequence[Turn]) -> str:
        conversation = "\n".join(
            f"User: {neutralise(t.question)}\nAssistant: {neutralise(t.answer)}"
            for t in history[-REWRITE_TURNS:]
        )
        prompt = self.prompts.rewrite.format(
            conversation=conversation, question=neutralise(question)
        )
        rewritten = "".join(self.generator.stream([{"role": "user", "content": prompt}]))
        rewritten = rewritten.strip().splitlines()[0].strip(' "') if rewritten.strip() else ""
        return rewritten or f"{history[-1].question} {question}"

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Iterator[Event]:
        question, history = clean(question), cleaned(history)
        if not question:
            raise ConfigError('the question is empty: ask something, e.g. rag ask "..."')
        start = time.perf_counter()
        filters, query = with_question(self.filters, self._standalone(question, history))
        vector = self.embedder.encode([query])[0]
        hits = self.retriever.search_vector(query, vector, self.settings.k, filters.where())
        evidence = self.retriever.evidence(vector, hits, self.settings.sentences_per_source)
        decline = guard.check(
            query, evidence, self.retriever.in_corpus, self.settings, asked=question
        )
        found = compose.findings(evidence, self.settings.abstain_threshold, question=query)
        if decline and not decline.near:
            found = ()
        retrieved = time.perf_counter()
        yield Sources(query, tuple(evidence), found, declined=decline is not None)

        def answer(text: str, timings: Timings, **kw) -> Answer:
            return Answer(
                question=question, text=text, hits=tuple(hits), model=self.generator.name,
                query=query, timings=timings, findings=found, filters=filters.as_dict(), **kw,
            )  # fmt: skip

        if decline:
            timings = Timings(retrieve_s=retrieved - start, total_s=time.perf_counter() - start)
            text = compose.decline_text(self.prompts.decline, decline.notice, found)
            yield answer(
                text, timings, citations=citations(evidence, found, NOTHING), abstained=True,
                notices=(decline.notice,), decline_reason=decline.reason,
            )  # fmt: skip
            return

        budget = self.generator.n_ctx - self.settings.max_tokens
        messages, notices = build_messages(
            self.prompts, question, evidence, history, self.generator.count_tokens, budget
        )
        if missing := guard.missing_terms(question, evidence):  # near-topic: say what is not there
            notices.insert(0, missing)
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
        checked = check_citations(raw, evidence, question, self.settings.support_threshold)
        yield answer(
            compose.answer_text(found, checked.text), timings,
            citations=citations(evidence, found, checked), abstained=False,
            unsupported=checked.unsupported, notices=tuple(notices), synthesis=checked.text,
        )  # fmt: skip


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
