"""N concurrent HTTP clients working through a list of requests: latency percentiles, throughput, statuses."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx

# (path, JSON body) of one POST
Call = tuple[str, dict]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by nearest rank (q in 0–1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency_summary(latencies_ms: list[float], wall_s: float) -> dict:
    return {"requests": len(latencies_ms), "p50_ms": statistics.median(latencies_ms),
            "p95_ms": percentile(latencies_ms, 0.95), "p99_ms": percentile(latencies_ms, 0.99),
            "max_ms": max(latencies_ms), "throughput_qps": len(latencies_ms) / wall_s}


def run_clients(base_url: str, calls: list[Call], clients: int, timeout: float = 120.0,
                label: Callable[[httpx.Response], str | None] | None = None) -> dict:
    """`clients` threads, each with its own keep-alive connection, POST the calls until none is left.

    Returns latency_summary plus `failures` (not 200, or no response), `statuses` and the counts of the
    labels `label(response)` gives 200 responses (e.g. "refused").
    """
    work = list(reversed(calls))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    labels: Counter[str] = Counter()

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=timeout) as client:
            while True:
                with lock:
                    if not work:
                        return
                    path, body = work.pop()
                started = time.perf_counter()
                try:
                    r = client.post(path, json=body)
                    r.read()
                    status, tag = str(r.status_code), (label(r) if label and r.status_code == 200 else None)
                except httpx.TransportError as err:
                    status, tag = type(err).__name__, None
                ms = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(ms)
                    statuses[status] += 1
                    if tag:
                        labels[tag] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"clients": clients, **latency_summary(latencies, wall),
            "failures": sum(n for s, n in statuses.items() if s != "200"),
            "statuses": dict(statuses), "labels": dict(labels)}


def sequential(base_url: str, calls: list[Call], timeout: float = 120.0) -> list[float]:
    """Latencies (ms) of the calls one after another on one connection; raises on a non-2xx answer."""
    out = []
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        for path, body in calls:
            started = time.perf_counter()
            client.post(path, json=body).raise_for_status()
            out.append((time.perf_counter() - started) * 1000)
    return out
