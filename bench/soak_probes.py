"""The soak's request mix: good questions on every answering endpoint, and bad input of every kind.

A probe sends one request and returns its outcome: the HTTP status as text, or "stream-error" (a 200
stream that ended with an error event), "stream-incomplete", "closed" (the server dropped the
connection, which is how uvicorn refuses some malformed requests), or "transport:<error>".
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

SITUATIONS = [
    "我在乡镇负责招商引资，为了赶项目进度，在集体研究后先行开工，手续后补，没有收任何好处，"
    "后来项目因为政策调整停工造成了一些损失，我能容错吗？",
    "去年我把扶贫资金挪去修村里的路，领导之前明确说过不能挪用，我自己拿了两万元补贴，这种情况能不能容错？",
]


@dataclass
class Context:
    client: httpx.AsyncClient
    host: str
    port: int
    questions: list[str]
    admin_key: str
    rng: random.Random = field(default_factory=random.Random)
    tag: str = ""  # this client's mark on the questions it makes new
    serial: itertools.count = field(default_factory=itertools.count)

    def question(self) -> str:
        """Half the time a question asked before (a portal's frequent ones), else one new to the server."""
        q = self.rng.choice(self.questions)
        return q if self.rng.random() < 0.5 else f"{q} {self.tag}{next(self.serial)}"


@dataclass(frozen=True)
class Probe:
    name: str
    weight: int
    expect: frozenset[str]
    send: Callable[[Context], Awaitable[str]]
    good: bool = False  # a well-formed request that must be answered


async def _post(ctx: Context, path: str, body=None, *, content: bytes | None = None,
                headers: dict | None = None) -> str:
    r = await ctx.client.post(path, json=body, content=content, headers=headers)
    return str(r.status_code)


async def _stream(ctx: Context, path: str, body: dict, last: str) -> str:
    """Read a whole SSE response: it must end with `last` and carry no error event."""
    async with ctx.client.stream("POST", path, json=body) as r:
        if r.status_code != 200:
            await r.aread()
            return str(r.status_code)
        lines = [line async for line in r.aiter_lines() if line.strip()]
    if any(line == "event: error" for line in lines):
        return "stream-error"
    return "200" if lines and lines[-1].startswith(last) else "stream-incomplete"


async def _raw(ctx: Context, payload: bytes) -> str:
    """Bytes straight onto a TCP connection; the status line of the answer, or "closed"."""
    reader, writer = await asyncio.open_connection(ctx.host, ctx.port)
    try:
        writer.write(payload)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 30)
    except (ConnectionError, asyncio.IncompleteReadError):
        return "closed"
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass
    parts = line.split()
    return parts[1].decode() if len(parts) > 1 and parts[0].startswith(b"HTTP/") else "closed"


def _admin(ctx: Context, valid: bool = True) -> dict:
    return {"Authorization": f"Bearer {ctx.admin_key if valid else 'wrong-' + ctx.admin_key}"}


WRONG_TYPES = [
    ("/api/chat", {"question": 123}), ("/api/chat", {"question": ["干部"]}), ("/api/chat", {"question": None}),
    ("/api/chat", {"question": "处分影响期", "history": "不是列表"}),
    ("/api/chat", {"question": "处分影响期", "history": [{"role": "robot", "content": "x"}]}),
    ("/api/chat", {"question": "处分影响期", "filters": {"doc_id": [1, 2]}}),
    ("/api/chat", {"question": "处分影响期", "filters": "全部"}),
    ("/api/search", {"query": {"a": 1}}), ("/api/search", {"query": "容错", "k": "many"}),
    ("/api/search", {"query": "容错", "k": 0}), ("/api/search", {"query": "容错", "k": 10_000}),
    ("/api/tolerance", {"situation": 5}), ("/api/tolerance", {"situation": "太短"}),
    ("/v1/chat/completions", {"messages": "你好"}), ("/v1/chat/completions", {"messages": []}),
    ("/api/course-pack", {"topic": "容错", "format": "exe"}), ("/api/chat", [1, 2, 3]),
]
BODIES = {  # each answering endpoint's request for a given text
    "/api/chat": lambda text: {"question": text}, "/api/chat/stream": lambda text: {"question": text},
    "/api/search": lambda text: {"query": text}, "/api/tolerance": lambda text: {"situation": text},
    "/v1/chat/completions": lambda text: {"messages": [{"role": "user", "content": text}]},
}
ENDPOINTS = list(BODIES)
OK, UNPROCESSABLE = frozenset({"200"}), frozenset({"422"})


