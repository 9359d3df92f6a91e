"""The one place that builds every part from settings: embedder, store, tokenizer, chat model, retriever,
answerer, tolerance screener, chat dispatcher, course-pack builder, document service and ingestor.

Each part is built once, on first use, and shared by everyone who asks (the API's lifespan and
dependencies, the CLI, the evaluation). Nothing is wired together after construction. Each service's module is
imported when the service is first built: `assistant ingest` never loads the answerer, BM25 or course packs.

One `Components` serves one knowledge base (`kb`); the parts that take seconds or tens of megabytes to
load — embedding model, jieba, the tolerance reader's dictionary overlay, the chat model — are shared by
the `Components` of every knowledge base of a process (`SharedParts`, used by assistant/knowledge_bases.py),
still each built on first use: a knowledge base opened at start does not load the tolerance reader.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from langchain_core.embeddings import Embeddings

from assistant.embeddings import build_embeddings, model_id
from assistant.errors import IndexMissingError, UnknownKnowledgeBaseError
from assistant.settings import Settings
from assistant.store import ChromaStore
from assistant.store.knowledge_bases import PARTS, check_new_name, collection_name
from assistant.tokenizer import Tokenizer
from assistant.validation import DEFAULT_KB

if TYPE_CHECKING:
    from assistant.answer import Answerer
    from assistant.chat import Chat
    from assistant.course import CoursePackBuilder
    from assistant.documents.service import DocumentService
    from assistant.ingest.pipeline import Ingestor
    from assistant.retrieval.hybrid import HybridRetriever
    from assistant.retrieval.question_bank import QuestionBank
    from assistant.tolerance.factors import FactorAnalyzer
    from assistant.tolerance.service import ToleranceService

T = TypeVar("T")


class BuiltOnce:
    """Parts by name, each built by whichever caller asks first, once (thread-safe)."""

    def __init__(self) -> None:
        self._parts: dict[str, object] = {}
        self._lock = threading.RLock()

    def get(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._parts:
                self._parts[name] = build()
            return self._parts[name]  # type: ignore[return-value]

    def built(self, name: str) -> object | None:
        """The part if it was built, else None (nothing is built)."""
        return self._parts.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._parts


# The heavy parts (embedding model, jieba, chat model, tolerance reader) one process shares among the
# `Components` of its knowledge bases.
SharedParts = BuiltOnce


def open_store(settings: Settings, create: bool = False, kb: str = DEFAULT_KB, now: bool = True) -> ChromaStore:
    """A knowledge base's store: on the Chroma server when ASSISTANT_CHROMA_URL is set, else embedded in
    index_dir. `create`: make it when missing; else a knowledge base the store lacks is UnknownKnowledgeBaseError
    (the default one keeps its 503 telling the operator to run assistant ingest). `now=False`: opened by its
    first use instead (those errors come then)."""
    if kb != DEFAULT_KB:
        if create:
            check_new_name(kb)
        elif kb.endswith(PARTS[1:]):  # another knowledge base's sentence or document collection
            raise _unknown(kb)
    try:
        return ChromaStore(settings.index_dir, collection_name(settings.collection, kb), model_id(settings),
                           create=create, url=settings.chroma_url, open_now=now)
    except IndexMissingError:
        if kb == DEFAULT_KB:
            raise
        raise _unknown(kb) from None


def snapshot_folder(settings: Settings, kb: str) -> Path:
    """Where a knowledge base's snapshot is cached: each its own folder (a cache keeps only its newest)."""
    return settings.index_dir / "snapshots" / ("" if kb == DEFAULT_KB else f"kb.{kb}")


def _unknown(kb: str) -> UnknownKnowledgeBaseError:
    return UnknownKnowledgeBaseError(f"没有名为「{kb}」的知识库：可用 assistant kb list 查看，assistant kb create 新建")


