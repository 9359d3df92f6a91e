"""/api/documents: list, upload, re-status and withdraw documents (admin key required).

The key is checked before the request body is read (the upload is parsed by hand for that reason), so
nobody without it can make the server store even a temporary file. Every route works on one knowledge base,
`?kb=NAME` (default: `default`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from assistant.api.deps import KnowledgeBaseDep, is_admin
from assistant.api.schemas import ErrorResponse
from assistant.errors import ConflictError, RejectedUploadError, UploadTooLargeError
from assistant.types import DocumentRecord
from assistant.validation import DEFAULT_KB, KbName

router = APIRouter(tags=["文档管理"])
ERRORS = {401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
          503: {"model": ErrorResponse}, 404: {"model": ErrorResponse, "description": "没有该知识库（或该文档）"}}
TEXT_FIELDS = ("kind", "title", "status", "supersedes", "replace")


def require_admin(request: Request) -> None:
    """`Authorization: Bearer <key>` or `X-Admin-Key: <key>`, compared in constant time."""
    if not request.app.state.settings.admin_key.get_secret_value():
        raise HTTPException(403, "文档管理接口未启用：请设置 ASSISTANT_ADMIN_KEY")
    if not is_admin(request):
        raise HTTPException(401, "需要有效的管理密钥（请求头 Authorization: Bearer <密钥>）",
                            headers={"WWW-Authenticate": "Bearer"})


def require_one_writer(request: Request) -> None:
    """Several worker processes on one embedded index read it well, but a change written by one leaves the
    others' Chroma unable to read it (docs/deployment.md): changes need the Chroma server, or one process."""
    settings = request.app.state.settings
    if settings.workers > 1 and not settings.chroma_url:
        raise ConflictError(f"当前以 {settings.workers} 个工作进程共用嵌入式索引运行，不能在线修改文档或知识库：请改用 Chroma "
                            "服务模式（设置 ASSISTANT_CHROMA_URL），或以单进程运行（--workers 1）后再修改")


Admin = [Depends(require_admin)]
AdminWrite = [*Admin, Depends(require_one_writer)]  # the key check first: a caller without it learns nothing
KbQuery = Annotated[KbName, Query(alias="kb", description=f"知识库（默认 {DEFAULT_KB}）")]


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    doc_id: str
    title: str
    doc_number: str
    kind: str
    status: str
    superseded_by: str
    issuer: str
    date: str
    chunks: int
    ingested_at: str
    pinned: bool = Field(description="状态由管理员设定（重新入库时保留）")

    @classmethod
    def of(cls, record: DocumentRecord) -> DocumentOut:
        return cls(chunks=len(record.chunk_ids), **{k: getattr(record, k) for k in cls.model_fields if k != "chunks"})


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class UploadResult(BaseModel):
    document: DocumentOut
    superseded: DocumentOut | None = Field(None, description="被新文档替代、已标为 superseded 的文档")
    replaced: bool = Field(description="是否覆盖了同名的已上传文档")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["in_force", "superseded"] | None = Field(None, description="in_force 或 superseded")
    superseded_by: str | None = Field(None, description="替代它的文档 id；设定时状态自动为 superseded")


class Withdrawn(BaseModel):
    deleted: str
    note: str


UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "一个文件：.txt .md .docx .pdf .html"},
        "kind": {"type": "string", "description": "policy / regulation / regulation_collection / case_collection / "
                                                  "interpretation；留空自动识别"},
        "title": {"type": "string", "description": "标题（留空取自正文）"},
        "status": {"type": "string", "enum": ["in_force", "superseded"]},
        "supersedes": {"type": "string", "description": "它替代的文档 id：该文档随即标为 superseded"},
        "replace": {"type": "boolean", "description": "覆盖同名的已上传文档"}}}}}}}


