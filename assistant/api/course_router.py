"""POST /api/course-pack: a topic becomes cited handout material for trainers.

- `format: "markdown"` (default) → JSON `{"topic", "markdown", "pack"}`: the Markdown text and the structured
  pack (groups of provisions, cases, terms, questions, sources; every quotation with its source number).
- `format: "docx"` → the Word file (`Content-Disposition: attachment`, the file named after the topic).
Bad input → 422 with a Chinese message; a topic the corpus knows nothing about → 404 with a Chinese message.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assistant.api.deps import KnowledgeBaseDep
from assistant.api.schemas import KB_ERRORS, ErrorResponse, KbField
from assistant.course.layout import file_stem
from assistant.course.markdown import render_markdown
from assistant.course.types import CoursePack, TopicText
from assistant.validation import KbName

router = APIRouter(tags=["课程讲义"])
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_PROVISIONS = 60


class CoursePackRequest(BaseModel):
    topic: TopicText
    max_provisions: int = Field(20, ge=1, le=MAX_PROVISIONS, description=f"最多引用的条文数，1–{MAX_PROVISIONS}")
    include_cases: bool = Field(True, description="是否收录相关案例")
    format: Literal["markdown", "docx"] = Field("markdown", description="markdown 或 docx")
    kb: KbName = KbField


class CoursePackResponse(BaseModel):
    topic: str
    markdown: str
    pack: CoursePack = Field(..., description="结构化讲义：groups、cases、terms、questions、sources 等")


def attachment(filename: str) -> str:
    """Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"course-pack.docx\"; filename*=UTF-8''{quote(filename)}"


@router.post("/api/course-pack", response_model=CoursePackResponse,
             responses={**KB_ERRORS, 404: {"model": ErrorResponse, "description": "没有该知识库，或它不涉及该主题"},
                        422: {"model": ErrorResponse}, 503: {"model": ErrorResponse},
                        200: {"content": {DOCX_TYPE: {}}}})
async def course_pack(body: CoursePackRequest, kb: KnowledgeBaseDep) -> CoursePackResponse | Response:
    """A cited course pack on the topic from the knowledge base, as Markdown (JSON) or as a Word file."""
    builder = await kb.course(body.kb)
    pack = await run_in_threadpool(builder.build, body.topic, body.max_provisions, body.include_cases)
    if body.format == "docx":
        from assistant.course.docx import render_docx  # python-docx only when a Word file is asked for

        data = await run_in_threadpool(render_docx, pack)
        return Response(data, media_type=DOCX_TYPE,
                        headers={"Content-Disposition": attachment(f"{file_stem(pack.topic)}.docx")})
    return CoursePackResponse(topic=pack.topic, markdown=render_markdown(pack), pack=pack)
