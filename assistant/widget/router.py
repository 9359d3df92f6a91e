"""GET /widget.js (the embeddable chat widget) and GET /demo (a mock portal page that embeds it)."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import Response

router = APIRouter(tags=["嵌入组件"])
JS_TYPE = "application/javascript; charset=utf-8"
# The demo page may load nothing from elsewhere; inline script stays allowed so that, were the widget ever
# to turn document text into markup, the browser test would see the script run rather than CSP hide it.
DEMO_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'")


@cache
def static_file(name: str) -> tuple[bytes, str]:
    """A file shipped in assistant/widget/static, and its ETag (package data: read once)."""
    data = resources.files("assistant.widget").joinpath("static", name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:16] + '"'


@router.get("/widget.js", response_class=Response,
            responses={200: {"content": {JS_TYPE: {}}}, 304: {"description": "If-None-Match 与 ETag 相同：未改变"}})
def widget_js(request: Request) -> Response:
    """The widget: `<script src="https://助手地址/widget.js" data-key="…" async></script>`."""
    data, etag = static_file("widget.js")
    headers = {"Cache-Control": "public, max-age=300", "ETag": etag, "X-Content-Type-Options": "nosniff",
               "Cross-Origin-Resource-Policy": "cross-origin"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=JS_TYPE, headers=headers)


@router.get("/demo", response_class=Response, responses={200: {"content": {"text/html": {}}}})
def demo() -> Response:
    """A mock intranet portal, with hostile global CSS, that embeds the widget (for demos and tests)."""
    data, _ = static_file("demo.html")
    return Response(data, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "Content-Security-Policy": DEMO_CSP})
