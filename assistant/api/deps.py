"""Dependencies of the routers: the parts the app loaded (assistant/components.py), or why there are none;
and the request's knowledge base, once the caller is found to be allowed it."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from assistant.chat import Chat
from assistant.components import Components
from assistant.course import CoursePackBuilder
from assistant.documents.service import DocumentService
from assistant.errors import ForbiddenError, IndexMissingError
from assistant.retrieval.hybrid import HybridRetriever
from assistant.tolerance import ToleranceService
from assistant.validation import DEFAULT_KB
from assistant.widget.access import KEY_HEADER

T = TypeVar("T")


def get_components(request: Request) -> Components:
    """The loaded parts, or the reason there are none (→ 503 telling the operator what to run)."""
    parts = request.app.state.components
    if parts is None:
        err = request.app.state.load_error
        raise err if err else IndexMissingError("索引尚未加载：请先运行 assistant ingest")
    return parts


ComponentsDep = Annotated[Components, Depends(get_components)]


# --- knowledge bases ------------------------------------------------------------------------------------
def is_admin(request: Request) -> bool:
    """`Authorization: Bearer <admin key>` or `X-Admin-Key: <admin key>`, compared in constant time."""
    key = request.app.state.settings.admin_key.get_secret_value()
    given = request.headers.get("x-admin-key", "")
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        given = auth[7:].strip()
    return bool(key and given) and hmac.compare_digest(given.encode(), key.encode())


class KnowledgeBase:
    """The request's knowledge base (the `kb` its body or query names, `default` when none): checked against
    what the caller may use (assistant/widget/access.py: 403), then opened (unknown → 404). The request's
    `state.kb` names it for the question log."""

    def __init__(self, request: Request):
        self.request = request

    def may_use(self, kb: str) -> bool:
        """Whether this caller may ask knowledge base `kb` (the admin key: any)."""
        allowed = self.request.app.state.widget_access.kbs_for(self.request.headers.get(KEY_HEADER))
        return kb in allowed or "*" in allowed or is_admin(self.request)

    def _allowed(self, kb: str | None) -> str:
        kb = kb or DEFAULT_KB
        if not self.may_use(kb):
            raise ForbiddenError(f"无权使用知识库「{kb}」：请联系管理员把它加入此组件密钥的可用知识库")
        self.request.state.kb = kb
        return kb

    def parts(self, kb: str | None, open_new: bool = True) -> Components | None:
        """The parts of the named knowledge base, if this caller may use it (blocking: opens it when new;
        `open_new=False`: None instead)."""
        kb = self._allowed(kb)
        if kb == DEFAULT_KB:
            return get_components(self.request)
        kbs = self.request.app.state.kbs
        return kbs.get(kb) if open_new else kbs.opened(kb)

    async def _service(self, kb: str | None, name: str, get: Callable[[Components], T]) -> T:
        """A service of the knowledge base: at once when it is open and the service built (every request but
        the first), else built off the event loop. A hop to a worker thread costs each request a wait for the
        GIL when many are in flight."""
        parts = self.parts(kb, open_new=False)
        if parts is not None and parts.has(name):
            return get(parts)
        return await run_in_threadpool(lambda: get(self.parts(kb)))

    async def retriever(self, kb: str | None) -> HybridRetriever:
        return await self._service(kb, "retriever", Components.retriever)

    async def chat(self, kb: str | None) -> Chat:
        return await self._service(kb, "chat", Components.chat)

    async def tolerance(self, kb: str | None) -> ToleranceService:
        return await self._service(kb, "tolerance", Components.tolerance)

    async def course(self, kb: str | None) -> CoursePackBuilder:
        return await self._service(kb, "course", Components.course)

    async def documents(self, kb: str | None) -> DocumentService:
        return await self._service(kb, "documents", Components.documents)


async def knowledge_base(request: Request) -> KnowledgeBase:
    # async: FastAPI runs a plain class or def dependency in a worker thread, one more hop per request
    return KnowledgeBase(request)


KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(knowledge_base)]
