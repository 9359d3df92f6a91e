"""Our own answer types: what the API, the CLI and the stream hand out (never LangChain objects)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from assistant.retrieval.hybrid import Hit

Mode = Literal["extractive", "llm"]
REFUSAL = "知识库中未找到与该问题直接相关的规定。以下列出检索到的最接近的条文，供您自行判断；也可以换个说法或补充具体情形后再问。"
LLM_UNAVAILABLE = "大模型服务暂不可用，以下为摘录式回答"


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Citation:
    """A numbered passage; `[n]` in the answer points at it."""

    n: int
    text: str
    doc_id: str
    title: str
    doc_number: str
    issuer: str
    date: str
    section: str
    article: str
    status: str
    score: float
    superseded_by: str = ""

    @classmethod
    def from_hit(cls, n: int, hit: Hit) -> "Citation":
        c = hit.chunk
        return cls(n=n, text=c.text, doc_id=c.doc_id, title=c.title, doc_number=c.doc_number, issuer=c.issuer,
                   date=c.date, section=c.section, article=c.article, status=c.status, score=round(hit.score, 6),
                   superseded_by=c.superseded_by)

    @property
    def where(self) -> str:
        """《title》 plus the article, or the innermost heading: where the rule stands."""
        place = self.article or (self.section.split(" > ")[-1] if self.section else "")
        if len(place) > 30:
            place = place[:30] + "…"
        return f"《{self.title}》{place}"


@dataclass
class Answer:
    """An answer with its numbered sources; `query` is what retrieval was run with."""

    answer: str
    citations: list[Citation]
    refused: bool
    mode: Mode
    notice: str | None = None
    query: str = ""
    confidence: float = 0.0

    def to_dict(self) -> dict:
        """The API body: answer, citations, refused, mode, notice."""
        return {"answer": self.answer, "citations": [asdict(c) for c in self.citations], "refused": self.refused,
                "mode": self.mode, "notice": self.notice}


@dataclass(frozen=True)
class Event:
    """One piece of a streamed answer: `citations` first, then `delta`s, then `done`."""

    kind: Literal["citations", "delta", "done"]
    data: dict = field(default_factory=dict)
