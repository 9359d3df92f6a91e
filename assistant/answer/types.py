"""What answering hands out (the API, the CLI and the stream use these models as they are)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.grounding.passage import Passage

Mode = Literal["extractive", "llm"]
REFUSAL = "知识库中未找到与该问题直接相关的规定。以下列出检索到的最接近的条文，供您自行判断；也可以换个说法或补充具体情形后再问。"


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Literal["user", "assistant"]
    content: str


class Answer(BaseModel):
    """An answer with its numbered sources."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    answer: str = Field(..., description="回答；[n] 指 citations 中编号为 n 的条文")
    citations: list[Passage]
    refused: bool = Field(..., description="知识库中没有足够相关的规定时为 true")
    mode: Mode
    notice: str | None = None
    query: str = Field("", exclude=True)  # what retrieval ran with (history-aware)
    confidence: float = Field(0.0, exclude=True)  # retrieval confidence, for metrics and the question log


class Citations(BaseModel):
    """First event of a streamed answer: the numbered passages."""

    kind: ClassVar[str] = "citations"
    citations: list[Passage]


class Delta(BaseModel):
    """A piece of the answer's text."""

    kind: ClassVar[str] = "delta"
    text: str


class Done(BaseModel):
    """Last event: how the answer was made."""

    kind: ClassVar[str] = "done"
    refused: bool
    mode: Mode
    notice: str | None = None


Event = Citations | Delta | Done
