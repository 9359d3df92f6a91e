"""Answerer: retrieve with the conversation's context, judge confidence, then refuse or answer (extractive,
or with the LLM and an extractive fallback). `answer()` returns the whole answer, `stream()` yields events:
citations, then text deltas, then done."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.answer.extractive import extractive_answer
from assistant.answer.history import standalone_query
from assistant.answer.llm import CitationFilter, LLMAnswerer
from assistant.answer.types import REFUSAL, Answer, Citations, Delta, Done, Event, Turn
from assistant.grounding.in_force import prefer_in_force
from assistant.grounding.llm import LLM_UNAVAILABLE, is_unavailable
from assistant.grounding.passage import Passage
from assistant.grounding.question_text import read_question
from assistant.grounding.text import cut_after_stops
from assistant.retrieval.doc_names import title_aliases
from assistant.retrieval.hybrid import Filters, HybridRetriever
from assistant.retrieval.refusal import RefusalJudge

log = logging.getLogger("assistant.answer")
REFUSED_CITATIONS = 3
_INTERRUPTED = "\n（大模型服务中断，回答不完整）"


@dataclass
class _Retrieved:
    query: str
    citations: list[Passage]
    confidence: float
    refused: bool
    llm_error: BaseException | None  # the LLM failed already while rewriting the question


class Answerer:
    """One per process (built by Components); thread-safe, stateless between calls."""

    def __init__(self, retriever: HybridRetriever, top_k: int, judge: RefusalJudge, llm: LLMAnswerer | None = None):
        self.retriever = retriever
        self.tokenizer = retriever.tokenizer
        self.top_k = top_k
        self.judge = judge
        self.llm = llm
        self._names: tuple[list | None, tuple[dict[str, str], set[str]]] = (None, ({}, set()))

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
        query, llm_error = standalone_query(read_question(question), list(history), self.tokenizer, self.llm)
        found = self.retriever.retrieve(query, k=self.top_k + 2, filters=filters)
        hits = prefer_in_force(found.hits)[:self.top_k]
        conf = self.judge.confidence(found, hits, self._catalog()[1])
        refused = self.judge.refuses(conf)
        if refused:
            hits = hits[:REFUSED_CITATIONS]
        citations = [Passage.from_hit(n, h) for n, h in enumerate(hits, 1)]
        return _Retrieved(query, citations, conf, refused, llm_error)

    def _extractive(self, r: _Retrieved) -> str:
        return extractive_answer(r.query, r.citations, self.tokenizer, self.titles())

    def answer(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Answer:
        """The whole answer with its citations."""
        r = self.retrieve(question, history, filters)
        base = dict(citations=r.citations, query=r.query, confidence=r.confidence)
        if r.refused or not r.citations:
            return Answer(answer=REFUSAL, refused=True, mode="extractive", **base)
        notice = LLM_UNAVAILABLE if r.llm_error else None
        if self.llm is not None and r.llm_error is None:
            try:
                text, llm_notice = self.llm.answer(r.query, r.citations, self.titles())
                if text:
                    return Answer(answer=text, refused=False, mode="llm", notice=llm_notice, **base)
            except Exception as err:
                if not is_unavailable(err):
                    raise
                log.warning("LLM unavailable, answering extractively: %s", err)
            notice = LLM_UNAVAILABLE
        return Answer(answer=self._extractive(r), refused=False, mode="extractive", notice=notice, **base)

    def stream(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Iterator[Event]:
        """Events: `citations` (the numbered passages), `delta` pieces of text, then `done`."""
        r = self.retrieve(question, history, filters)
        yield Citations(citations=r.citations)
        if r.refused or not r.citations:
            yield Delta(text=REFUSAL)
            yield Done(refused=True, mode="extractive")
            return
        notice = LLM_UNAVAILABLE if r.llm_error else None
        if self.llm is not None and r.llm_error is None:
            checker = CitationFilter(len(r.citations))
            sent = False
            try:
                for text in self.llm.stream(r.query, r.citations, self.titles(), checker):
                    sent = True
                    yield Delta(text=text)
                if sent:
                    yield Done(refused=False, mode="llm", notice=checker.notice())
                    return
            except Exception as err:
                if not is_unavailable(err):
                    raise
                log.warning("LLM unavailable while streaming: %s", err)
                if sent:  # the text so far cannot be taken back
                    yield Delta(text=_INTERRUPTED)
                    yield Done(refused=False, mode="llm", notice="大模型服务中断，回答可能不完整")
                    return
            notice = LLM_UNAVAILABLE
        for piece in cut_after_stops(self._extractive(r)):
            yield Delta(text=piece)
        yield Done(refused=False, mode="extractive", notice=notice)
