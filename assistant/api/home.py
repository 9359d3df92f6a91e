"""GET / (where to go from the server's address: the demo portal, the API docs, the OpenAI-compatible base URL,
the health checks), GET /docs (Swagger UI) and GET /redoc (ReDoc).

Everything these pages load comes from the installation — Swagger UI's and ReDoc's files ship in the
fastapi-offline package, served under /docs-assets — and a Content-Security-Policy keeps the browser from
fetching anything elsewhere (ReDoc would ask a CDN for its logo): they work on an intranet with no way out.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter()
ASSETS = "/docs-assets"
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
# Swagger UI starts from an inline script; ReDoc runs a web worker from a blob
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'self'")

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>政策知识助手</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;
color:#1f2328;line-height:1.7}h1{font-size:1.6rem;margin-bottom:.2rem}p.lead{color:#57606a;margin-top:0}
ul{padding-left:1.2rem}li{margin:.5rem 0}a{color:#b3261e}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}
</style></head>
<body>
<h1>政策知识助手</h1>
<p class="lead">面向党政干部的政策问答：每个回答都注明出自哪份文件的哪一条。</p>
<ul>
<li><a href="demo">演示门户</a>：嵌入了问答组件的示例页面，点右下角「问」即可提问。</li>
<li><a href="docs">接口文档（Swagger UI）</a> · <a href="redoc">ReDoc</a> · <a href="openapi.json">openapi.json</a></li>
<li>OpenAI 兼容接口：把聊天客户端的 base URL 设为本服务地址加 <code>/v1</code>（模型名 <code>policy-assistant</code>）。</li>
<li>运行状态：<a href="healthz">/healthz</a> · <a href="readyz">/readyz</a> · <a href="metrics">/metrics</a></li>
</ul>
</body></html>
"""


@router.get("/", include_in_schema=False)
def home() -> HTMLResponse:
    """Links to the demo portal, the API docs and the health checks."""
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


@router.get("/docs", include_in_schema=False)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} · 接口文档",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        swagger_ui_parameters={"validatorUrl": None})  # no badge from the online validator
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


@router.get("/redoc", include_in_schema=False)
def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = get_redoc_html(openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} · ReDoc",
                          redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                          redoc_favicon_url=f"{root}{ASSETS}/favicon.png", with_google_fonts=False)
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


def install(app: FastAPI) -> None:
    """/, /docs, /redoc and their files (the app is made with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS, StaticFiles(directory=str(resources.files("fastapi_offline") / "static")), name="docs-assets")
    app.include_router(router)