class Components:
    """Settings in, parts out (one instance per process, or per CLI command)."""

    def __init__(self, settings: Settings, store: ChromaStore, embeddings: Embeddings | None = None,
                 tokenizer: Tokenizer | None = None, kb: str = DEFAULT_KB):
        self.settings = settings
        self.store = store
        self.kb = kb
        if embeddings is not None:
            self.embeddings = embeddings
        if tokenizer is not None:
            self.tokenizer = tokenizer
        self._built = BuiltOnce()  # this knowledge base's services
        self._shared = SharedParts()

    @classmethod
    def load(cls, settings: Settings, create: bool = False, kb: str = DEFAULT_KB,
             shared: SharedParts | None = None, from_snapshot: bool = False) -> Components:
        """Open the store now (so a missing index is reported at once); the rest is built on first use.
        `shared`: the heavy parts of the process (`shared_parts()` of another Components). `from_snapshot`:
        an embedded store is opened by its first use, and the retriever starts from the cached snapshot when
        the store has not changed since it was saved (the API's start: ready without waiting for Chroma)."""
        parts = cls(settings, open_store(settings, create=create, kb=kb, now=not from_snapshot), kb=kb)
        if shared is not None:
            parts._shared = shared
        return parts

    def shared_parts(self) -> SharedParts:
        """The parts every knowledge base of a process shares (built when first used, by any of them)."""
        return self._shared

    @property
    def corpus_dir(self) -> Path:
        """Where uploads to this knowledge base are kept: the corpus directory for `default`, else
        `<corpus_dir>/.kb/<name>/` (a hidden folder: an ingest of the corpus directory skips it)."""
        return self.settings.corpus_dir if self.kb == DEFAULT_KB else self.settings.corpus_dir / ".kb" / self.kb

    # --- the parts everything else is made of ---------------------------------------------------------
    @cached_property
    def embeddings(self) -> Embeddings:
        return self._shared.get("embeddings", lambda: build_embeddings(self.settings))

    @cached_property
    def tokenizer(self) -> Tokenizer:
        # jieba's dictionary cache lives beside the index
        return self._shared.get("tokenizer", lambda: Tokenizer(self.settings.index_dir))

    @cached_property
    def chat_model(self):
        """The LangChain chat model for answers, screenings and course packs, or None (extractive mode)."""
        from assistant.grounding.llm import build_chat_model

        return self._shared.get("chat_model", lambda: build_chat_model(self.settings))

    @cached_property
    def factor_analyzer(self) -> FactorAnalyzer:
        """The tolerance screener's reader; its negation words overlay jieba's dictionary (not a second copy)."""
        from assistant.tolerance.factors import FactorAnalyzer
        from assistant.tolerance.lexicon import Negation

        return self._shared.get("factor_analyzer",
                                lambda: FactorAnalyzer(negation=Negation(base=self.tokenizer.dictionary())))

    def _once(self, name: str, build: Callable[[], T]) -> T:
        return self._built.get(name, build)

    def has(self, name: str) -> bool:
        """Whether the service of this name (`retriever`, `chat`, …) is built: asking for it will not block."""
        return name in self._built

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
            # an embedded store's snapshots live inside its own index directory: one copied or moved keeps them
            where = s.chroma_url or "embedded"
            cache = SnapshotCache(snapshot_folder(s, self.kb), f"{where}|{collection_name(s.collection, self.kb)}|{self.store.model}")
            # a store not yet opened and unchanged since its snapshot was cached: serve that, open Chroma later
            start = (cache.current(self.store.generation.current())
                     if not self.store.opened and self.store.generation else None)
            return HybridRetriever(self.store, self.embeddings, self.tokenizer, snapshot_cache=cache, start=start,
                                   bank=self.question_bank())

        return self._once("retriever", build)

    def question_bank(self) -> QuestionBank | None:
        """The bundled bank of questions already answered, unless the settings turn it off."""
        from assistant.retrieval.question_bank import QuestionBank

        if not self.settings.question_bank:
            return None
        return self._once("question_bank", lambda: QuestionBank.load(self.embeddings, self.store.model))

    def answerer(self) -> Answerer:
        from assistant.answer import Answerer
        from assistant.answer.llm import LLMAnswerer

        def build() -> Answerer:
            llm = LLMAnswerer(self.chat_model) if self.chat_model is not None else None
            from assistant.retrieval.refusal import RefusalJudge

            judge = RefusalJudge(self.store.model, self.tokenizer, self.settings.refuse_threshold)
            return Answerer(self.retriever(), self.settings.answer_top_k, judge, llm)

        return self._once("answerer", build)

    def tolerance(self) -> ToleranceService:
        from assistant.tolerance.outlook_model import OutlookModel
        from assistant.tolerance.service import ToleranceService

        return self._once("tolerance", lambda: ToleranceService(self.retriever(), self.chat_model,
                                                                   self.factor_analyzer,
                                                                   OutlookModel.load(self.store.model)))

    def chat(self) -> Chat:
        from assistant.chat import Chat

        return self._once("chat", lambda: Chat(self.answerer(), self.tolerance))

    def course(self) -> CoursePackBuilder:
        from assistant.course import CoursePackBuilder
        from assistant.retrieval.refusal import RULE_THRESHOLD

        s = self.settings
        threshold = RULE_THRESHOLD if s.refuse_threshold is None else s.refuse_threshold
        return self._once("course", lambda: CoursePackBuilder(self.retriever(), self.tokenizer, s.answer_top_k,
                                                               threshold, self.chat_model))

    def documents(self) -> DocumentService:
        """Document management; each change makes this process's retriever (if it built one) pick it up."""
        from assistant.documents.service import DocumentService

        s = self.settings
        return self._once("documents", lambda: DocumentService(
            self.ingestor(), self.corpus_dir, s.upload_max_mb * 1024 * 1024, on_change=self._refresh_retriever))

    def refresh(self) -> bool:
        """This process's retriever picks up index changes, if it was built (else nothing to keep fresh);
        True when it reloaded."""
        retriever = self._built.built("retriever")
        return retriever.refresh() if retriever is not None else False

    def _refresh_retriever(self) -> None:
        self.refresh()
