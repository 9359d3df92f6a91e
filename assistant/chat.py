"""Who answers a chat question: a cadre describing his own situation and asking about 容错 gets a tolerance
screening told in prose (with the screening attached); every other question goes to the answerer."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from pydantic import Field

from assistant.answer import Answer, Answerer, Turn
from assistant.answer.types import Citations, Delta, Done, Event
from assistant.retrieval.hybrid import Filters
from assistant.tolerance.chat import is_tolerance_question, prose
from assistant.tolerance.service import ToleranceService
from assistant.tolerance.types import ToleranceAssessment


class ChatReply(Answer):
    """A chat answer (POST /api/chat); `tolerance` holds the screening when one answered it."""

    tolerance: ToleranceAssessment | None = Field(
        None, description="问题描述了本人情况并询问能否容错时，附上容错初筛的结构化结果（同 POST /api/tolerance），否则为 null")


class ScreeningDone(Done):
    """The stream's last event when a screening answered: the screening itself."""

    tolerance: ToleranceAssessment


class Chat:
    """The answerer and the tolerance screener behind one chat entry point (one per process)."""

    def __init__(self, answerer: Answerer, screener: Callable[[], ToleranceService]):
        self.answerer = answerer
        self._screener = screener  # built on first use: its clause reader fits a model, not on the way to ready

    @property
    def screener(self) -> ToleranceService:
        return self._screener()

    @property
    def retriever(self):
        return self.answerer.retriever

    def _screening(self, question: str, filters: Filters | None) -> ToleranceAssessment | None:
        """The screening when the question tells the asker's own situation and asks about 容错, else None
        (a question restricted by filters is a search in given documents: the answerer takes it)."""
        if filters is not None or not is_tolerance_question(question, self.screener.analyzer):
            return None
        return self.screener.assess(question)

    def answer(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> ChatReply:
        """The whole answer with its citations (and the screening, if one answered)."""
        result = self._screening(question, filters)
        if result is None:
            return ChatReply(**dict(self.answerer.answer(question, history, filters)))
        return ChatReply(answer=prose(result), citations=result.citations, refused=False, mode=_mode(result),
                         notice=result.notice, query=result.situation, confidence=1.0, tolerance=result)

    def stream(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Iterator[Event]:
        """Events: citations, text deltas, then done (carrying the screening when one answered)."""
        result = self._screening(question, filters)
        if result is None:
            yield from self.answerer.stream(question, history, filters)
            return
        yield Citations(citations=result.citations)
        for line in prose(result).splitlines(keepends=True):
            yield Delta(text=line)
        yield ScreeningDone(refused=False, mode=_mode(result), notice=result.notice, tolerance=result)


def _mode(result: ToleranceAssessment) -> str:
    return "llm" if result.mode == "llm" else "extractive"
