"""/readyz, /metrics and request ids over real HTTP (uvicorn on a free port)."""

from __future__ import annotations

import re

import httpx
import pytest

from assistant.settings import Settings
from tests.servers import running_app


@pytest.fixture(scope="module")
def base_url(seed_fake_settings):
    with running_app(seed_fake_settings) as url:
        yield url


def _value(text: str, name: str, **labels: str) -> float:
    """A sample's value from Prometheus text, 0 when absent."""
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
        if line.startswith(name + " ") and not labels:
            return float(line.split()[1])
    return 0.0


def test_ready_when_the_index_is_loaded(base_url):
    r = httpx.get(f"{base_url}/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["chunks"] > 0


def test_not_ready_without_an_index(tmp_path):
    settings = Settings(index_dir=tmp_path / "none", embedder="fake", embedding_cache=tmp_path / "c.sqlite")
    with running_app(settings) as url:
        r = httpx.get(f"{url}/readyz")
        assert r.status_code == 503 and "assistant ingest" in r.json()["detail"]
        assert httpx.get(f"{url}/healthz").status_code == 200  # alive, just not ready


def test_metrics_show_the_request_just_made(base_url):
    before = httpx.get(f"{base_url}/metrics").text
    r = httpx.post(f"{base_url}/api/search", json={"query": "乡镇干部补贴", "k": 3}, headers={"X-Request-ID": "abc123"})
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "abc123"
    assert re.fullmatch(r"[0-9a-f]{32}", httpx.get(f"{base_url}/healthz").headers["X-Request-ID"])
    httpx.post(f"{base_url}/api/search", json={"query": ""})  # a 422 is counted under its status
    after = httpx.get(f"{base_url}/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    ok = dict(method="POST", route="/api/search", status="200")
    assert _value(text, "assistant_requests_total", **ok) == _value(before, "assistant_requests_total", **ok) + 1
    assert _value(text, "assistant_requests_total", method="POST", route="/api/search", status="422") >= 1
    assert _value(text, "assistant_request_seconds_count", route="/api/search") >= 2
    assert _value(text, "assistant_index_chunks") > 0 and _value(text, "assistant_index_documents") >= 1


def test_metrics_count_answers_and_refusals(base_url):
    before = httpx.get(f"{base_url}/metrics").text
    refused = dict(mode="extractive", refused="true")
    httpx.post(f"{base_url}/api/chat", json={"question": "今年高考志愿填报从哪天开始？"}).raise_for_status()
    text = httpx.get(f"{base_url}/metrics").text
    assert _value(text, "assistant_answers_total", **refused) == _value(before, "assistant_answers_total", **refused) + 1
    assert _value(text, "assistant_retrieval_confidence_count") >= 1
