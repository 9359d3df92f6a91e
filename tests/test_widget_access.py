"""Widget keys, allowed origins, CORS and rate limits on the chat API, over real HTTP against uvicorn;
plus /widget.js and /demo as served."""

from __future__ import annotations

import re

import httpx
import pytest
from pydantic import ValidationError

from assistant.settings import Settings
from assistant.widget.access import WidgetAccess, normalise_origin
from assistant.widget.ratelimit import RateLimiter
from assistant.widget.router import static_file
from tests.servers import running_app

QUESTION = {"question": "乡镇干部补贴比县直机关高多少？"}
PORTAL = "https://portal.example.cn"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-widget-key"}


def serve(settings: Settings, **update):
    return running_app(settings.model_copy(update=update))


@pytest.fixture(scope="module")
def keyed(seed_fake_settings):
    """A server with one key for the portal; the limit is high enough not to interfere."""
    with serve(seed_fake_settings, widget_keys={"portal": [PORTAL]}, widget_rate_per_minute=1000) as url:
        yield url


@pytest.fixture(scope="module")
def dev(seed_fake_settings):
    """No keys configured: development mode."""
    with serve(seed_fake_settings, widget_keys={}, widget_rate_per_minute=1000) as url:
        yield url


def test_allowed_origin_gets_the_answer_and_a_cors_grant_for_exactly_that_origin(keyed):
    r = httpx.post(f"{keyed}/api/chat", json=QUESTION, headers={"Origin": PORTAL, "X-Widget-Key": "portal"})
    assert r.status_code == 200 and r.json()["citations"]
    assert r.headers["access-control-allow-origin"] == PORTAL
    assert "Origin" in r.headers["vary"] and "access-control-allow-credentials" not in r.headers


def test_allowed_origin_can_stream(keyed):
    with httpx.stream("POST", f"{keyed}/api/chat/stream", json=QUESTION,
                      headers={"Origin": PORTAL, "X-Widget-Key": "portal"}) as r:
        body = r.read().decode()
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["access-control-allow-origin"] == PORTAL
    assert body.startswith("event: citations") and "event: done" in body


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream", "/api/search"])
def test_origin_not_on_the_list_is_403_without_cors(keyed, path):
    payload = {"query": "容错"} if path == "/api/search" else QUESTION
    r = httpx.post(f"{keyed}{path}", json=payload, headers={"Origin": "https://evil.example", "X-Widget-Key": "portal"})
    assert r.status_code == 403
    assert "未获授权" in r.json()["detail"] and "https://evil.example" in r.json()["detail"]
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("key, fragment", [("nope", "密钥无效"), (None, "缺少组件密钥")])
def test_unknown_or_missing_key_with_an_origin_is_403(keyed, key, fragment):
    headers = {"Origin": PORTAL} | ({"X-Widget-Key": key} if key else {})
    r = httpx.post(f"{keyed}/api/chat", json=QUESTION, headers=headers)
    assert r.status_code == 403 and fragment in r.json()["detail"]
    assert "access-control-allow-origin" not in r.headers


