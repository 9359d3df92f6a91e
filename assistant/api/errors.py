"""Domain errors and bad input → JSON with a Chinese message; never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant.errors import (
    AssistantError, IndexMissingError, IndexModelMismatchError, NotFoundError, StoreUnavailableError,
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
}


def _message(error: dict) -> str:
    loc = "" if error.get("type") == "json_invalid" else ".".join(
        str(p) for p in error.get("loc", ()) if p != "body")
    msg = error.get("msg", "")
    if error.get("type") == "value_error":
        msg = msg.removeprefix("Value error, ")
    else:
        msg = _TYPE_MESSAGES.get(error.get("type", ""), msg)
    return f"{loc}：{msg}" if loc else msg


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": "；".join(_message(e) for e in exc.errors())})

    @app.exception_handler(AssistantError)
    async def _domain(_: Request, exc: AssistantError) -> JSONResponse:
        status = 500
        if isinstance(exc, (IndexMissingError, StoreUnavailableError, IndexModelMismatchError)):
            status = 503
        elif isinstance(exc, NotFoundError):
            status = 404
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(status_code=500, content={"detail": "服务内部错误，请稍后再试或联系管理员"})
