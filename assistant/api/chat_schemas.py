"""Request and response models of the chat endpoints: /api/chat (ours) and /v1/chat/completions (OpenAI's)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.answer.types import Answer, Turn
from assistant.api.schemas import MAX_QUERY_CHARS, CitationOut, SearchFilters
from assistant.api.tolerance_schemas import ToleranceResponse

MAX_TURNS = 20
MAX_TURN_CHARS = 8000
DEFAULT_MODEL = "policy-assistant"
# What check_question enforces, stated in the schema (the validator keeps its Chinese messages)
QUESTION_SCHEMA = {"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": r"\S"}


def check_question(value: str) -> str:
    if not value.strip():
        raise ValueError("问题不能为空")
    if len(value) > MAX_QUERY_CHARS:
        raise ValueError(f"问题过长：最多 {MAX_QUERY_CHARS} 字，当前 {len(value)} 字")
    return value


class ChatMessage(BaseModel):
    role: Literal["user", "assistant"] = Field(..., description="user 或 assistant")
    content: str = Field(..., json_schema_extra={"maxLength": MAX_TURN_CHARS})

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        if len(value) > MAX_TURN_CHARS:
            raise ValueError(f"历史消息过长：每条最多 {MAX_TURN_CHARS} 字")
        return value


class ChatRequest(BaseModel):
    question: str = Field(..., description="问题，1–2000 字", json_schema_extra=QUESTION_SCHEMA)
    history: list[ChatMessage] | None = Field(None, description=f"此前的对话，最多 {MAX_TURNS} 条，按时间顺序",
                                              json_schema_extra={"maxItems": MAX_TURNS})
    filters: SearchFilters | None = None

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return check_question(value)

    @field_validator("history")
    @classmethod
    def _history(cls, value: list[ChatMessage] | None) -> list[ChatMessage] | None:
        if value and len(value) > MAX_TURNS:
            raise ValueError(f"对话历史过长：最多 {MAX_TURNS} 条，当前 {len(value)} 条")
        return value

    def turns(self) -> list[Turn]:
        return [Turn(m.role, m.content) for m in self.history or []]


class ChatResponse(BaseModel):
    answer: str = Field(..., description="回答；[n] 指 citations 中编号为 n 的条文")
    citations: list[CitationOut]
    refused: bool = Field(..., description="知识库中没有足够相关的规定时为 true")
    mode: Literal["extractive", "llm"]
    notice: str | None = None
    tolerance: ToleranceResponse | None = Field(
        None, description="问题描述了本人情况并询问能否容错时，附上容错初筛的结构化结果（同 POST /api/tolerance），否则为 null")

    @classmethod
    def from_answer(cls, answer: Answer) -> "ChatResponse":
        return cls.model_validate(answer.to_dict())


class CompletionMessage(BaseModel):
    """An OpenAI chat message; `content` may be a string or a list of {"type": "text", "text": …} parts."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class CompletionRequest(BaseModel):
    """OpenAI's request body; sampling options are accepted and ignored. `filters` is our extension."""

    model_config = ConfigDict(extra="allow")
    model: str = DEFAULT_MODEL
    messages: list[CompletionMessage] = Field(..., min_length=1, max_length=200,
                                              description="最后一条须为 user 的问题（1–2000 字）")
    stream: bool = False
    filters: SearchFilters | None = None

    @field_validator("messages")
    @classmethod
    def _messages(cls, value: list[CompletionMessage]) -> list[CompletionMessage]:
        if value[-1].role != "user":
            raise ValueError("最后一条消息应为用户（user）的问题")
        check_question(value[-1].text())
        return value

    def question(self) -> str:
        return self.messages[-1].text()

    def turns(self) -> list[Turn]:
        """Earlier user/assistant messages, the last 20 (front ends send the whole conversation)."""
        earlier = [Turn(m.role, m.text()) for m in self.messages[:-1] if m.role in ("user", "assistant")]
        return earlier[-MAX_TURNS:]


class CompletionChoice(BaseModel):
    index: int = 0
    message: dict[str, str]
    finish_reason: str = "stop"


class Completion(BaseModel):
    """OpenAI's chat.completion plus our `citations`, `refused`, `mode` and `notice`."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    citations: list[CitationOut]
    refused: bool
    mode: Literal["extractive", "llm"]
    notice: str | None = None
