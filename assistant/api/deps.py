"""Dependencies of the routers: the parts the app loaded (assistant/components.py), or why there are none."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.chat import Chat
from assistant.components import Components
from assistant.course import CoursePackBuilder
from assistant.documents.service import DocumentService
from assistant.errors import IndexMissingError
from assistant.retrieval.hybrid import HybridRetriever
from assistant.tolerance import ToleranceService


def get_components(request: Request) -> Components:
    """The loaded parts, or the reason there are none (→ 503 telling the operator what to run)."""
    parts = request.app.state.components
    if parts is None:
        err = request.app.state.load_error
        raise err if err else IndexMissingError("索引尚未加载：请先运行 assistant ingest")
    return parts


ComponentsDep = Annotated[Components, Depends(get_components)]


def get_retriever(parts: ComponentsDep) -> HybridRetriever:
    return parts.retriever()


def get_chat(parts: ComponentsDep) -> Chat:
    return parts.chat()


def get_tolerance(parts: ComponentsDep) -> ToleranceService:
    return parts.tolerance()


def get_course(parts: ComponentsDep) -> CoursePackBuilder:
    return parts.course()


def get_documents(parts: ComponentsDep) -> DocumentService:
    return parts.documents()


RetrieverDep = Annotated[HybridRetriever, Depends(get_retriever)]
ChatDep = Annotated[Chat, Depends(get_chat)]
ToleranceDep = Annotated[ToleranceService, Depends(get_tolerance)]
CourseDep = Annotated[CoursePackBuilder, Depends(get_course)]
DocumentsDep = Annotated[DocumentService, Depends(get_documents)]
