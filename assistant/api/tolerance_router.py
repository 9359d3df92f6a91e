"""POST /api/tolerance: does my situation qualify for 容错? A cited checklist, not a verdict."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, BeforeValidator, Field

from assistant.api.deps import KnowledgeBaseDep
from assistant.api.schemas import KB_ERRORS, ErrorResponse, KbField
from assistant.tolerance.service import MAX_CHARS, MIN_CHARS, MIN_HAN, check_situation
from assistant.tolerance.types import ToleranceAssessment
from assistant.validation import KbName

router = APIRouter(tags=["容错初筛"])

# check_situation runs first and keeps its Chinese messages, which say what a cadre should tell. The schema
# states what it enforces: at least MIN_CHARS characters once stripped (two non-blanks MIN_CHARS - 1 apart),
# and MIN_HAN Chinese characters. Two plain patterns, not one with a lookahead: schema fuzzers take minutes
# to satisfy that.
SituationText = Annotated[str, BeforeValidator(check_situation), Field(
    min_length=MIN_CHARS, max_length=MAX_CHARS, title="情况描述",
    description=f"干部对自身情况的描述（中文，{MIN_CHARS}–{MAX_CHARS} 字）：做了什么、为什么、怎么决策的、"
                "有没有得到好处、后果如何",
    json_schema_extra={"pattern": rf"\S[\s\S]{{{MIN_CHARS - 2}}}\S",
                       "allOf": [{"pattern": rf"[\u4e00-\u9fff](?:[\s\S]*[\u4e00-\u9fff]){{{MIN_HAN - 1}}}"}]})]


class ToleranceRequest(BaseModel):
    situation: SituationText
    kb: KbName = KbField


@router.post("/api/tolerance", response_model=ToleranceAssessment,
             responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}, **KB_ERRORS})
async def tolerance(body: ToleranceRequest, kb: KnowledgeBaseDep, request: Request) -> ToleranceAssessment:
    """Factors read from the situation, an outlook with cited reasoning, the rules, similar cases,
    the procedure and what still needs saying. The decision rests with the Party organisation."""
    service = await kb.tolerance(body.kb)
    result = await run_in_threadpool(service.assess, body.situation)
    request.app.state.question_log.tolerance(request, body.situation, result)
    return result
