"""The one place that builds every part from settings: embedder, store, tokenizer, chat model, retriever,
answerer, tolerance screener, chat dispatcher, course-pack builder, document service and ingestor.

Each part is built once, on first use, and shared by everyone who asks (the API's lifespan and
dependencies, the CLI, the evaluation). Nothing is wired together after construction. Each service's module is
imported when the service is first built: `assistant ingest` never loads the answerer, BM25 or course packs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from langchain_core.embeddings import Embeddings

from assistant.embeddings import build_embeddings, model_id
from assistant.settings import Settings
from assistant.store import ChromaStore
from assistant.tokenizer import Tokenizer

if TYPE_CHECKING:
    from assistant.answer import Answerer
    from assistant.chat import Chat
    from assistant.course import CoursePackBuilder
    from assistant.documents.service import DocumentService
    from assistant.ingest.pipeline import Ingestor
    from assistant.retrieval.hybrid import HybridRetriever
    from assistant.tolerance.service import ToleranceService

T = TypeVar("T")


def open_store(settings: Settings, create: bool = False) -> ChromaStore:
    """The store: on the Chroma server when ASSISTANT_CHROMA_URL is set, else embedded in index_dir."""
    return ChromaStore(settings.index_dir, settings.collection, model_id(settings), create=create,
                       url=settings.chroma_url)


class Components:
    """Settings in, parts out (one instance per process, or per CLI command)."""

    def __init__(self, settings: Settings, store: ChromaStore, embeddings: Embeddings | None = None,
                 tokenizer: Tokenizer | None = None):
        self.settings = settings
        self.store = store
        if embeddings is not None:
            self.embeddings = embeddings
        if tokenizer is not None:
            self.tokenizer = tokenizer
        self._built: dict[str, object] = {}
        self._lock = threading.RLock()

    @classmethod
    def load(cls, settings: Settings, create: bool = False) -> Components:
        """Open the store now (so a missing index is reported at once); the rest is built on first use."""
        return cls(settings, open_store(settings, create=create))

    @classmethod
    def reopen(cls, old: Components) -> Components:
        """The store opened afresh (its collections were made anew), keeping the parts that take seconds to
        load: the embedding model, jieba and the chat model."""
        fresh = cls(old.settings, open_store(old.settings), old.embeddings, old.tokenizer)
        fresh.__dict__["chat_model"] = old.chat_model
        return fresh

    # --- the parts everything else is made of ---------------------------------------------------------
    @cached_property
    def embeddings(self) -> Embeddings:
        return build_embeddings(self.settings)

    @cached_property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer(self.settings.index_dir)  # jieba's dictionary cache lives beside the index

    @cached_property
    def chat_model(self):
        """The LangChain chat model for answers, screenings and course packs, or None (extractive mode)."""
        from assistant.grounding.llm import build_chat_model

        return build_chat_model(self.settings)

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            return self._built[name]  # type: ignore[return-value]

    # --- services -----------------------------------------------------------------------------------
    def ingestor(self) -> Ingestor:
        from assistant.ingest.pipeline import Ingestor

        return self._once("ingestor", lambda: Ingestor(self.store, self.embeddings, self.tokenizer,
                                                        self.settings.chunk_max_chars, self._refresh_retriever))

    def retriever(self) -> HybridRetriever:
        from assistant.retrieval.hybrid import HybridRetriever
        from assistant.retrieval.snapshot_cache import SnapshotCache

        def build() -> HybridRetriever:
            s = self.settings
            where = s.chroma_url or str(s.index_dir.resolve())
            cache = SnapshotCache(s.index_dir / "snapshots", f"{where}|{s.collection}|{self.store.model}")
            return HybridRetriever(self.store, self.embeddings, self.tokenizer, snapshot_cache=cache)

        return self._once("retriever", build)

    def answerer(self) -> Answerer:
        from assistant.answer import Answerer
        from assistant.answer.llm import LLMAnswerer

        def build() -> Answerer:
            llm = LLMAnswerer(self.chat_model) if self.chat_model is not None else None
            return Answerer(self.retriever(), self.settings.answer_top_k, self.settings.refuse_threshold, llm)

        return self._once("answerer", build)

    def tolerance(self) -> ToleranceService:
        from assistant.tolerance.service import ToleranceService

        return self._once("tolerance", lambda: ToleranceService(self.retriever(), self.chat_model))

    def chat(self) -> Chat:
        from assistant.chat import Chat

        return self._once("chat", lambda: Chat(self.answerer(), self.tolerance()))

    def course(self) -> CoursePackBuilder:
        from assistant.course import CoursePackBuilder

        s = self.settings
        return self._once("course", lambda: CoursePackBuilder(self.retriever(), self.tokenizer, s.answer_top_k,
                                                               s.refuse_threshold, self.chat_model))

    def documents(self) -> DocumentService:
        """Document management; each change makes this process's retriever (if it built one) pick it up."""
        from assistant.documents.service import DocumentService

        s = self.settings
        return self._once("documents", lambda: DocumentService(
            self.ingestor(), s.corpus_dir, s.upload_max_mb * 1024 * 1024, on_change=self._refresh_retriever))

    def _refresh_retriever(self) -> None:
        retriever = self._built.get("retriever")
        if retriever is not None:
            retriever.refresh()
