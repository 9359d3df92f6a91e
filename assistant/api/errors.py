"""Domain errors and bad input → JSON with a Chinese message; never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from assistant.errors import AssistantError
from assistant.validation import describe, field_at

log = logging.getLogger("assistant.api")

_BODY_MESSAGES = {"missing": "请求体不能为空：应为 JSON 对象", "model_attributes_type": "请求体应为 JSON 对象"}
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_UNPARSEABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 for a body that is not UTF-8


def _message(request: Request, error: dict) -> str:
    """`field：message` in Chinese; the field's declaration (title, bounds) is found through the route."""
    parts = tuple(p for p in error.get("loc", ()) if p != "body")
    loc = "" if error.get("type") == "json_invalid" else ".".join(map(str, parts))
    if not loc and error.get("type") in _BODY_MESSAGES:
        return _BODY_MESSAGES[error["type"]]
    route = request.scope.get("route")
    body = getattr(getattr(route, "body_field", None), "field_info", None)
    msg = describe(error, field_at(getattr(body, "annotation", None), parts))
    return f"{loc}：{msg}" if loc else msg


def _allowed_methods(request: Request) -> str:
    """Every method some route of this path takes (Starlette's 405 names only the first route's)."""
    routes = request.app.router.routes
    return ", ".join(m for m in _METHODS if any(
        r.matches({**request.scope, "method": m})[0] == Match.FULL for r in routes))


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        """Framework errors in Chinese; our own HTTPExceptions (already Chinese) pass unchanged."""
        if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:  # the same mistake as invalid JSON
            return JSONResponse(status_code=422, content={"detail": "请求体不是合法的 JSON（应为 UTF-8 编码）"})
        if exc.status_code == 405:
            allow = _allowed_methods(request)
            return JSONResponse(status_code=405, headers={**(exc.headers or {}), "Allow": allow},
                                content={"detail": f"该地址不支持 {request.method} 请求（支持：{allow}）"})
        if exc.status_code == 404 and exc.detail == "Not Found":
            return JSONResponse(status_code=404, headers=exc.headers, content={"detail": "未找到该地址"})
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": "；".join(_message(request, e) for e in exc.errors())})

    @app.exception_handler(AssistantError)
    async def _domain(_: Request, exc: AssistantError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(status_code=500, content={"detail": "服务内部错误，请稍后再试或联系管理员"})
