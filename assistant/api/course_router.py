"""POST /api/course-pack: a topic becomes cited handout material for trainers.

- `format: "markdown"` (default) → JSON `{"topic", "markdown", "pack"}`: the Markdown text and the structured
  pack (groups of provisions, cases, terms, questions, sources; every quotation with its source number).
- `format: "docx"` → the Word file (`Content-Disposition: attachment`, the file named after the topic).
Bad input → 422 with a Chinese message; a topic the corpus knows nothing about → 404 with a Chinese message.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator

from assistant.api.deps import get_retriever
from assistant.api.schemas import ErrorResponse
from assistant.course.layout import FORMATS, file_stem
from assistant.course.types import MAX_TOPIC_CHARS, check_topic

router = APIRouter(tags=["课程讲义"])
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_PROVISIONS = 60


class CoursePackRequest(BaseModel):
    # json_schema_extra states what the validators check; they keep their Chinese messages
    topic: str = Field(..., description="讲义主题，1–200 字，如「容错纠错机制」",
                       json_schema_extra={"minLength": 1, "maxLength": MAX_TOPIC_CHARS, "pattern": r"\S"})
    max_provisions: int = Field(20, description=f"最多引用的条文数，1–{MAX_PROVISIONS}",
                                json_schema_extra={"minimum": 1, "maximum": MAX_PROVISIONS})
    include_cases: bool = Field(True, description="是否收录相关案例")
    format: str = Field("markdown", description="markdown 或 docx", json_schema_extra={"enum": list(FORMATS)})

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        return check_topic(value)

    @field_validator("max_provisions")
    @classmethod
    def _max(cls, value: int) -> int:
        if not 1 <= value <= MAX_PROVISIONS:
            raise ValueError(f"应在 1 到 {MAX_PROVISIONS} 之间")
        return value

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value not in FORMATS:
            raise ValueError(f"不支持的格式「{value}」：只支持 markdown 或 docx")
        return value


class CoursePackResponse(BaseModel):
    topic: str
    markdown: str
    pack: dict[str, Any] = Field(..., description="结构化讲义：groups、cases、terms、questions、sources 等")


def attachment(filename: str) -> str:
    """Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"course-pack.docx\"; filename*=UTF-8''{quote(filename)}"


@router.post("/api/course-pack", response_model=CoursePackResponse,
             responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
                        503: {"model": ErrorResponse}, 200: {"content": {DOCX_TYPE: {}}}})
async def course_pack(body: CoursePackRequest, request: Request,
                      retriever: Annotated[object, Depends(get_retriever)]) -> CoursePackResponse | Response:
    """A cited course pack on the topic, as Markdown (JSON) or as a Word file."""
    from assistant.course.builder import CoursePackBuilder

    builder = CoursePackBuilder.from_settings(request.app.state.settings, retriever)
    pack = await run_in_threadpool(builder.build, body.topic, body.max_provisions, body.include_cases)
    if body.format == "docx":
        from assistant.course.docx import render_docx

        data = await run_in_threadpool(render_docx, pack)
        return Response(data, media_type=DOCX_TYPE,
                        headers={"Content-Disposition": attachment(f"{file_stem(pack.topic)}.docx")})
    from assistant.course.markdown import render_markdown

    return CoursePackResponse(topic=pack.topic, markdown=render_markdown(pack), pack=pack.to_dict())
