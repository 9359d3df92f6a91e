"""Request and response models of POST /api/tolerance (also the `tolerance` field of /api/chat)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from assistant.api.schemas import CitationOut
from assistant.tolerance.service import MAX_CHARS, MIN_CHARS, MIN_HAN, check_situation

# What check_situation enforces, stated in the schema (the validator keeps its Chinese messages): at least
# MIN_CHARS characters once stripped (two non-blanks MIN_CHARS - 1 apart), and MIN_HAN Chinese characters.
# Two plain patterns, not one with a lookahead: schema fuzzers take minutes to satisfy that.
SITUATION_SCHEMA = {"minLength": MIN_CHARS, "maxLength": MAX_CHARS, "pattern": rf"\S[\s\S]{{{MIN_CHARS - 2}}}\S",
                    "allOf": [{"pattern": rf"[\u4e00-\u9fff](?:[\s\S]*[\u4e00-\u9fff]){{{MIN_HAN - 1}}}"}]}


class ToleranceRequest(BaseModel):
    situation: str = Field(..., description="干部对自身情况的描述（中文，20–3000 字）：做了什么、为什么、怎么决策的、"
                                            "有没有得到好处、后果如何", json_schema_extra=SITUATION_SCHEMA)

    @field_validator("situation")
    @classmethod
    def _situation(cls, value: str) -> str:
        return check_situation(value)


class FactorOut(BaseModel):
    factor: Literal["motive", "knowingly", "prohibition", "exploratory", "collective", "consequences", "remedy"]
    name: str = Field(..., description="因素名称")
    verdict: Literal["supports", "against", "not stated"] = Field(..., description="有利于容错 / 不利于容错 / 未说明")
    evidence: list[str] = Field(..., description="描述中表明这一点的原话（逐字摘录）")
    ground: str = Field("", description="依据的说法，如「没有谋取私利」「明令禁止后依然我行我素」")


class RulePassageOut(BaseModel):
    n: int = Field(..., description="citations 中的编号")
    title: str
    doc_number: str
    where: str = Field(..., description="条款或章节")
    quote: str = Field(..., description="原文（逐字摘录）")


class SimilarCaseOut(BaseModel):
    n: int
    title: str
    case_no: str
    outcome: str = Field(..., description="容错免责 / 问责 / 问责被纠正")
    result: str = Field(..., description="处理结果原文")
    why: str = Field(..., description="容错案例：案例中说明理由的原文；问责案例：所涉问题")
    why_n: int | None = Field(None, description="why 所在条文的编号")


class ProcedureStepOut(BaseModel):
    step: str
    text: str
    n: int | None = Field(None, description="依据的条文编号；知识库未作规定时为 null")
    quote: str = ""


PassageOut = CitationOut  # the numbered passages: the same shape as a chat citation


class ToleranceResponse(BaseModel):
    outlook: Literal["likely_tolerable", "unlikely", "insufficient_information"]
    outlook_label: str
    reasoning: str = Field(..., description="两到三句，每句以 [n] 标注依据")
    factors: list[FactorOut]
    criteria: list[RulePassageOut] = Field(..., description="容错的条件")
    exclusions: list[RulePassageOut] = Field(..., description="不予容错的情形")
    similar_cases: list[SimilarCaseOut]
    procedure: list[ProcedureStepOut] = Field(..., description="如何申请、由谁决定")
    questions_to_clarify: list[str] = Field(..., description="描述中未说明、需要补充的情况")
    reminder: str = Field(..., description="是否容错由党组织依规决定")
    citations: list[PassageOut]
    key_citations: list[int] = Field(..., description="“三个区分开来”所在条文与容错案例的编号")
    mode: Literal["rules", "llm"]
    notice: str | None = None
