"""ChatService: retrieve with the conversation's context, judge confidence, then refuse or answer
(extractive, or with the LLM and an extractive fallback). `answer()` returns the whole answer,
`stream()` yields events: citations, then text deltas, then done."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

from assistant.answer.confidence import confidence, is_answerable
from assistant.answer.extractive import extractive_answer, prefer_in_force
from assistant.answer.history import standalone_query
from assistant.answer.llm import CitationFilter, LLMAnswerer, build_chat_model, is_unavailable
from assistant.answer.types import LLM_UNAVAILABLE, REFUSAL, Answer, Citation, Event, Turn
from assistant.retrieval.doc_names import title_aliases
from assistant.retrieval.hybrid import Filters
from assistant.settings import Settings

log = logging.getLogger("assistant.answer")
REFUSED_CITATIONS = 3
_PIECE = re.compile(r"[^。；！？\n]*[。；！？\n]*")
_INTERRUPTED = "\n（大模型服务中断，回答不完整）"


@dataclass
class _Retrieved:
    query: str
    citations: list[Citation]
    confidence: float
    refused: bool
    llm_error: BaseException | None  # the LLM failed already while rewriting the question


def pieces(text: str) -> list[str]:
    """The answer cut at sentence ends, for streaming."""
    return [p for p in _PIECE.findall(text) if p]


class ChatService:
    """One per app (built in the lifespan) or per CLI call; thread-safe, stateless between calls."""

    def __init__(self, retriever, settings: Settings, llm: LLMAnswerer | None = None):
        self.retriever = retriever
        self.tokenizer = retriever.tokenizer
        self.settings = settings
        self.llm = llm
        self._names: tuple[list | None, tuple[dict[str, str], set[str]]] = (None, ({}, set()))
        self.tolerance = None  # ToleranceService: set by the app, or built on the first tolerance question

    @classmethod
    def from_settings(cls, settings: Settings, retriever) -> "ChatService":
        model = build_chat_model(settings)
        return cls(retriever, settings, LLMAnswerer(model) if model is not None else None)

    def titles(self) -> dict[str, str]:
        """doc_id → title, to name the document that replaced a superseded one."""
        return self._catalog()[0]

    def _catalog(self) -> tuple[dict[str, str], set[str]]:
        """doc_id → title, and every indexed title with its short names; rebuilt when the index changes."""
        chunks = self.retriever.chunks
        if self._names[0] is not chunks:
            titles: dict[str, str] = {}
            aliases: set[str] = set()
            for c in chunks:
                titles.setdefault(c.doc_id, c.title)
                aliases |= {c.title, c.doc_title}
            aliases |= {a for t in list(aliases) for a in title_aliases(t)}
            self._names = (chunks, (titles, aliases))
        return self._names[1]

    def retrieve(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> _Retrieved:
        """The query (history-aware), the numbered passages and whether to refuse."""
        query, llm_error = standalone_query(question, list(history), self.tokenizer, self.llm)
        k = self.settings.answer_top_k
        hits = prefer_in_force(self.retriever.search(query, k=k + 2, filters=filters))[:k]
        conf = confidence(query, hits, self.tokenizer, self._catalog()[1])
        refused = not is_answerable(conf, self.settings.refuse_threshold)
        if refused:
            hits = hits[:REFUSED_CITATIONS]
        citations = [Citation.from_hit(n, h) for n, h in enumerate(hits, 1)]
        return _Retrieved(query, citations, conf, refused, llm_error)

    def _extractive(self, r: _Retrieved) -> str:
        return extractive_answer(r.query, r.citations, self.tokenizer, self.titles())

    def tolerance_answer(self, question: str, filters: Filters | None = None) -> Answer | None:
        """A question describing the asker's own situation and asking about 容错 is answered from a
        tolerance screening (assistant/tolerance); None for any other question."""
        from assistant.tolerance.chat import as_answer, is_tolerance_question
        from assistant.tolerance.service import ToleranceService

        if filters is not None:
            return None
        if self.tolerance is None:
            self.tolerance = ToleranceService(self.retriever, self.llm.model if self.llm else None)
        if not is_tolerance_question(question, self.tolerance.analyzer):
            return None
        return as_answer(self.tolerance.assess(question))

    def answer(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Answer:
        """The whole answer with its citations."""
        tolerance = self.tolerance_answer(question, filters)
        if tolerance is not None:
            return tolerance
        r = self.retrieve(question, history, filters)
        base = dict(citations=r.citations, query=r.query, confidence=r.confidence)
        if r.refused or not r.citations:
            return Answer(REFUSAL, refused=True, mode="extractive", **base)
        notice = LLM_UNAVAILABLE if r.llm_error else None
        if self.llm is not None and r.llm_error is None:
            try:
                text, llm_notice = self.llm.answer(r.query, r.citations, self.titles())
                if text:
                    return Answer(text, refused=False, mode="llm", notice=llm_notice, **base)
            except Exception as err:  # noqa: BLE001 - only unavailability falls back; the rest is a bug
                if not is_unavailable(err):
                    raise
                log.warning("LLM unavailable, answering extractively: %s", err)
            notice = LLM_UNAVAILABLE
        return Answer(self._extractive(r), refused=False, mode="extractive", notice=notice, **base)

    def stream(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Iterator[Event]:
        """Events: `citations` (the numbered passages), `delta` pieces of text, then `done`."""
        tolerance = self.tolerance_answer(question, filters)
        if tolerance is not None:
            from assistant.tolerance.chat import as_events

            yield from as_events(tolerance)
            return
        r = self.retrieve(question, history, filters)
        yield Event("citations", {"citations": [asdict(c) for c in r.citations]})
        if r.refused or not r.citations:
            yield Event("delta", {"text": REFUSAL})
            yield Event("done", {"refused": True, "mode": "extractive", "notice": None})
            return
        notice = LLM_UNAVAILABLE if r.llm_error else None
        if self.llm is not None and r.llm_error is None:
            checker = CitationFilter(len(r.citations))
            sent = False
            try:
                for text in self.llm.stream(r.query, r.citations, self.titles(), checker):
                    sent = True
                    yield Event("delta", {"text": text})
                if sent:
                    yield Event("done", {"refused": False, "mode": "llm", "notice": checker.notice()})
                    return
            except Exception as err:  # noqa: BLE001
                if not is_unavailable(err):
                    raise
                log.warning("LLM unavailable while streaming: %s", err)
                if sent:  # the text so far cannot be taken back
                    yield Event("delta", {"text": _INTERRUPTED})
                    yield Event("done", {"refused": False, "mode": "llm", "notice": "大模型服务中断，回答可能不完整"})
                    return
            notice = LLM_UNAVAILABLE
        for piece in pieces(self._extractive(r)):
            yield Event("delta", {"text": piece})
        yield Event("done", {"refused": False, "mode": "extractive", "notice": notice})
