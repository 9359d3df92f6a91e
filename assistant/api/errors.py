"""Domain errors and bad input → JSON with a Chinese message; never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from assistant.errors import (
    AssistantError, ConfigError, ConflictError, IndexMissingError, IndexModelMismatchError, NotFoundError,
    RejectedUploadError, StoreUnavailableError,
)

log = logging.getLogger("assistant.api")

_TYPE_MESSAGES = {
    "json_invalid": "请求体不是合法的 JSON",
    "missing": "缺少必填字段",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "dict_type": "应为对象",
    "extra_forbidden": "不允许的字段",
    "model_attributes_type": "应为对象",
    "bool_type": "应为布尔值（true 或 false）",
    "bool_parsing": "应为布尔值（true 或 false）",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
}
_BODY_MESSAGES = {"missing": "请求体不能为空：应为 JSON 对象", "model_attributes_type": "请求体应为 JSON 对象"}
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_UNPARSEABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 for a body that is not UTF-8


def _contextual(kind: str, ctx: dict) -> str | None:
    """Messages that need the error's context (allowed values, lengths)."""
    if kind == "literal_error":
        return "取值应为 " + str(ctx.get("expected", "")).replace(" or ", " 或 ")
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    return None


def _message(error: dict) -> str:
    loc = "" if error.get("type") == "json_invalid" else ".".join(
        str(p) for p in error.get("loc", ()) if p != "body")
    msg, kind = error.get("msg", ""), error.get("type", "")
    if not loc and kind in _BODY_MESSAGES:
        return _BODY_MESSAGES[kind]
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    else:
        msg = _contextual(kind, error.get("ctx") or {}) or _TYPE_MESSAGES.get(kind, msg)
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
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": "；".join(_message(e) for e in exc.errors())})

    @app.exception_handler(AssistantError)
    async def _domain(_: Request, exc: AssistantError) -> JSONResponse:
        status = 500
        # ConfigError: a setting that keeps the index from loading (an unwritable cache…): unavailable, not a bug
        if isinstance(exc, (IndexMissingError, StoreUnavailableError, IndexModelMismatchError, ConfigError)):
            status = 503
        elif isinstance(exc, NotFoundError):
            status = 404
        elif isinstance(exc, RejectedUploadError):
            status = exc.status
        elif isinstance(exc, ConflictError):
            status = 409
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(status_code=500, content={"detail": "服务内部错误，请稍后再试或联系管理员"})
