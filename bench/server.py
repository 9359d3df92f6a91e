"""`assistant serve` in its own process, for the benchmarks and the soak: start it, time it to ready,
read its memory from /proc, stop it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from assistant.errors import AssistantError
from assistant.settings import Settings

SERVE = "from assistant.cli import main; main()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a process on these settings (every field as its ASSISTANT_* variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, (dict, list)):  # pydantic-settings reads complex fields as JSON
            value = json.dumps(value, ensure_ascii=False)
        env[f"ASSISTANT_{name.upper()}"] = str(value)
    env.update(extra)
    return env


def proc_memory_mb(pid: int, field: str = "VmRSS") -> float | None:
    """A process's resident memory (VmRSS) or its peak (VmHWM) in MB, from Linux /proc; None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def process_tree(pid: int) -> list[int]:
    """A process and its descendants, from Linux /proc (just the process elsewhere)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except (OSError, ValueError):
                continue
    return found


def _total(values) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def stop_group(proc: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM to a process started in its own session and its children; SIGKILL after `grace` seconds."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


class ServerProcess:
    """`assistant serve` on a free loopback port in its own process group; output goes to a log file."""

    def __init__(self, settings: Settings, port: int | None = None, **env: str):
        self.settings = settings
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = settings_env(settings, **env)
        self._log = tempfile.NamedTemporaryFile(prefix="assistant-serve-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    @property
    def pid(self) -> int:
        assert self.proc is not None, "server not started"
        return self.proc.pid

    def start(self) -> ServerProcess:
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from the spawn to the first 200 from /readyz (index loaded, store answering)."""
        deadline = time.monotonic() + timeout
        detail = ""
        while True:
            try:
                r = httpx.get(f"{self.url}/readyz", timeout=2)
                if r.status_code == 200:
                    return time.perf_counter() - self.started_at
                detail = r.json().get("detail", "")
            except (httpx.TransportError, ValueError):
                pass
            if not self.alive():
                raise AssistantError(f"服务进程已退出（{self.proc.returncode}）：{self.log_tail()}")
            if time.monotonic() > deadline:
                message = f"服务 {timeout:.0f} 秒内未就绪：{detail or self.log_tail()}"
                self.stop()
                raise AssistantError(message)
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pids(self) -> list[int]:
        """The server's processes: `assistant serve`, and with --workers its worker processes."""
        return process_tree(self.pid)

    def rss_mb(self) -> float | None:
        """Resident memory of all the server's processes together."""
        return _total(proc_memory_mb(pid, "VmRSS") for pid in self.pids())

    def peak_rss_mb(self) -> float | None:
        """The largest peak (VmHWM) of one of the server's processes: what each worker needs."""
        peaks = [m for m in (proc_memory_mb(pid, "VmHWM") for pid in self.pids()) if m is not None]
        return max(peaks, default=None)

    def log_tail(self, chars: int = 1500) -> str:
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self) -> None:
        """SIGTERM to the process group (uvicorn shuts down cleanly), SIGKILL if it lingers; the log goes."""
        if self.alive():
            stop_group(self.proc, grace=20)
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> ServerProcess:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def cold_starts(settings: Settings, runs: int = 3) -> list[float]:
    """Seconds from spawning `assistant serve` on a built index to its first /readyz 200, `runs` times."""
    times = []
    for _ in range(runs):
        server = ServerProcess(settings).start()
        try:
            times.append(server.wait_ready())
        finally:
            server.stop()
    return times
