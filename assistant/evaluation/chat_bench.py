"""Benchmark of POST /api/chat: a real uvicorn server in its own process, N concurrent HTTP clients,
latency p50/p95 and the server process's peak memory (VmHWM)."""

from __future__ import annotations

import statistics

from assistant.evaluation.load import percentile, run_clients, sequential
from assistant.evaluation.server import ServerProcess
from assistant.settings import Settings


def unseen(questions: list[str], rounds: int, start: int = 1) -> list[str]:
    """The questions `rounds` times, each text new to the server's query-vector LRU: trailing spaces change
    the text, not the meaning. `start`: the first suffix length (keep runs on one server apart)."""
    return [q + " " * (start + r) for r in range(rounds) for q in questions]


def refused(response) -> str | None:
    return "refused" if response.json().get("refused") else None


def bench_chat(settings: Settings, questions: list[str], rounds: int = 3, clients: int = 8) -> dict:
    """Sequential, then `clients`-concurrent /api/chat over loopback HTTP against `assistant serve`."""
    with ServerProcess(settings) as server:
        sequential(server.url, [("/api/chat", {"question": f"预热：{q}"}) for q in questions[:3]])
        single = sequential(server.url, [("/api/chat", {"question": q}) for q in questions])
        # unseen: every text new to the server; repeated: the questions already asked, as a portal's
        # frequent questions are
        new = run_clients(server.url, [("/api/chat", {"question": q}) for q in unseen(questions, rounds)],
                          clients, label=refused)
        repeated = run_clients(server.url, [("/api/chat", {"question": q}) for q in questions * rounds],
                               clients, label=refused)
        peak = server.peak_rss_mb()
    flat = {k: v for k, v in new.items() if k not in ("statuses", "labels")}
    return {"single_p50_ms": statistics.median(single), "single_p95_ms": percentile(single, 0.95),
            **flat, "refused": new["labels"].get("refused", 0),
            **{f"repeated_{k}": v for k, v in repeated.items() if k not in ("statuses", "labels")},
            "server_peak_rss_mb": peak}