@router.get("/api/documents", response_model=DocumentList, dependencies=Admin, responses=ERRORS)
async def list_documents(kb: KnowledgeBaseDep, name: KbQuery = DEFAULT_KB) -> DocumentList:
    """Every document of the knowledge base."""
    service = await kb.documents(name)
    return DocumentList(documents=[DocumentOut.of(r) for r in await run_in_threadpool(service.list)])


@router.get("/api/documents/{doc_id:path}", response_model=DocumentOut, dependencies=Admin,
            responses={**ERRORS, 404: {"model": ErrorResponse}})
async def get_document(doc_id: str, kb: KnowledgeBaseDep, name: KbQuery = DEFAULT_KB) -> DocumentOut:
    service = await kb.documents(name)
    return DocumentOut.of(await run_in_threadpool(service.get, doc_id))


@router.post("/api/documents", status_code=201, response_model=UploadResult, dependencies=AdminWrite,
             openapi_extra=UPLOAD_BODY, responses={**ERRORS, 400: {"model": ErrorResponse},
                                                   404: {"model": ErrorResponse}, 409: {"model": ErrorResponse},
                                                   413: {"model": ErrorResponse}, 415: {"model": ErrorResponse}})
async def upload_document(request: Request, kb: KnowledgeBaseDep, name: KbQuery = DEFAULT_KB) -> UploadResult:
    """Upload one file (multipart field `file`) and index it; searchable as soon as this returns."""
    service = await kb.documents(name)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > service.max_bytes + 65536:
        raise UploadTooLargeError(f"文件超过上限 {service.max_bytes // (1024 * 1024)} MB")
    try:
        form = await request.form(max_files=1, max_fields=len(TEXT_FIELDS), max_part_size=4096)
    except Exception as err:  # noqa: BLE001 - malformed multipart bodies raise several kinds
        raise RejectedUploadError(f"请求体应为 multipart/form-data，含一个文件字段 file（{type(err).__name__}）") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RejectedUploadError("缺少文件字段 file（multipart/form-data）")
        data = await upload.read(service.max_bytes + 1)
        fields = {k: form[k] for k in TEXT_FIELDS if isinstance(form.get(k), str)}
    finally:
        await form.close()
    result = await run_in_threadpool(
        service.add, upload.filename or "", data, kind=fields.get("kind", ""), title=fields.get("title", ""),
        status=fields.get("status", ""), supersedes=fields.get("supersedes", ""),
        replace=fields.get("replace", "").strip().lower() in {"1", "true", "yes", "on"})
    return UploadResult(document=DocumentOut.of(result.document), replaced=result.replaced,
                        superseded=DocumentOut.of(result.superseded) if result.superseded else None)


@router.patch("/api/documents/{doc_id:path}", response_model=DocumentOut, dependencies=AdminWrite,
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": StatusChange.model_json_schema()}}}},
              responses={**ERRORS, 400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}})
async def change_status(doc_id: str, request: Request, kb: KnowledgeBaseDep,
                        name: KbQuery = DEFAULT_KB) -> DocumentOut:
    """Mark a document in force or superseded (search ranks it below its successor at once)."""
    service = await kb.documents(name)
    try:  # read by hand, after the key check: FastAPI would parse a declared body before the dependencies
        body = StatusChange.model_validate_json(await request.body())
    except ValidationError as err:
        raise RequestValidationError(err.errors()) from None
    return DocumentOut.of(await run_in_threadpool(service.set_status, doc_id, body.status, body.superseded_by))


@router.delete("/api/documents/{doc_id:path}", response_model=Withdrawn, dependencies=AdminWrite,
               responses={**ERRORS, 404: {"model": ErrorResponse}})
async def delete_document(doc_id: str, kb: KnowledgeBaseDep, name: KbQuery = DEFAULT_KB) -> Withdrawn:
    """Withdraw a document: out of the index at once; its uploaded file is moved aside, not deleted."""
    service = await kb.documents(name)
    removed = await run_in_threadpool(service.remove, doc_id)
    return Withdrawn(deleted=removed.document.doc_id, note=removed.note)