def test_preflight(keyed):
    r = httpx.options(f"{keyed}/api/chat/stream", headers={"Origin": PORTAL, **PREFLIGHT})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == PORTAL
    assert "POST" in r.headers["access-control-allow-methods"]
    assert {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")} >= {"content-type", "x-widget-key"}
    r = httpx.options(f"{keyed}/api/chat/stream", headers={"Origin": "https://evil.example", **PREFLIGHT})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


def test_requests_without_origin_pass_as_before(keyed):
    r = httpx.post(f"{keyed}/api/chat", json=QUESTION)
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    assert httpx.post(f"{keyed}/api/search", json={"query": "容错"}).status_code == 200


def test_rate_limit_per_key_and_address_is_429_in_chinese(seed_fake_settings):
    with serve(seed_fake_settings, widget_keys={"portal": [PORTAL], "other": [PORTAL]}, widget_rate_per_minute=2) as url:
        headers = {"Origin": PORTAL, "X-Widget-Key": "portal"}
        assert [httpx.post(f"{url}/api/search", json={"query": "容错"}, headers=headers).status_code
                for _ in range(2)] == [200, 200]
        r = httpx.post(f"{url}/api/chat", json=QUESTION, headers=headers)
        assert r.status_code == 429
        assert "频繁" in r.json()["detail"] and 1 <= int(r.headers["retry-after"]) <= 30
        assert r.headers["access-control-allow-origin"] == PORTAL  # so the widget can read the message
        # another key has its own bucket; callers without key or Origin are not limited
        assert httpx.post(f"{url}/api/chat", json=QUESTION, headers={"Origin": PORTAL, "X-Widget-Key": "other"}).status_code == 200
        assert httpx.post(f"{url}/api/chat", json=QUESTION).status_code == 200


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:5173", "http://localhost", "http://[::1]:8080"])
def test_development_mode_allows_loopback_origins_with_any_key(dev, origin):
    r = httpx.post(f"{dev}/api/chat", json=QUESTION, headers={"Origin": origin, "X-Widget-Key": "anything"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", ["https://portal.example.cn", "http://localhost.evil.example", "null"])
def test_development_mode_refuses_other_origins(dev, origin):
    r = httpx.post(f"{dev}/api/chat", json=QUESTION, headers={"Origin": origin})
    assert r.status_code == 403 and "localhost" in r.json()["detail"]
    assert "access-control-allow-origin" not in r.headers


def test_widget_script_and_demo_page_are_served(keyed):
    r = httpx.get(f"{keyed}/widget.js")
    assert r.status_code == 200 and r.headers["content-type"] == "application/javascript; charset=utf-8"
    assert "max-age" in r.headers["cache-control"] and r.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{keyed}/widget.js", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    page = httpx.get(f"{keyed}/demo")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="widget.js" data-key="demo" async></script>' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_widget_never_parses_html_and_loads_nothing_from_elsewhere():
    js = static_file("widget.js")[0].decode()
    code = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "DOMParser", "createContextualFragment", "srcdoc"):
        assert sink not in code, sink
    assert not re.search(r"https?://|@import|url\(", code)
    assert not re.search(r"https?://", static_file("demo.html")[0].decode())


def test_keys_from_the_environment_are_normalised(monkeypatch):
    monkeypatch.setenv("ASSISTANT_WIDGET_KEYS", '{"demo": ["HTTP://127.0.0.1:8000/", "https://Portal.example.cn:443"]}')
    assert Settings().widget_keys == {"demo": ["http://127.0.0.1:8000", "https://portal.example.cn"]}
    monkeypatch.setenv("ASSISTANT_WIDGET_KEYS", '{"demo": ["portal.example.cn/path"]}')
    with pytest.raises(ValidationError, match="来源「portal.example.cn/path」无效"):
        Settings()


@pytest.mark.parametrize("raw, clean", [
    ("https://a.example", "https://a.example"), ("http://A.example:80", "http://a.example"),
    ("http://a.example:8080/", "http://a.example:8080"), ("http://[::1]:9", "http://[::1]:9"),
    ("null", None), ("ftp://a.example", None), ("https://a.example/x", None), ("https://u@a.example", None),
])
def test_normalise_origin(raw, clean):
    assert normalise_origin(raw) == clean


def test_access_rules():
    access = WidgetAccess({"k": ["https://a.example"]})
    assert access.refusal("k", "https://a.example") is None and access.refusal("k", "https://A.example:443") is None
    assert access.refusal("k", "http://a.example") and access.refusal("x", "https://a.example")
    assert access.known_origin("https://a.example") and not access.known_origin("http://localhost")


def test_token_bucket_refills_over_time():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert [limiter.take(("k", "ip")) for _ in range(3)] == [0, 0, 30]  # 2 per minute: one back in 30 s
    assert limiter.take(("k", "other-ip")) == 0
    now[0] = 29.0
    assert limiter.take(("k", "ip")) == 1
    now[0] = 31.0
    assert limiter.take(("k", "ip")) == 0
    assert RateLimiter(0).take(("k", "ip")) == 0  # 0 = no limit
