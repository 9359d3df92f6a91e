"""N concurrent HTTP clients working through a list of requests: latency percentiles, throughput, statuses."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

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


class Reply:
    """What a label function reads of a response: its status and JSON body."""

    def __init__(self, status_code: int, body: bytes):
        self.status_code = status_code
        self.body = body

    def json(self):
        return json.loads(self.body)


class Connection:
    """One kept-alive HTTP/1.1 connection POSTing JSON. The standard library's client, not httpx: the load
    generator runs on the cores it measures, and httpx spent ~1 ms of CPU per request (0.2 ms here) — at 8
    clients most of a core taken from the server under test."""

    def __init__(self, base_url: str, timeout: float):
        parts = urlsplit(base_url)
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)

    def post(self, path: str, body: dict) -> Reply:
        data = json.dumps(body, ensure_ascii=False).encode()
        for attempt in (1, 2):
            try:
                self._conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
                response = self._conn.getresponse()
                return Reply(response.status, response.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._conn.close()  # the server closed an idle kept-alive connection: once more on a new one
                if attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self._conn.close()  # the next request opens a new connection
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._conn.close()


def run_clients(base_url: str, calls: list[Call], clients: int, timeout: float = 120.0,
                label: Callable[[Reply], str | None] | None = None) -> dict:
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
        client = Connection(base_url, timeout)
        try:
            while True:
                with lock:
                    if not work:
                        return
                    path, body = work.pop()
                started = time.perf_counter()
                try:
                    r = client.post(path, body)
                    status, tag = str(r.status_code), (label(r) if label and r.status_code == 200 else None)
                except (OSError, http.client.HTTPException) as err:
                    status, tag = type(err).__name__, None
                ms = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(ms)
                    statuses[status] += 1
                    if tag:
                        labels[tag] += 1
        finally:
            client.close()

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
    client = Connection(base_url, timeout)
    try:
        for path, body in calls:
            started = time.perf_counter()
            r = client.post(path, body)
            if not 200 <= r.status_code < 300:
                raise RuntimeError(f"POST {path} → {r.status_code}: {r.body[:300]!r}")
            out.append((time.perf_counter() - started) * 1000)
    finally:
        client.close()
    return out
