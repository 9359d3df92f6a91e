"""Input rules shared by the settings, the API and the CLI: what a question or an origin must be, and
pydantic's validation errors in Chinese (one translation, used by the API's 422 and by the CLI)."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from assistant.errors import AssistantError

MAX_QUESTION_CHARS = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}
NOT_BLANK = r"\S"

QuestionText = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=NOT_BLANK, title="问题",
                                    description=f"问题，1–{MAX_QUESTION_CHARS} 字")]

DEFAULT_KB = "default"
# a knowledge base is a set of Chroma collections named after it (assistant/store/knowledge_bases.py): Chroma's
# collection-name rules (letters, digits, . _ -, alphanumeric at both ends), narrowed to lower case and no dots
KB_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,30}[a-z0-9])?$"
KB_RULE = "知识库名称应为 1–32 个小写字母、数字、_ 或 -，首尾为字母或数字，如 jiwei、zuzhibu-2024"
KbName = Annotated[str, Field(min_length=1, max_length=32, pattern=KB_PATTERN, title="知识库",
                              description=f"知识库名称（默认 {DEFAULT_KB}）；{KB_RULE}")]


def normalise_origin(origin: str) -> str | None:
    """'HTTPS://Portal.Example.cn:443/' → 'https://portal.example.cn'; None when it is not an http(s) origin
    (a scheme, a host and at most a port: no path, query, fragment or user)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:  # a port out of range or not a number
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else "")


# --- pydantic's errors in Chinese ------------------------------------------------------------------------
_TYPES = {
    "json_invalid": "请求体不是合法的 JSON",
    "missing": "缺少必填字段",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
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
_BOUNDS = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")


def describe(error: dict, field: FieldInfo | None = None) -> str:
    """One pydantic error as a Chinese sentence; `field` (when known) gives the noun (its title) and both
    bounds of a range."""
    kind, ctx, given = error.get("type", ""), error.get("ctx") or {}, error.get("input")
    noun = field.title if field is not None and field.title else ""
    size = len(given) if isinstance(given, str | list | dict) else 0
    match kind:
        case "string_too_short":
            low = ctx.get("min_length", 1)
            return f"{noun}不能为空" if low <= 1 else f"{noun}过短：至少 {low} 字，当前 {size} 字"
        case "string_too_long":
            return f"{noun}过长：最多 {ctx.get('max_length')} 字，当前 {size} 字"
        case "string_pattern_mismatch" if ctx.get("pattern") == NOT_BLANK:
            return f"{noun}不能为空"
        case "string_pattern_mismatch" if ctx.get("pattern") == KB_PATTERN:
            return KB_RULE
        case "string_pattern_mismatch":
            return f"{noun}格式不符合要求"
        case "too_short":
            return f"{noun}至少需要 {ctx.get('min_length')} 项"
        case "too_long":
            return f"{noun}过长：最多 {ctx.get('max_length')} 条，当前 {ctx.get('actual_length', size)} 条"
        case "literal_error" | "enum":
            expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", " 或 ")
            return f"只支持 {expected}（取值应为其中之一）"
        case "value_error":
            return str(error.get("msg", "")).removeprefix("Value error, ")
        case _ if kind in _BOUNDS:
            low, high = _bounds(field)
            if low is not None and high is not None:
                return f"应在 {low} 到 {high} 之间"
            limit = next(iter(ctx.values()), "")
            return f"应{'不小于' if kind.startswith('greater') else '不大于'} {limit}"
    return _TYPES.get(kind, str(error.get("msg", "")))


def _bounds(field: FieldInfo | None) -> tuple[Any, Any]:
    low = high = None
    for item in field.metadata if field is not None else ():
        low = getattr(item, "ge", getattr(item, "gt", low))
        high = getattr(item, "le", getattr(item, "lt", high))
    return low, high


def field_at(model: type | None, loc: tuple) -> FieldInfo | None:
    """The field a validation error's `loc` points at inside `model` (list indexes and unions walked through)."""
    field = None
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        field = model.model_fields[part]
        model = _model_in(field.annotation)
    return field


def _model_in(annotation: Any) -> type | None:
    """The pydantic model inside `list[M] | None` and the like, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, tuple, typing.Annotated):
        return next((m for a in typing.get_args(annotation) if (m := _model_in(a)) is not None), None)
    return None


def check(annotation: Any, value: Any, error: type[Exception] = AssistantError) -> Any:
    """`value` validated against an annotated type (such as QuestionText): for the CLI, and for a model
    validator that checks a derived value (`error=ValueError`); the message is the one the API gives."""
    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError as err:
        field = FieldInfo.from_annotation(annotation)
        raise error("；".join(describe(e, field) for e in err.errors())) from None
