"""Readiness, Prometheus metrics and a request id on every response and log line.

Each app has its own registry (no module-level metrics), so several apps in one process — tests, or a
future multi-app server — never share counters.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("assistant.access")
router = APIRouter(tags=["运维"])
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """What an operator watches: traffic and latency by route, refusals, LLM fallbacks, confidence, index size."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("assistant_requests", "HTTP 请求数", ["method", "route", "status"], registry=r)
        self.latency = Histogram("assistant_request_seconds", "HTTP 请求耗时（秒，至响应头发出）", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.answers = Counter("assistant_answers", "回答数", ["mode", "refused"], registry=r)
        self.llm_fallbacks = Counter("assistant_llm_fallbacks", "大模型不可用、改用摘录式回答的次数", registry=r)
        self.confidence = Histogram("assistant_retrieval_confidence", "回答时的检索置信度",
                                    buckets=tuple(i / 10 for i in range(1, 11)), registry=r)
        self.index_documents = Gauge("assistant_index_documents", "索引中的文档数", registry=r)
        self.index_chunks = Gauge("assistant_index_chunks", "索引中的片段数", registry=r)

    def observe_answer(self, refused: bool, mode: str, notice: str | None, confidence: float | None = None) -> None:
        self.answers.labels(mode=mode, refused=str(refused).lower()).inc()
        if notice and "大模型服务暂不可用" in notice:
            self.llm_fallbacks.inc()
        if confidence is not None:
            self.confidence.observe(confidence)


def install(app: FastAPI) -> None:
    """Metrics on app.state, the request-id/latency middleware, and /readyz, /metrics."""
    app.state.metrics = Metrics()
    app.include_router(router)

    app.add_middleware(RequestIdAndMetrics)


class RequestIdAndMetrics:
    """Every request: its id (the caller's `X-Request-ID`, else a new one) on `request.state` and the response,
    its count and latency in the metrics, one JSON line in the access log. Plain ASGI: Starlette's
    `@app.middleware("http")` runs each request through a task group and memory streams, about a millisecond
    of a repeated search's six."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")[:64]
        rid = given or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = rid
                _record(scope, message["status"], time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, send_with_id)


def _record(scope: Scope, status: int, seconds: float) -> None:
    route = getattr(scope.get("route"), "path", "unmatched")
    metrics: Metrics = scope["app"].state.metrics
    metrics.requests.labels(scope["method"], route, str(status)).inc()
    metrics.latency.labels(route).observe(seconds)
    log.info(json.dumps({"event": "request", "request_id": scope["state"]["request_id"], "method": scope["method"],
                         "route": route, "status": status, "ms": round(seconds * 1000, 1)}, ensure_ascii=False))


NOT_READY = {503: {"description": "索引未加载或向量库不可用", "content": {"application/json": {"schema": {
    "type": "object", "required": ["status", "detail"],
    "properties": {"status": {"const": "unavailable"}, "detail": {"type": "string"}}}}}}}


@router.get("/readyz", responses=NOT_READY)
async def readyz(request: Request):
    """200 when the index is loaded and the store answers; 503 with the reason otherwise. Started from the
    cached snapshot, the app is ready while it opens the store to check it (searches do not need the store)."""
    retriever = request.app.state.retriever
    if retriever is None:
        err = request.app.state.load_error
        return JSONResponse({"status": "unavailable", "detail": str(err) if err else "索引尚未加载"}, status_code=503)
    check = getattr(request.app.state, "store_check", None)
    if not retriever.store.opened and check is not None and check.is_alive():
        return {"status": "ready", "chunks": len(retriever.chunks), "store": "checking"}
    try:
        count = await run_in_threadpool(retriever.store.chunks.count)
    except Exception as err:  # noqa: BLE001 - any store failure means "not ready", said plainly
        return JSONResponse({"status": "unavailable", "detail": f"向量库不可用：{err}"}, status_code=503)
    return {"status": "ready", "chunks": count}


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    """Prometheus text format."""
    m: Metrics = request.app.state.metrics
    retriever = request.app.state.retriever
    if retriever is not None:
        chunks = retriever.chunks
        m.index_chunks.set(len(chunks))
        m.index_documents.set(len({c.doc_id for c in chunks}))
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
