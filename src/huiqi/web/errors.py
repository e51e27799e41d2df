"""Errors as JSON: ``{"error": {"code", "message", "fields": [{"field", "message"}]}}``.

``HuiqiError`` subclasses map through their ``http_status``; FastAPI's request validation becomes a 422
with a Chinese message per field; pages (not under ``/api``) get the same message as an HTML page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from huiqi.errors import HuiqiError, ProfileError

log = logging.getLogger("huiqi.web")


class FieldError(BaseModel):
    field: str = Field(description="the field, as a dotted path (`firm.region`, `events[1].date`, `q`)")
    message: str = Field(description="what is wrong, in Chinese")


class ErrorDetail(BaseModel):
    code: str = Field(description="a stable machine code: profile, not_found, query, validation, too_large …")
    message: str = Field(description="for people, in Chinese")
    fields: list[FieldError] = []


class ErrorBody(BaseModel):
    error: ErrorDetail


class WebError(HuiqiError):
    """An error raised by the web layer itself (upload too large, unknown job …)."""

    def __init__(self, message: str, *, status: int, code: str, fields: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.web_code = code
        self.fields = list(fields)


# Declared on every route so the OpenAPI document shows the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in ((404, "不存在"), (413, "文件过大"), (422, "输入有误"))
}

_PYDANTIC_MESSAGES = {
    "missing": "缺少此字段",
    "extra_forbidden": "不认识的字段",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON",
    "dict_type": "应为对象（键值对）",
    "model_type": "应为对象（键值对）",
    "model_attributes_type": "应为对象（键值对）",
    "list_type": "应为列表",
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "date_type": "不是有效日期（应为 YYYY-MM-DD）",
    "date_parsing": "不是有效日期（应为 YYYY-MM-DD，且日期真实存在）",
    "date_from_datetime_parsing": "不是有效日期（应为 YYYY-MM-DD，且日期真实存在）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不含时间",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
    "string_too_short": "不能为空",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "enum": "不在可选范围内（可选：{expected}）",
    "literal_error": "不在可选范围内（可选：{expected}）",
    "value_error": "取值有误",
}
_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_path(loc: Sequence[str | int]) -> str:
    parts = list(loc)
    if len(parts) > 1 and parts[0] in _LOCATIONS:
        parts = parts[1:]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def chinese(error: dict[str, Any]) -> str:
    template = _PYDANTIC_MESSAGES.get(str(error.get("type")))
    if template is None:
        return f"取值有误（{error.get('msg', '')}）"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


def validation_detail(errors: Sequence[Any]) -> ErrorDetail:
    fields = [FieldError(field=field_path(e.get("loc", ())), message=chinese(e)) for e in errors]
    return ErrorDetail(code="validation", message=f"请求有 {len(fields)} 处错误", fields=fields)


def huiqi_detail(exc: HuiqiError) -> tuple[int, ErrorDetail]:
    if isinstance(exc, WebError):
        return exc.status, ErrorDetail(code=exc.web_code, message=exc.message, fields=exc.fields)
    fields = []
    if isinstance(exc, ProfileError):
        fields = [FieldError(field=p.field, message=p.message) for p in exc.problems]
    elif exc.source.field:
        fields = [FieldError(field=exc.source.field, message=exc.message)]
    return exc.http_status, ErrorDetail(code=exc.code, message=str(exc).split("\n")[0], fields=fields)


_HTTP_MESSAGES = {
    404: ("not_found", "页面或资源不存在"),
    405: ("method_not_allowed", "不支持此请求方法"),
    413: ("too_large", "请求过大"),
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", "")


def respond(request: Request, status: int, detail: ErrorDetail) -> Response:
    if _wants_json(request):
        return JSONResponse(ErrorBody(error=detail).model_dump(), status_code=status)
    pages: Jinja2Templates = request.app.state.templates
    return pages.TemplateResponse(
        request, "error.html", {"status": status, "detail": detail, "nav": ""}, status_code=status
    )


def install(app: FastAPI) -> None:
    async def on_huiqi(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HuiqiError)
        status, detail = huiqi_detail(exc)
        if status >= 500:
            log.error("huiqi error on %s: %s", request.url.path, exc)
        return respond(request, status, detail)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return respond(request, 422, validation_detail(exc.errors()))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code, message = _HTTP_MESSAGES.get(exc.status_code, ("http", str(exc.detail)))
        return respond(request, exc.status_code, ErrorDetail(code=code, message=message))

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return respond(request, 500, ErrorDetail(code="internal", message="服务器内部错误，请稍后重试"))

    app.add_exception_handler(HuiqiError, on_huiqi)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
