"""`assistant serve` and `questions`: running the service, and reading its question log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import IndexDir, console, run, settings
from assistant.errors import AssistantError


def serve(host: Annotated[str | None, typer.Option(help="监听地址")] = None,
          port: Annotated[int | None, typer.Option(help="端口")] = None,
          workers: Annotated[int | None, typer.Option(min=1, max=64, help="工作进程数（默认 ASSISTANT_WORKERS 或 1）")]
          = None, index_dir: IndexDir = None) -> None:
    """启动 HTTP 服务（FastAPI + uvicorn）。"""
    import os

    import uvicorn

    from assistant.api import create_app
    from assistant.store.connection import check_writable

    def action():
        config = settings(index_dir, host=host, port=port, **({"workers": workers} if workers else {}))
        if not config.chroma_url:  # a read-only index never fixes itself: say so now, not as a 503 later
            check_writable(config.index_dir)
        return config

    config = run(action)
    limit_malloc_arenas()
    console.print(banner(config.host, config.port), highlight=False, soft_wrap=True)
    # h11, not httptools: httptools buffers request headers of any size (50 MB headers took RSS to 800 MB);
    # h11 refuses a request whose headers exceed 64 KB. No uvicorn access log: the app logs each request
    # as a JSON line with its id (api/observability.py). Idle connections are kept longer than uvicorn's 5 s:
    # httpx (the OpenAI SDK, LangChain) also drops idle ones at 5 s, so a request sent on a connection idle just
    # under 5 s met the server closing it — a reset, no response (tests/test_serve_keep_alive.py)
    options = dict(host=config.host, port=config.port, http="h11", h11_max_incomplete_event_size=65536,
                   access_log=False, timeout_keep_alive=config.keep_alive)
    if config.workers == 1:
        uvicorn.run(create_app(config), **options)
        return
    # several processes (one GIL each): uvicorn starts each from the import string, on settings from the
    # environment, so this command's own options go there first
    os.environ.update(ASSISTANT_INDEX_DIR=str(config.index_dir), ASSISTANT_WORKERS=str(config.workers))
    uvicorn.run("assistant.api.app:app_from_env", factory=True, workers=config.workers, **options)


MALLOC_ARENAS = "2"
M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas() -> None:
    """At most two glibc malloc arenas (unless MALLOC_ARENA_MAX says otherwise): by default glibc gives each
    new thread of the request pool an arena of its own. With two arenas a 30 s soak grew 6–12 MB (13–17 MB
    before; bench soak, six runs each). (The 25–35 MB steps late in some runs, first put down to arenas, were
    the read-only model file being mapped: bench/soak.py.) Set in the environment for the worker processes
    uvicorn starts, and with mallopt for this one (glibc read the environment at start)."""
    import ctypes
    import os

    if "MALLOC_ARENA_MAX" in os.environ:  # the operator's own setting, already read by glibc
        return
    os.environ["MALLOC_ARENA_MAX"] = MALLOC_ARENAS
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, int(MALLOC_ARENAS))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to limit
        pass


def banner(host: str, port: int) -> str:
    """Where to go once the server is up (printed at start)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    rows = [("/", "首页"), ("/demo", "演示门户（嵌入了问答组件）"), ("/docs", "接口文档（Swagger UI；ReDoc 在 /redoc）"),
            ("/v1", "OpenAI 兼容接口（模型名 policy-assistant）")]
    width = len(base) + max(len(path) for path, _ in rows) + 2
    return "\n".join([f"政策知识助手正在启动，索引加载后 {base}/readyz 返回 200：",
                      *(f"  {(base + path).ljust(width)}{label}" for path, label in rows)])


def questions(days: Annotated[int, typer.Option("--days", min=1, max=3650, help="统计最近几天（含今天）")] = 7,
              top: Annotated[int, typer.Option("--top", min=1, max=500, help="列出最常见的拒答问题条数")] = 20,
              log_dir: Annotated[Path | None, typer.Option("--dir", help="问题日志目录（默认 ASSISTANT_QUESTION_LOG_DIR）")]
              = None) -> None:
    """问题日志复盘：最近几天的提问数、拒答数和最常见的拒答问题（知识库的缺口）。"""
    from assistant.question_log import summarise

    def folder() -> Path:
        where = log_dir or settings().question_log_dir
        if where is None:
            raise AssistantError("未启用问题日志：请设置 ASSISTANT_QUESTION_LOG_DIR，或用 --dir 指定日志目录")
        if not where.is_dir():
            raise AssistantError(f"问题日志目录不存在：{where}")
        return where

    s = summarise(run(folder), days, top)
    share = f"（{s['refused'] / s['total']:.0%}）" if s["total"] else ""
    console.print(f"最近 {days} 天：提问 {s['total']} 次，拒答 {s['refused']} 次{share}")
    if s["top_refused"]:
        table = Table(title="最常见的拒答问题")
        table.add_column("次数", justify="right")
        table.add_column("问题")
        for question, count in s["top_refused"]:
            table.add_row(str(count), escape(question))
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(questions)
