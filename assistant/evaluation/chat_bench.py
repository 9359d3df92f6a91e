"""Benchmark of POST /api/chat: a real uvicorn server in its own process, N concurrent HTTP clients,
latency p50/p95 and the server process's peak memory (VmHWM)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from assistant.errors import AssistantError
from assistant.settings import Settings

SERVE = "from assistant.cli import app; app()"


def _env(settings: Settings) -> dict[str, str]:
    """The settings as ASSISTANT_* variables for the server process."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        env[f"ASSISTANT_{name.upper()}"] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return env


def peak_rss_mb(pid: int) -> float | None:
    """A process's peak resident memory in MB (Linux /proc; None elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _start_server(settings: Settings, port: int, timeout: float = 120.0) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json().get("index_loaded"):
                return proc
            raise AssistantError("服务已启动但索引未加载：请先运行 assistant ingest")
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssistantError("基准用的服务没有启动：" + (proc.stderr.read() or b"").decode()[-500:]) from None
            time.sleep(0.2)


def bench_chat(settings: Settings, questions: list[str], rounds: int = 3, clients: int = 8) -> dict:
    """Sequential, then `clients`-concurrent /api/chat over loopback HTTP against `assistant serve`."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = _start_server(settings, port)
    url = f"http://127.0.0.1:{port}/api/chat"
    try:
        with httpx.Client(timeout=120) as client:
            for q in questions[:3]:  # warm up with texts the measured runs never send
                client.post(url, json={"question": f"预热：{q}"})
            single = []
            for q in questions:
                t = time.perf_counter()
                client.post(url, json={"question": q}).raise_for_status()
                single.append((time.perf_counter() - t) * 1000)
        # unseen: every text new to the server's query-embedding cache (trailing spaces change the text,
        # not the meaning); repeated: the questions already asked, as a portal's frequent questions are
        unseen = _concurrent(url, [q + " " * (r + 1) for r in range(rounds) for q in questions], clients)
        repeated = _concurrent(url, questions * rounds, clients)
        peak = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"clients": clients, "single_p50_ms": statistics.median(single),
            "single_p95_ms": _percentile(single, 0.95), **unseen, **{f"repeated_{k}": v for k, v in repeated.items()},
            "server_peak_rss_mb": peak}


def _concurrent(url: str, texts: list[str], clients: int) -> dict:
    """`clients` threads posting the texts; latency p50/p95/max, throughput, refusals and failures."""
    work = list(texts)
    lock = threading.Lock()
    latencies: list[float] = []
    refused = failures = 0

    def worker() -> None:
        nonlocal refused, failures
        with httpx.Client(timeout=120) as client:
            while True:
                with lock:
                    if not work:
                        return
                    q = work.pop()
                t = time.perf_counter()
                r = client.post(url, json={"question": q})
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(ms)
                    failures += r.status_code != 200
                    refused += r.status_code == 200 and r.json()["refused"]

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"requests": len(latencies), "p50_ms": statistics.median(latencies),
            "p95_ms": _percentile(latencies, 0.95), "max_ms": max(latencies),
            "throughput_qps": len(latencies) / wall, "refused": refused, "failures": failures}
