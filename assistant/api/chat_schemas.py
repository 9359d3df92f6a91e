"""Request models of the chat endpoints, /api/chat (ours) and /v1/chat/completions (OpenAI's), and OpenAI's
response shape (its protocol, not a copy of ours: the answer itself is `assistant.chat.ChatReply`)."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.answer.types import Mode, Turn
from assistant.api.schemas import KbField, SearchFilters
from assistant.grounding.passage import Passage
from assistant.validation import DEFAULT_KB, KbName, QuestionText, check

MAX_TURNS = 20
MAX_TURN_CHARS = 8000
DEFAULT_MODEL = "policy-assistant"


class ChatMessage(BaseModel):
    role: Literal["user", "assistant"] = Field(..., description="user 或 assistant")
    content: str = Field(..., max_length=MAX_TURN_CHARS, title="历史消息")


class ChatRequest(BaseModel):
    question: QuestionText
    history: list[ChatMessage] | None = Field(None, max_length=MAX_TURNS, title="对话历史",
                                              description=f"此前的对话，最多 {MAX_TURNS} 条，按时间顺序")
    filters: SearchFilters | None = None
    kb: KbName = KbField

    def turns(self) -> list[Turn]:
        return [Turn(m.role, m.content) for m in self.history or []]


class CompletionMessage(BaseModel):
    """An OpenAI chat message; `content` may be a string or a list of {"type": "text", "text": …} parts."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = Field(False, description="为 true 时，[DONE] 之前多发一个 choices 为空、带 usage 的 chunk")


class CompletionRequest(BaseModel):
    """OpenAI's request body; sampling options are accepted and ignored. `filters` and `kb` are our extensions;
    the knowledge base may also be named by the model, `policy-assistant:NAME` (as GET /v1/models lists them)."""

    model_config = ConfigDict(extra="allow")
    model: str = DEFAULT_MODEL
    messages: list[CompletionMessage] = Field(..., min_length=1, max_length=200,
                                              description="最后一条须为 user 的问题（1–2000 字）")
    stream: bool = False
    stream_options: StreamOptions | None = None
    filters: SearchFilters | None = None
    kb: KbName | None = Field(None, description=f"知识库（默认 {DEFAULT_KB}，或由 model 写作 {DEFAULT_MODEL}:知识库 指定）")

    @model_validator(mode="after")
    def _kb_of_model(self) -> CompletionRequest:
        named = model_kb(self.model)
        if named is not None:
            check(KbName, named, error=ValueError)
            if self.kb is not None and self.kb != named:
                raise ValueError(f"model 指定的知识库「{named}」与 kb「{self.kb}」不一致")
            self.kb = named
        return self

    @field_validator("messages")
    @classmethod
    def _messages(cls, value: list[CompletionMessage]) -> list[CompletionMessage]:
        if value[-1].role != "user":
            raise ValueError("最后一条消息应为用户（user）的问题")
        check(QuestionText, value[-1].text(), error=ValueError)
        return value

    def question(self) -> str:
        return self.messages[-1].text()

    def turns(self) -> list[Turn]:
        """Earlier user/assistant messages, the last 20 (front ends send the whole conversation)."""
        earlier = [Turn(m.role, m.text()) for m in self.messages[:-1] if m.role in ("user", "assistant")]
        return earlier[-MAX_TURNS:]


def model_kb(model: str) -> str | None:
    """The knowledge base a model name `policy-assistant:NAME` names (None for any other model name)."""
    prefix = f"{DEFAULT_MODEL}:"
    return model[len(prefix):] if model.startswith(prefix) else None


_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
PER_MESSAGE = 4  # the role and separators of one message in a chat model's prompt


def estimate_tokens(text: str) -> int:
    """An estimate, not a tokenizer's count: one token per CJK character or full-width mark (Chinese BPE
    vocabularies give 0.7–1.5 per character), one per four other characters (OpenAI's rule of thumb)."""
    wide = len(_WIDE.findall(text))
    return wide + math.ceil((len(text) - wide) / 4)


class Usage(BaseModel):
    """OpenAI's token counts, estimated (`estimate_tokens`) from the messages the client sent and the content it
    receives. With ASSISTANT_LLM_BASE_URL set, the upstream model also reads the cited passages: that prompt is
    not counted here."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def estimate(cls, messages: list[CompletionMessage], completion: str) -> Usage:
        prompt = sum(PER_MESSAGE + estimate_tokens(m.text()) for m in messages)
        done = estimate_tokens(completion)
        return cls(prompt_tokens=prompt, completion_tokens=done, total_tokens=prompt + done)


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
    system_fingerprint: str | None = None
    choices: list[CompletionChoice]
    usage: Usage = Field(..., description="词元数的估算（见 Usage），不是分词器的精确计数")
    citations: list[Passage]
    refused: bool
    mode: Mode
    notice: str | None = None
