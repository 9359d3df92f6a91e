"""How fast the product starts, as a user meets it (each a separate process, wall time from the shell's view):

- `assistant --help`;
- `assistant serve` on a built index, from the spawn to the first /readyz 200;
- `assistant ingest` of a corpus the index already holds (nothing changed: the work itself is a fraction of a
  second, the rest is imports and loading);
- with `--first`: `assistant ingest` of the corpus into an empty index with an empty embedding cache (what a
  new installation does; the shipped embeddings file makes it fast).

    python -m bench startup --index-dir DIR [--corpus corpus] [--runs 5] [--first] [--json FILE]

The index is copied to a temporary directory first: nothing here writes to the one given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.settings import load_settings
from bench.server import cold_starts, settings_env

ROOT = Path(__file__).resolve().parents[1]


def assistant_command() -> list[str]:
    """The `assistant` script of this environment (what a user runs), or the module when it is missing."""
    script = Path(sys.executable).parent / "assistant"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from assistant.cli import main; main()"]


def timed(args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one command, which must succeed."""
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} 失败（{done.returncode}）：{done.stderr[-2000:]}")
    return seconds


def measure(index_dir: Path, corpus: Path, runs: int, first: bool) -> dict:
    cli = assistant_command()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        index = Path(tmp) / "index"
        shutil.copytree(index_dir, index)
        settings = load_settings(index_dir=index)
        env = settings_env(settings)
        ingest = [*cli, "ingest", str(corpus)]
        timed(ingest, env)  # bring the copy in line with the corpus (not timed)
        result = {
            "runs": runs,
            "help_s": [timed([*cli, "--help"], env) for _ in range(runs)],
            "cold_start_s": cold_starts(settings, runs),
            "reingest_s": [timed(ingest, env) for _ in range(runs)],
        }
        if first:
            fresh = load_settings(index_dir=Path(tmp) / "first" / "index",
                                  embedding_cache=Path(tmp) / "first" / "cache.sqlite")
            result["first_ingest_s"] = [timed(ingest, settings_env(fresh))]
    for name in [k for k in result if k.endswith("_s")]:
        result[name.removesuffix("_s") + "_median_s"] = statistics.median(result[name])
    return result


GOALS = [("help", "assistant --help", 1.0), ("cold_start", "serve → /readyz 200（已建索引）", 2.0),
         ("reingest", "重新入库（语料未变）", 3.0), ("first_ingest", "首次入库（空索引、空缓存）", 60.0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="启动速度：--help、冷启动到就绪、未变语料的重新入库（各取中位数）")
    parser.add_argument("--index-dir", type=Path, required=True, help="已构建的索引（复制到临时目录后再测）")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="重新入库用的语料（默认 corpus/）")
    parser.add_argument("--runs", type=int, default=5, help="每项运行次数（默认 5）")
    parser.add_argument("--first", action="store_true", help="另测一次首次入库：空索引、空向量缓存")
    parser.add_argument("--json", type=Path, dest="json_path", help="把全部数字另存为 JSON 文件")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    result = measure(args.index_dir, args.corpus.resolve(), args.runs, args.first)
    result["load_before"] = load
    print(f"启动速度（{args.runs} 次取中位数；{os.cpu_count()} 个 CPU，开始时负载 {load:.2f}）")
    for key, label, limit in GOALS:
        if f"{key}_s" not in result:
            continue
        each = "、".join(f"{s:.2f}" for s in result[f"{key}_s"])
        median = result[f"{key}_median_s"]
        print(f"  {median:6.2f} s  {'达到' if median <= limit else '未达到'} ≤ {limit:g} s  {label}（{each}）")
    if args.json_path:
        args.json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0
