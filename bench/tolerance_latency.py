"""Tolerance screening latency, before and after a change, in the same run:

    python bench/tolerance_latency.py --index-dir /tmp/idx --code /work/wt-base --code /work/wt-tolerance

Each `--code` directory is screened in its own process (PYTHONPATH set to it), alternating rounds so that
load from other processes on the machine falls on both alike. Each process builds the service, screens
two situations to warm up, then times `ToleranceService.assess` on every situation of the eval sets with
the embedder's query cache emptied before each call and an empty embedding cache on disk (a new situation's
vectors are never cached).
Prints p50/p90/mean per code directory. Self-contained: it must run against old code too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = ("eval/tolerance.jsonl", "eval/tolerance-heldout.jsonl", "eval/tolerance-real-dev.jsonl")


def situations() -> list[str]:
    rows = []
    for name in SETS:
        rows += [json.loads(line)["situation"] for line in (ROOT / name).read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    return rows


def child(index_dir: str) -> None:
    """Time the screening of the code on PYTHONPATH; one JSON line on stdout."""
    from assistant.components import Components
    from assistant.settings import Settings

    # an empty embedding cache: a new situation's vector is never stored (the learned outlook embeds a situation
    # the rule leaves undecided), and the index's cache may hold the eval situations from an earlier fit
    with tempfile.TemporaryDirectory() as tmp:
        _time(Components.load(Settings(index_dir=Path(index_dir), embedding_cache=Path(tmp) / "cache.sqlite")))


def _time(parts) -> None:
    import assistant

    service = parts.tolerance()
    texts = situations()
    for text in texts[:2]:
        service.assess(text)
    queries = getattr(parts.embeddings, "_queries", None)
    times = []
    for text in texts:
        if queries is not None:
            queries.clear()
        start = time.perf_counter()
        service.assess(text)
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"code": str(Path(assistant.__file__).parents[1]), "ms": times}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--code", action="append", default=[], help="a checkout to time (repeatable)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.index_dir)
        return 0
    times: dict[str, list[float]] = {c: [] for c in args.code}
    for _ in range(args.rounds):
        for code in args.code:
            env = dict(os.environ, PYTHONPATH=code)
            out = subprocess.run([sys.executable, "-P", __file__, "--child", "--index-dir", args.index_dir],
                                 env=env, capture_output=True, text=True, cwd=code)
            if out.returncode:
                raise SystemExit(f"{code}: {out.stderr[-2000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            if Path(result["code"]).resolve() != Path(code).resolve():
                raise SystemExit(f"{code}: imported {result['code']} instead")
            times[code] += result["ms"]
    for code, ms in times.items():
        ms.sort()
        print(f"{code}: n={len(ms)} p50={statistics.median(ms):.1f} ms  p90={ms[int(0.9 * len(ms))]:.1f} ms  "
              f"mean={statistics.fmean(ms):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
