"""`assistant serve` keeps an idle connection open longer than the clients drop theirs: httpx (and so the
OpenAI SDK and LangChain) reuses an idle connection for up to 5 s, uvicorn's own default idle limit was also
5 s, and a request sent just before the server closed the connection got a reset instead of an answer (the
soak saw one such ReadError in a few hundred requests)."""

from __future__ import annotations

import http.client
import time

import pytest

from tests.processes import BIN, Process, fake_env, run_cli, wait_http
from tests.servers import free_port

DOC = "关于补贴的通知\n\n第一条 乡镇干部工作补贴按月发放。\n"


@pytest.mark.slow  # about 15 s: an ingest, a server start and 6 s of idling
def test_connection_idle_past_five_seconds_still_answers(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(DOC, encoding="utf-8")
    env = fake_env(tmp_path, "")
    run_cli("ingest", str(corpus), env=env, cwd=tmp_path)
    port = free_port()
    server = Process([str(BIN / "assistant"), "serve", "--port", str(port)], tmp_path / "serve.log", env, tmp_path)
    try:
        server.start()
        wait_http(f"http://127.0.0.1:{port}/readyz", 60, server.proc)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() and connection.sock is not None
        first = connection.sock
        time.sleep(6)  # past the 5 s after which uvicorn used to close it
        connection.request("GET", "/healthz")  # on the same socket: http.client does not reconnect by itself
        assert connection.sock is first and connection.getresponse().status == 200
        connection.close()
    finally:
        server.stop()
