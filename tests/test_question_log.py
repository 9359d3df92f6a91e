"""The optional question log: off by default; when on, one line per question over real HTTP (uvicorn,
fake embedder) with the request id and nothing about the client; retention; failures never fail a request."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.question_log import QuestionLog, summarise
from assistant.settings import Settings
from tests.servers import running_app
from tests.test_chat_api import ANSWERABLE, OFF_TOPIC
from tests.test_tolerance_api import CHAT_QUESTION, LIKELY

FIELDS = {"time", "request_id", "route", "question", "refused", "mode", "confidence", "citations"}
PRIVATE = ["127.0.0.1", "portal-secret-key", "cookie-secret", "张三的私事", "Mozilla/5.0 test-agent"]
NOW = datetime(2025, 3, 31, 12, 0, 0, tzinfo=UTC)


def fake_request(rid: str = "rid-1", path: str = "/api/chat"):
    return SimpleNamespace(state=SimpleNamespace(request_id=rid), url=SimpleNamespace(path=path))


def lines(folder: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(folder.glob("questions-*.jsonl")) for line in p.read_text().splitlines()]


def test_disabled_by_default_writes_nothing(seed_fake_settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSISTANT_QUESTION_LOG_DIR", raising=False)
    assert Settings(embedder="fake").question_log_dir is None
    monkeypatch.setenv("ASSISTANT_QUESTION_LOG_DIR", "")  # empty means off, not the current directory
    assert Settings(embedder="fake").question_log_dir is None
    assert seed_fake_settings.question_log_dir is None
    with running_app(seed_fake_settings) as url:
        assert httpx.post(f"{url}/api/chat", json={"question": OFF_TOPIC}).status_code == 200
        assert httpx.post(f"{url}/api/chat/stream", json={"question": ANSWERABLE}).status_code == 200
    for root in (tmp_path, seed_fake_settings.index_dir.parent, Path.cwd()):
        assert not list(root.rglob("questions-*.jsonl"))


def test_enabled_logs_each_question_with_its_request_id_and_nothing_about_the_client(seed_fake_settings, tmp_path):
    folder = tmp_path / "questions"
    settings = seed_fake_settings.model_copy(update={"question_log_dir": folder})
    private = {"X-Widget-Key": "portal-secret-key", "Cookie": "session=cookie-secret",
               "User-Agent": "Mozilla/5.0 test-agent", "X-Forwarded-For": "10.9.8.7"}
    history = [{"role": "user", "content": "张三的私事：他去年受过处分"}, {"role": "assistant", "content": "好的。"}]
    with running_app(settings) as url:
        def post(path: str, rid: str, body: dict) -> httpx.Response:
            r = httpx.post(f"{url}{path}", json=body, headers={"X-Request-ID": rid, **private}, timeout=120)
            assert r.status_code == 200, r.text
            return r

        post("/api/chat", "rid-chat", {"question": f"  {ANSWERABLE}\n", "history": history})
        post("/api/chat", "rid-refused", {"question": OFF_TOPIC})
        post("/api/chat/stream", "rid-stream", {"question": ANSWERABLE, "history": history})
        post("/v1/chat/completions", "rid-openai", {"messages": [*history, {"role": "user", "content": ANSWERABLE}]})
        post("/v1/chat/completions", "rid-openai-stream", {"messages": [{"role": "user", "content": OFF_TOPIC}],
                                                           "stream": True})
        post("/api/tolerance", "rid-tolerance", {"situation": LIKELY})
        post("/api/chat", "rid-chat-tolerance", {"question": CHAT_QUESTION})  # screened in chat: outlook too
        assert httpx.post(f"{url}/api/chat", json={"question": " "}).status_code == 422  # not a question: no line
    raw = "".join(p.read_text() for p in folder.glob("questions-*.jsonl"))
    today = datetime.now(UTC).date()
    names = {f"questions-{today - timedelta(days=d)}.jsonl" for d in (0, 1)}  # 1: the run crossed midnight
    assert {p.name for p in folder.iterdir()} <= names
    for secret in [*PRIVATE, "10.9.8.7", "受过处分"]:
        assert secret not in raw
    entries = lines(folder)
    assert [e["request_id"] for e in entries] == [
        "rid-chat", "rid-refused", "rid-stream", "rid-openai", "rid-openai-stream", "rid-tolerance",
        "rid-chat-tolerance"]
    assert [e["route"] for e in entries] == [
        "/api/chat", "/api/chat", "/api/chat/stream", "/v1/chat/completions", "/v1/chat/completions", "/api/tolerance",
        "/api/chat"]
    assert [e["refused"] for e in entries] == [False, True, False, False, True, False, False]
    assert all(set(e) == FIELDS for e in entries[:5]) and all(set(e) == FIELDS | {"outlook"} for e in entries[5:])
    assert entries[6]["outlook"] == "likely_tolerable" and entries[6]["confidence"] is None
    assert entries[0]["question"] == ANSWERABLE and entries[5]["question"] == LIKELY.strip()
    assert entries[5]["outlook"] == "likely_tolerable" and entries[5]["mode"] == "rules"
    assert 0 < entries[0]["confidence"] <= 1 and entries[1]["confidence"] < entries[0]["confidence"]
    assert datetime.fromisoformat(entries[0]["time"]).utcoffset() == timedelta(0)
    first = entries[0]["citations"][0]
    assert set(first) == {"n", "doc_id", "title", "article"} and first["n"] == 1 and first["doc_id"]
    assert entries[0]["citations"] == entries[2]["citations"] == entries[3]["citations"]  # same answer, same sources


def test_retention_deletes_old_files_at_start_and_when_the_day_changes(tmp_path):
    today = NOW.date()
    for back in (0, 1, 29, 30, 400):
        (tmp_path / f"questions-{today - timedelta(days=back)}.jsonl").write_text("{}\n")
    (tmp_path / "notes.txt").write_text("kept")  # not ours: left alone
    (tmp_path / "questions-2025-13-45.jsonl").write_text("kept")
    clock = [NOW]
    log = QuestionLog(tmp_path, days=30, clock=lambda: clock[0])
    kept = lambda: sorted(p.name for p in tmp_path.iterdir())  # noqa: E731
    assert kept() == sorted(["notes.txt", "questions-2025-13-45.jsonl"]
                            + [f"questions-{today - timedelta(days=b)}.jsonl" for b in (0, 1, 29)])
    clock[0] = NOW + timedelta(days=1)
    log.record(fake_request(), "第二天的问题", refused=False, mode="extractive")
    assert f"questions-{today - timedelta(days=29)}.jsonl" not in kept()  # now 30 days back
    assert f"questions-{today + timedelta(days=1)}.jsonl" in kept() and f"questions-{today}.jsonl" in kept()
    written = (tmp_path / f"questions-{today + timedelta(days=1)}.jsonl").read_text()
    assert json.loads(written)["question"] == "第二天的问题"


def test_unwritable_directory_does_not_break_chat(seed_fake_settings, tmp_path, caplog):
    (tmp_path / "a-file").write_text("not a directory")
    settings = seed_fake_settings.model_copy(update={"question_log_dir": tmp_path / "a-file" / "questions"})
    with caplog.at_level(logging.WARNING, logger="assistant.questions"), running_app(settings) as url:
        for question in (ANSWERABLE, OFF_TOPIC, ANSWERABLE):
            r = httpx.post(f"{url}/api/chat", json={"question": question})
            assert r.status_code == 200 and r.json()["citations"]
        r = httpx.post(f"{url}/api/chat/stream", json={"question": ANSWERABLE})
        assert r.status_code == 200 and "event: done" in r.text and "event: error" not in r.text
    warnings = [rec for rec in caplog.records if rec.name == "assistant.questions"]
    assert len(warnings) == 1 and "question log not written" in warnings[0].getMessage()  # once, not per question


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_disk_is_logged_once_and_recovers(tmp_path, caplog):
    log = QuestionLog(tmp_path, clock=lambda: NOW)
    day_file = tmp_path / f"questions-{NOW.date()}.jsonl"
    day_file.symlink_to("/dev/full")  # every write fails with ENOSPC
    with caplog.at_level(logging.INFO, logger="assistant.questions"):
        for _ in range(3):
            log.record(fake_request(), "问题", refused=False, mode="extractive")
        day_file.unlink()
        log.record(fake_request("rid-ok"), "恢复后的问题", refused=True, mode="extractive")
    messages = [rec.getMessage() for rec in caplog.records if rec.name == "assistant.questions"]
    assert len(messages) == 2 and "No space left" in messages[0] and "writable again" in messages[1]
    assert [e["request_id"] for e in lines(tmp_path)] == ["rid-ok"]


def _write_many(folder: str, worker: int) -> None:
    log = QuestionLog(Path(folder), clock=lambda: NOW)
    for i in range(200):
        log.record(fake_request(f"{worker}-{i}"), f"{worker}号进程的问题" * 400, refused=i % 2 == 0, mode="extractive")


def test_two_processes_share_the_directory_without_tearing_lines(tmp_path):
    """Lines of ~5 KB (more than a pipe's atomic size) from two processes: every line stays whole."""
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_write_many, args=(str(tmp_path), w)) for w in (1, 2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    entries = lines(tmp_path)  # json.loads fails on any torn line
    assert len(entries) == 400 and len({e["request_id"] for e in entries}) == 400
    assert oct(os.stat(next(tmp_path.glob("questions-*.jsonl"))).st_mode & 0o777) == "0o640"


def test_summary_and_cli_list_the_most_frequent_refused_questions(tmp_path):
    log = QuestionLog(tmp_path, clock=lambda: datetime.now(UTC))
    for question, refused in [("住房公积金比例是多少？", True)] * 3 + [("病假工资怎么算？", True),
                                                                  ("乡镇补贴多少？", False)]:
        log.record(fake_request(), question, refused=refused, mode="extractive")
    (tmp_path / f"questions-{date.today() - timedelta(days=40)}.jsonl").write_text(
        json.dumps({"question": "很久以前的问题", "refused": True}) + "\n")
    s = summarise(tmp_path, days=7)
    assert (s["total"], s["refused"]) == (5, 4)
    assert s["top_refused"] == [("住房公积金比例是多少？", 3), ("病假工资怎么算？", 1)]
    out = CliRunner().invoke(cli, ["questions", "--days", "7", "--dir", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "提问 5 次，拒答 4 次（80%）" in out.output and "住房公积金比例是多少？" in out.output
    assert "很久以前的问题" not in out.output and "乡镇补贴多少？" not in out.output
    off = CliRunner().invoke(cli, ["questions"], env={"ASSISTANT_QUESTION_LOG_DIR": ""})
    assert off.exit_code == 1 and "未启用问题日志" in off.output
