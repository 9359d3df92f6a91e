"""/api/kbs: list, create and delete knowledge bases (admin key required, as for /api/documents)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.documents_router import ERRORS, Admin, AdminWrite
from assistant.api.schemas import ErrorResponse
from assistant.validation import KbName

router = APIRouter(tags=["文档管理"])


class KnowledgeBaseOut(BaseModel):
    name: str
    documents: int
    chunks: int


class KnowledgeBaseList(BaseModel):
    kbs: list[KnowledgeBaseOut]


class NewKnowledgeBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KbName = Field(..., description="新知识库的名称")


def _summary(parts, name: str) -> KnowledgeBaseOut:
    records = parts.store.documents()
    return KnowledgeBaseOut(name=name, documents=len(records), chunks=sum(len(r.chunk_ids) for r in records))


@router.get("/api/kbs", response_model=KnowledgeBaseList, dependencies=Admin, responses=ERRORS)
async def list_kbs(request: Request) -> KnowledgeBaseList:
    """Every knowledge base of the store, with its documents and chunks."""
    kbs = request.app.state.kbs

    def summaries() -> list[KnowledgeBaseOut]:
        return [_summary(kbs.get(name), name) for name in kbs.names()]

    return KnowledgeBaseList(kbs=await run_in_threadpool(summaries))


@router.post("/api/kbs", status_code=201, response_model=KnowledgeBaseOut, dependencies=AdminWrite,
             responses={**ERRORS, 400: {"model": ErrorResponse}, 409: {"model": ErrorResponse}})
async def create_kb(body: NewKnowledgeBase, request: Request) -> KnowledgeBaseOut:
    """A new, empty knowledge base; add documents with POST /api/documents?kb=NAME."""
    await run_in_threadpool(request.app.state.kbs.create, body.name)
    return KnowledgeBaseOut(name=body.name, documents=0, chunks=0)


@router.delete("/api/kbs/{name}", response_model=KnowledgeBaseOut, dependencies=AdminWrite,
               responses={**ERRORS, 409: {"model": ErrorResponse}})
async def delete_kb(name: KbName, request: Request) -> KnowledgeBaseOut:
    """Delete a knowledge base and its index (not `default`); files uploaded to it stay on disk."""
    kbs = request.app.state.kbs

    def delete() -> KnowledgeBaseOut:
        gone = _summary(kbs.get(name), name)
        kbs.delete(name)
        return gone

    return await run_in_threadpool(delete)
