"""`assistant serve --workers 2`: two API processes on one port over an embedded index, sharing the query
vectors each has embedded (one SQLite file), so a question asked of one is not embedded again by the other;
changes to the index are refused (a change one worker writes, the other's embedded Chroma cannot read)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.processes import BIN, Process, fake_env, pinned_workers, run_cli, wait_http
from tests.servers import free_port

DOC = "关于补贴的通知\n\n第一条 乡镇干部工作补贴按月发放。\n第二条 补贴标准为每人每月五百元。\n"


@pytest.mark.slow  # about 15 s: an ingest and two API workers start on two shared cores
def test_two_workers_answer_and_share_query_vectors(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(DOC, encoding="utf-8")
    env = fake_env(tmp_path, "", ASSISTANT_ADMIN_KEY="k" * 24)  # embedded index: no Chroma server
    run_cli("ingest", str(corpus), env=env, cwd=tmp_path)
    port = free_port()
    server = Process([str(BIN / "assistant"), "serve", "--port", str(port), "--workers", "2"], tmp_path / "serve.log",
                     env, tmp_path)
    workers = {}
    try:
        server.start()
        wait_http(f"http://127.0.0.1:{port}/readyz", 90, server.proc)
        workers = pinned_workers(f"http://127.0.0.1:{port}")
        first, second = workers.values()

        def ask(client) -> str:
            r = client.post("/api/search", json={"query": "补贴标准是多少？", "k": 1})
            assert r.status_code == 200, r.text
            return r.json()["results"][0]["text"]

        assert "五百元" in ask(first)
        with sqlite3.connect(tmp_path / "cache.sqlite") as db:
            [(rowid,)] = db.execute("SELECT rowid FROM queries").fetchall()
        assert ask(second) == ask(first)
        with sqlite3.connect(tmp_path / "cache.sqlite") as db:  # the second worker read it, did not embed it
            assert db.execute("SELECT rowid FROM queries").fetchall() == [(rowid,)]

        admin = {"Authorization": "Bearer " + "k" * 24}
        for client in workers.values():
            refused = client.delete("/api/documents/a.md", headers=admin)
            assert refused.status_code == 409 and "ASSISTANT_CHROMA_URL" in refused.json()["detail"]
            assert client.post("/api/kbs", json={"name": "jiwei"}, headers=admin).status_code == 409
            assert client.get("/api/documents", headers=admin).status_code == 200  # reading is fine
            assert client.delete("/api/documents/a.md").status_code == 401  # no key: the key check comes first
        assert "五百元" in ask(first)
    finally:
        for client in workers.values():
            client.close()
        server.stop()