def probes() -> list[Probe]:
    """The mix; weights are relative frequencies."""
    return [
        Probe("search", 12, OK, lambda c: _post(c, "/api/search", {"query": c.question(), "k": c.rng.randint(1, 10)}),
              good=True),
        Probe("search-unknown-doc", 3, OK, lambda c: _post(c, "/api/search", {
            "query": c.question(), "filters": {"doc_id": ["does-not-exist.md"], "status": ["in_force"]}}), good=True),
        Probe("chat", 12, OK, lambda c: _post(c, "/api/chat", {"question": c.question()}), good=True),
        Probe("chat-history", 4, OK, lambda c: _post(c, "/api/chat", {"question": "那影响期怎么算？", "history": [
            {"role": "user", "content": c.question()}, {"role": "assistant", "content": "根据规定……"}]}), good=True),
        Probe("chat-unknown-doc", 2, OK, lambda c: _post(c, "/api/chat", {
            "question": c.question(), "filters": {"doc_id": ["does-not-exist.md"]}}), good=True),
        Probe("chat-stream", 8, OK, lambda c: _stream(c, "/api/chat/stream", {"question": c.question()},
                                                      "data: {\"refused\""), good=True),
        Probe("openai", 4, OK, lambda c: _post(c, "/v1/chat/completions", {
            "model": "policy-assistant", "messages": [{"role": "user", "content": c.question()}]}), good=True),
        Probe("openai-stream", 4, OK, lambda c: _stream(c, "/v1/chat/completions", {
            "model": "policy-assistant", "stream": True, "messages": [{"role": "user", "content": c.question()}]},
            "data: [DONE]"), good=True),
        Probe("tolerance", 4, OK, lambda c: _post(c, "/api/tolerance", {"situation": c.rng.choice(SITUATIONS)}),
              good=True),
        Probe("course-pack", 1, frozenset({"200", "404"}), lambda c: _post(c, "/api/course-pack", {
            "topic": c.rng.choice(["容错纠错", "干部考核", "激励担当作为"]), "max_provisions": 5}), good=True),
        Probe("ops", 3, OK, lambda c: _get(c, c.rng.choice(["/healthz", "/readyz", "/metrics", "/v1/models"])),
              good=True),
        Probe("empty-question", 3, UNPROCESSABLE, lambda c: _text(c, c.rng.choice(["", "   ", "\n\t"]))),
        Probe("huge-question", 2, frozenset({"413", "422"}), lambda c: _text(c, "干" * 100_000)),
        Probe("malformed-json", 3, UNPROCESSABLE, lambda c: _post(
            c, c.rng.choice(ENDPOINTS), content='{"question": "干部容错'.encode(),
            headers={"Content-Type": "application/json"})),
        Probe("wrong-types", 4, UNPROCESSABLE, lambda c: _post(c, *c.rng.choice(WRONG_TYPES))),
        Probe("random-bytes", 3, frozenset({"400", "422"}), lambda c: _post(
            c, c.rng.choice(ENDPOINTS), content=os.urandom(c.rng.randint(1, 4096)),
            headers={"Content-Type": c.rng.choice(["application/json", "application/octet-stream"])})),
        Probe("wrong-content-type", 2, frozenset({"415", "422"}), lambda c: _post(
            c, c.rng.choice(ENDPOINTS[:2]), content=json.dumps({"question": "干部容错"}).encode(),
            headers={"Content-Type": c.rng.choice(["text/plain", "application/x-www-form-urlencoded", "image/png"])})),
        Probe("unknown-document", 3, frozenset({"401", "404"}), lambda c: _admin_call(c)),
        Probe("upload-garbage", 1, frozenset({"400", "415"}), lambda c: _upload_garbage(c)),
        Probe("unknown-route", 2, frozenset({"404", "405"}), lambda c: _get(c, c.rng.choice(
            ["/api/nope", "/api/chat", "/api/search", "/../../etc/passwd", "/api/documents%00"]))),
        Probe("foreign-origin", 2, frozenset({"403"}), lambda c: _post(
            c, "/api/chat", {"question": c.question()}, headers={"Origin": "https://evil.example"})),
        Probe("widget-key", 2, frozenset({"200", "429"}), lambda c: _post(
            c, "/api/search", {"query": c.question()},
            headers={"Origin": "http://localhost:3000", "X-Widget-Key": f"key-{c.rng.randint(0, 50)}"})),
        # uvicorn's default parser (httptools) takes headers of any size: 200 is what it does, not a pass mark
        Probe("huge-header", 1, frozenset({"200", "400", "431", "closed"}), lambda c: _raw(
            c, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 1_000_000 + b"\r\n\r\n")),
        Probe("raw-garbage", 1, frozenset({"400", "closed"}), lambda c: _raw(
            c, os.urandom(c.rng.randint(1, 2048)) + b"\r\n\r\n")),
    ]


async def _text(ctx: Context, text: str) -> str:
    """The text as the question of a random answering endpoint."""
    path = ctx.rng.choice(ENDPOINTS)
    return await _post(ctx, path, BODIES[path](text))


async def _get(ctx: Context, path: str) -> str:
    return str((await ctx.client.get(path)).status_code)


async def _admin_call(ctx: Context) -> str:
    """GET or DELETE of an unknown document, with the key (→ 404) or without / with a wrong one (→ 401)."""
    method = ctx.rng.choice(["GET", "DELETE"])
    headers = ctx.rng.choice([_admin(ctx), _admin(ctx, valid=False), {}])
    r = await ctx.client.request(method, "/api/documents/does-not-exist", headers=headers)
    expected = "404" if headers == _admin(ctx) else "401"
    return str(r.status_code) if str(r.status_code) == expected else f"{r.status_code}≠{expected}"


async def _upload_garbage(ctx: Context) -> str:
    files = {"file": ("scan.pdf", os.urandom(2048), "application/pdf")}
    return str((await ctx.client.post("/api/documents", files=files, headers=_admin(ctx))).status_code)
