"""The records that travel through the pipeline: plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Listing:
    """One appearance of a paper: the file it came from and the listing date."""

    source: str
    date: str = ""


@dataclass(frozen=True)
class Paper:
    id: str
    title: str
    abstract: str
    listings: tuple[Listing, ...] = ()
    metadata: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Chunk:
    """A piece of a paper sized for the embedder; `kind` is its view of the paper."""

    id: str
    paper_id: str
    title: str
    text: str
    kind: str  # "window": a few sentences; "abstract": the whole abstract; "sentence": one
    position: int = 0


@dataclass(frozen=True)
class Hit:
    """A retrieved paper: fused score plus the chunk that matched best."""

    paper: Paper
    score: float
    chunk_id: str
    chunk_text: str
    dense: float = 0.0
    bm25: float = 0.0


@dataclass(frozen=True)
class Evidence:
    """A source as the model sees it: number, paper and the sentences sent."""

    n: int
    hit: Hit
    sentences: tuple[str, ...]
    relevance: tuple[float, ...]  # cosine of each sentence to the question
    # Every sentence of the paper that may be quoted, with its cosine, in abstract order:
    # findings choose from all of them, not only the few sent to the model.
    pool: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Finding:
    """A verbatim sentence of a source, shown before the model writes: cited by construction."""

    n: int
    paper_id: str
    title: str
    quote: str
    score: float  # cosine of the sentence to the query


@dataclass(frozen=True)
class Citation:
    n: int
    paper_id: str
    title: str
    source: str
    date: str
    chunk_id: str
    quote: str
    score: float


@dataclass(frozen=True)
class Timings:
    retrieve_s: float = 0.0  # question to findings on screen
    ttft_s: float = 0.0
    generate_s: float = 0.0
    total_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.generate_s if self.generate_s > 0 else 0.0

    def as_dict(self) -> dict:
        """The timings as `rag ask --json` and `rag eval` write them."""
        seconds = {k: round(v, 4) for k, v in asdict(self).items() if k.endswith("_s")}
        return {**seconds, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "tokens_per_s": round(self.tokens_per_s, 2)}  # fmt: skip


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    model: str
    timings: Timings
    unsupported: tuple[str, ...] = ()  # model sentences no source supports: not shown
    query: str = ""  # the standalone query retrieval used
    notices: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()  # verbatim evidence, the answer's backbone
    synthesis: str = ""  # the model's sentences that passed the check, with their [n]
    decline_reason: str = ""  # which guard rule declined ("" when answered)
    filters: dict = field(default_factory=dict)  # the paper filters retrieval ran under


@dataclass(frozen=True)
class Sources:
    """Streamed first by Assistant.ask: the numbered sources and the findings, before any
    token. `declined` says the findings are only the closest, not an answer."""

    query: str
    evidence: tuple[Evidence, ...]
    findings: tuple[Finding, ...] = ()
    declined: bool = False


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str


Event = Sources | Token | Answer
