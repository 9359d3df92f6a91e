"""Soak: `assistant serve` in its own process on loopback, N concurrent clients mixing good questions with bad
input for a while; exits non-zero on any 5xx, unexpected outcome, or a server that died or stopped being ready.

    python -m bench soak [--clients 32] [--seconds 300] [--index-dir DIR] [--questions FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from assistant.errors import AssistantError
from assistant.evaluation.questions import load_questions
from assistant.settings import load_settings
from bench.server import ServerProcess
from bench.soak import print_soak, run_soak, verdict

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="浸泡测试：并发客户端混合正常提问与各种坏输入，统计状态码、内存与存活")
    parser.add_argument("--clients", type=int, default=32, help="并发客户端数（默认 32）")
    parser.add_argument("--seconds", type=float, default=300, help="持续秒数（默认 300）")
    parser.add_argument("--index-dir", type=Path, help="已构建的索引（默认 ASSISTANT_INDEX_DIR 或 index/）")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "seed.jsonl", help="JSONL 问题集")
    parser.add_argument("--seed", type=int, default=0, help="随机种子（请求顺序可复现）")
    parser.add_argument("--json", type=Path, dest="json_path", help="把全部数字另存为 JSON 文件")
    args = parser.parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=200)
    err = Console(stderr=True)
    key = secrets.token_hex(24)  # the admin routes are probed with this key, a wrong one and none
    try:
        questions = [q.question for q in load_questions([args.questions])]
        settings = load_settings(index_dir=args.index_dir)
        with tempfile.TemporaryDirectory() as uploads:
            # uploads (only garbage is sent, and must be refused) could never land in the real corpus
            served = settings.model_copy(update={"corpus_dir": Path(uploads), "question_log_dir": None})
            server = ServerProcess(served, ASSISTANT_ADMIN_KEY=key)
            with server:
                err.print(f"[dim]… 服务已就绪（{server.url}，进程 {server.pid}）；{args.clients} 个客户端，"
                          f"{args.seconds:.0f} 秒[/dim]")
                result = run_soak(server.url, server.pid, args.clients, args.seconds, questions, key, args.seed)
                alive = server.alive()
                result["server_alive"] = alive
                if not alive:
                    result["server_log"] = server.log_tail()
    except AssistantError as e:
        err.print(f"[red]错误：[/red]{e}")
        return 1
    print_soak(result, console)
    problems = verdict(result, alive)
    result["problems"] = problems
    if args.json_path:
        args.json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    if problems:
        console.print("[red]未通过：[/red]" + "；".join(problems))
        return 1
    console.print("[green]通过[/green]：没有 5xx、没有意外结果，服务进程存活且仍就绪")
    return 0


if __name__ == "__main__":
    sys.exit(main())
