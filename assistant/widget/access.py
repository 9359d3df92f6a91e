"""Who may call the widget-facing API from a browser: widget keys, their allowed origins, CORS and rate limits.

Rules, for POST /api/chat, /api/chat/stream and /api/search:
- a request with an `Origin` header must come from an origin listed for its `X-Widget-Key`
  (`ASSISTANT_WIDGET_KEYS`); otherwise 403 with a Chinese message and no CORS grant. An allowed request
  gets `Access-Control-Allow-Origin` for exactly that origin (never `*`, never credentials);
- with no keys configured (development) any key — or none — is accepted from http(s)://localhost,
  127.0.0.1 or [::1] on any port, and nothing else;
- a CORS preflight (OPTIONS) carries no key, so it is granted when some key allows the origin;
- requests without `Origin` (curl, server to server) pass as before;
- requests carrying a key or an `Origin` are rate-limited per (key, client address) → 429 with `Retry-After`.

Which knowledge bases a request may ask (`kbs_for`, checked by the API's dependencies on every route that
takes `kb`): a known key, those listed under its `kbs` (a key given as a plain list of origins, or without
`kbs`: `default` only); no key, or one not configured: ASSISTANT_OPEN_KBS (`default` unless set; `*` for
all); the admin key: all of them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import WidgetKey
from assistant.validation import DEFAULT_KB, normalise_origin
from assistant.widget.ratelimit import RateLimiter

WIDGET_PATHS = frozenset({"/api/chat", "/api/chat/stream", "/api/search"})
KEY_HEADER = "X-Widget-Key"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class WidgetAccess:
    """The key → allowed origins table (empty means development mode: loopback origins only), and each key's
    knowledge bases."""

    def __init__(self, keys: dict[str, list[str] | WidgetKey], open_kbs: list[str] = (DEFAULT_KB,)):
        scopes = {key: scope if isinstance(scope, WidgetKey) else WidgetKey(origins=scope)
                  for key, scope in keys.items()}
        self.keys = {key: {normalise_origin(o) for o in s.origins} - {None} for key, s in scopes.items()}
        self.key_kbs = {key: frozenset(s.kbs or [DEFAULT_KB]) for key, s in scopes.items()}
        self.open_kbs = frozenset(open_kbs)

    def kbs_for(self, key: str | None) -> frozenset[str]:
        """The knowledge bases a request with this widget key (or none) may ask; `*` in it means all."""
        return self.key_kbs.get(key or "", self.open_kbs)

    @property
    def development(self) -> bool:
        return not self.keys

    def refusal(self, key: str | None, origin: str) -> str | None:
        """Why a browser on `origin` may not use `key` (a Chinese message), or None when it may."""
        clean = normalise_origin(origin)
        if self.development:
            if clean and urlsplit(clean).hostname in LOCAL_HOSTS:
                return None
            return f"本站点（{origin}）未获授权使用问答助手：未配置组件密钥时只允许 localhost 访问"
        if not key:
            return f"缺少组件密钥（{KEY_HEADER}）：请在 script 标签上设置 data-key"
        if key not in self.keys:
            return "组件密钥无效：请检查 script 标签的 data-key"
        if clean not in self.keys[key]:
            return f"本站点（{origin}）未获授权使用问答助手：请联系管理员把该地址加入此密钥的允许来源"
        return None

    def known_origin(self, origin: str) -> bool:
        """Whether some key allows this origin (a preflight carries no key)."""
        if self.development:
            return self.refusal(None, origin) is None
        return normalise_origin(origin) in set().union(*self.keys.values())


class WidgetGuard:
    """ASGI middleware applying the rules above to WIDGET_PATHS (streaming responses pass through untouched)."""

    def __init__(self, app: ASGIApp, access: WidgetAccess, limiter: RateLimiter):
        self.app = app
        self.access = access
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in WIDGET_PATHS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin, key = headers.get("origin"), headers.get(KEY_HEADER)
        cors: dict[str, str] = {}
        if origin is not None:
            preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
            if preflight:
                refusal = None if self.access.known_origin(origin) else f"本站点（{origin}）未获授权使用问答助手"
            else:
                refusal = self.access.refusal(key, origin)
            if refusal:
                await JSONResponse({"detail": refusal}, status_code=403, headers={"Vary": "Origin"})(
                    scope, receive, send)
                return
            cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                    "Access-Control-Expose-Headers": "Retry-After"}
            if preflight:
                await Response(status_code=204, headers={
                    **cors, "Access-Control-Allow-Methods": "POST, OPTIONS",
                    "Access-Control-Allow-Headers": f"Content-Type, {KEY_HEADER}",
                    "Access-Control-Max-Age": "600"})(scope, receive, send)
                return
        if key is not None or origin is not None:
            client = scope.get("client") or ("unknown", 0)
            wait = self.limiter.take((key or "", client[0]))
            if wait:
                await JSONResponse({"detail": f"提问过于频繁，请 {wait} 秒后再试"}, status_code=429,
                                   headers={**cors, "Retry-After": str(wait)})(scope, receive, send)
                return
        if not cors:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in cors.items():
                    out.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_cors)
