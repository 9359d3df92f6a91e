"""How fast the product starts, as a user meets it (each a separate process, wall time from the shell's view):

- `assistant --help`;
- `assistant serve` on a built index, from the spawn to the first /readyz 200;
- `assistant ingest` of a corpus the index already holds (nothing changed: the work itself is a fraction of a
  second, the rest is imports and loading);
- with `--first`: `assistant ingest` of the corpus into an empty index with an empty embedding cache (what a
  new installation does; the shipped embeddings file makes it fast).

Beside each wall time, the CPU seconds the process used (median): on a shared machine the wall time grows with the
others' load, the CPU time much less.

    python -m bench startup --index-dir DIR [--corpus corpus] [--runs 5] [--first] [--json FILE]

The index is copied to a temporary directory first: nothing here writes to the one given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.settings import load_settings
from bench.server import ServerProcess, settings_env

ROOT = Path(__file__).resolve().parents[1]


def assistant_command() -> list[str]:
    """The `assistant` script of this environment (what a user runs), or the module when it is missing."""
    script = Path(sys.executable).parent / "assistant"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from assistant.cli import main; main()"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """Wall seconds of one command, which must succeed; its CPU seconds are appended to `cpu`."""
    before, started = children_cpu(), time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} 失败（{done.returncode}）：{done.stderr[-2000:]}")
    if cpu is not None:
        cpu.append(children_cpu() - before)
    return seconds


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cold_starts(settings, runs: int, cpu: list[float]) -> list[float]:
    """Seconds from spawning `assistant serve` to its first /readyz 200; its CPU seconds by then go to `cpu`."""
    times = []
    for _ in range(runs):
        server = ServerProcess(settings).start()
        try:
            times.append(server.wait_ready())
            cpu.append(process_cpu(server.pid))
        finally:
            server.stop()
    return times


def measure(index_dir: Path, corpus: Path, runs: int, first: bool) -> dict:
    cli = assistant_command()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        index = Path(tmp) / "index"
        shutil.copytree(index_dir, index)
        settings = load_settings(index_dir=index)
        env = settings_env(settings)
        ingest = [*cli, "ingest", str(corpus)]
        timed(ingest, env)  # bring the copy in line with the corpus (not timed)
        cpu: dict[str, list[float]] = {"help": [], "cold_start": [], "reingest": []}
        result = {
            "runs": runs,
            "help_s": [timed([*cli, "--help"], env, cpu["help"]) for _ in range(runs)],
            "cold_start_s": cold_starts(settings, runs, cpu["cold_start"]),
            "reingest_s": [timed(ingest, env, cpu["reingest"]) for _ in range(runs)],
        }
        result |= {f"{name}_cpu_s": seconds for name, seconds in cpu.items()}
        if first:
            fresh = load_settings(index_dir=Path(tmp) / "first" / "index",
                                  embedding_cache=Path(tmp) / "first" / "cache.sqlite")
            result["first_ingest_s"] = [timed(ingest, settings_env(fresh))]
    for name in [k for k in result if k.endswith("_s")]:
        result[name.removesuffix("_s") + "_median_s"] = statistics.median(result[name])  # e.g. help_cpu_median_s
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
        cpu = f"，CPU {result[f'{key}_cpu_median_s']:.2f} s" if f"{key}_cpu_median_s" in result else ""
        print(f"  {median:6.2f} s  {'达到' if median <= limit else '未达到'} ≤ {limit:g} s  {label}（{each}{cpu}）")
    if args.json_path:
        args.json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0
