"""Real processes for the multi-worker tests: a `chroma run` server, the `assistant` CLI, `uvicorn --workers N`.

Each runs in its own process group (start_new_session) so stopping it stops its children (uvicorn's
workers) too; output goes to a log file under the test's tmp_path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from assistant.settings import Settings
from bench.server import stop_group

BIN = Path(sys.executable).parent


def fake_env(tmp_path: Path, chroma_url: str, **extra: str) -> dict[str, str]:
    """The environment of a CLI or API process on the Chroma server with the fake embedder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_CHROMA_URL=chroma_url, ASSISTANT_EMBEDDER="fake", ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
               ASSISTANT_EMBEDDING_CACHE=str(tmp_path / "cache.sqlite"), **extra)
    return env


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Until `url` answers 200 (or fail, with the process's exit if it died)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before {url} answered")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout} s")
        time.sleep(0.05)


class Process:
    """A subprocess in its own process group, stopped with its children."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None):
        self.args, self.log, self.env, self.cwd = args, log, env, cwd
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd,
                                         start_new_session=True)
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        stop_group(self.proc)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


class ChromaServer(Process):
    """`chroma run` on a loopback port over a directory; stop and start again keep both."""

    def __init__(self, path: Path, port: int, log: Path):
        super().__init__([str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                         log)
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> ChromaServer:
        super().start()
        wait_http(f"{self.url}/api/v2/heartbeat", 60, self.proc)
        return self


class ApiServer(Process):
    """`uvicorn --factory assistant.api.app:app_from_env --workers N` on settings from `env`."""

    def __init__(self, port: int, env: dict[str, str], log: Path, cwd: Path, workers: int = 2):
        # the keep-alive `assistant serve` gives (uvicorn's own is 5 s): pinned_workers relies on it
        keep_alive = str(int(Settings.model_fields["keep_alive"].default))
        super().__init__([str(BIN / "uvicorn"), "--factory", "assistant.api.app:app_from_env", "--host", "127.0.0.1",
                          "--port", str(port), "--workers", str(workers), "--timeout-keep-alive", keep_alive],
                         log, env, cwd)
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> ApiServer:
        super().start()
        wait_http(f"{self.url}/healthz", 90, self.proc)
        return self


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """`assistant <args>` as a subprocess; fails the test with its output when it fails."""
    done = subprocess.run([str(BIN / "assistant"), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, f"assistant {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def pinned_workers(url: str, want: int = 2, tries: int = 60) -> dict[int, httpx.Client]:
    """One kept-alive connection per API worker, keyed by the worker's pid."""
    # httpx drops a connection idle for 5 s by default (and uvicorn run bare closes it after 5 s) and opens a new one,
    # which may reach the other worker: a test waiting on an ingest for longer lost its pin (seen at stop 30). 60 s
    # stays below the server's 75 s keep-alive (ApiServer), so the client never reuses a connection being closed.
    limits = httpx.Limits(keepalive_expiry=60.0)
    pinned: dict[int, httpx.Client] = {}
    for _ in range(tries):
        client = httpx.Client(base_url=url, timeout=10.0, limits=limits)
        pid = client.get("/healthz").json()["pid"]
        if pid in pinned:
            client.close()
        else:
            pinned[pid] = client
        if len(pinned) == want:
            return pinned
    for client in pinned.values():
        client.close()
    raise AssertionError(f"reached {len(pinned)} of {want} workers in {tries} connections")
