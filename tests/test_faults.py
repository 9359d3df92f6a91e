"""Faults, with real processes and real Chroma: `assistant ingest` killed with SIGKILL midway (a first build
and an update), an index the server cannot write, settings pointing through a file. (A slow or stalling
LLM: tests/test_faults_llm.py; a Chroma server going down: tests/test_chroma_server.py.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from assistant.components import open_store
from assistant.settings import Settings
from tests.conftest import SEED_CORPUS
from tests.processes import BIN, Process, wait_http
from tests.servers import free_port

TEMPLATE = (SEED_CORPUS / "policies" / "shaanxi-jili-ganbu-dandang-2020.md").read_text(encoding="utf-8")
QUERY = "容错纠错 三个区分开来"


def fake_env(index: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_EMBEDDER="fake", ASSISTANT_INDEX_DIR=str(index), ASSISTANT_EMBEDDING_CACHE=str(cache))
    return env


def cli(*args: str, env: dict[str, str], prefix: list[str] | None = None, timeout: float = 180):
    return subprocess.run([*(prefix or []), str(BIN / "assistant"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def write_docs(folder: Path, numbers, variant: str = "") -> None:
    """Copies of the sample policy, each with its own title line (every text embedded is new: about 90 per
    document, chunks and sentences); `variant` rewords the title and the articles (an update)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        text = TEMPLATE.replace("担当作为", f"担当作为{variant}")
        (folder / f"doc-{n:02d}.md").write_text(f"第{n:02d}号{variant}\n{text}", encoding="utf-8")


def embedded(cache: Path) -> int:
    """Texts the ingest has embedded so far (rows of our embedding cache): its progress, read from outside."""
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_midway(corpus: Path, env: dict[str, str], cache: Path, texts: int) -> None:
    """Start `assistant ingest` and SIGKILL it once `texts` more texts have been embedded."""
    start = embedded(cache)
    proc = subprocess.Popen([str(BIN / "assistant"), "ingest", str(corpus)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while embedded(cache) - start < texts:
        assert proc.poll() is None, "ingest ended before it could be killed: make the corpus bigger"
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def index_state(index: Path, scratch: Path) -> dict:
    """Documents, chunks, sentence vectors, and whether every stored vector is found by a nearest-neighbour
    query (the HNSW files agree with SQLite). Read from a copy: embedded Chroma caches a client per path
    in this process, and the index is written by other processes between reads."""
    scratch.mkdir(parents=True, exist_ok=True)
    copy = Path(tempfile.mkdtemp(dir=scratch)) / "index"
    shutil.copytree(index, copy)
    store = open_store(Settings(index_dir=copy, embedder="fake", embedding_cache=scratch / "unused.sqlite"))
    chunks, sentences = store.all_chunk_ids(), set(store.sentences.get(include=[])["ids"])

    def searchable(collection, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        vector = collection.get(ids=[min(ids)], include=["embeddings"])["embeddings"][0]
        return set(collection.query(query_embeddings=[vector], n_results=len(ids), include=[])["ids"][0])

    return {"records": {r.doc_id: (r.content_hash, tuple(r.chunk_ids)) for r in store.documents()},
            "chunks": chunks, "sentences": sentences,
            "hnsw_complete": searchable(store.chunks, chunks) == chunks
            and searchable(store.sentences, sentences) == sentences}


def search_doc_ids(env: dict[str, str]) -> list[str]:
    """`assistant search --json` in its own process: the documents of its hits (it must find some)."""
    done = cli("search", QUERY, "--k", "10", "--json", env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    hits = json.loads(done.stdout)
    assert hits
    return [h["doc_id"] for h in hits]


@pytest.mark.slow  # about a minute: ten CLI runs, each loading jieba and Chroma
def test_kill_9_during_ingest_then_rerun_equals_a_clean_build(tmp_path):
    corpus, cache = tmp_path / "corpus", tmp_path / "cache.sqlite"
    env = fake_env(tmp_path / "index", cache)
    write_docs(corpus, range(16))

    # 1. first build, killed once about a third of the documents are embedded (90 texts a document)
    kill_midway(corpus, env, cache, texts=5 * 90)
    killed = index_state(tmp_path / "index", tmp_path / "scratch")
    assert 0 < len(killed["records"]) < 16
    listed = {cid for _, ids in killed["records"].values() for cid in ids}
    assert listed <= killed["chunks"], "a document record lists chunks that were never written"
    # the committed part answers; chunks no record lists (the document cut off) are not served
    assert set(search_doc_ids(env)) <= set(killed["records"])

    # 2. the same command again, with a search in a second process alongside it. Embedded Chroma is
    # single-process: a reader opening the index mid-write may find ids whose vectors are not on disk yet
    # and fail — it must say so plainly (and must not damage the index, checked below)
    rerun = subprocess.Popen([str(BIN / "assistant"), "ingest", str(corpus)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    during = cli("search", QUERY, "--json", env=env)
    assert during.returncode == 0 or (during.returncode == 1 and during.stderr.startswith("错误：向量库出错")), \
        during.stderr
    assert "Traceback" not in during.stderr
    out, err = rerun.communicate(timeout=180)
    assert rerun.returncode == 0 and "Traceback" not in err, err

    clean_env = fake_env(tmp_path / "clean", cache)
    assert cli("ingest", str(corpus), env=clean_env).returncode == 0
    after = index_state(tmp_path / "index", tmp_path / "scratch")
    clean = index_state(tmp_path / "clean", tmp_path / "scratch")
    assert len(clean["records"]) == 16 and after["hnsw_complete"] and clean["hnsw_complete"]
    assert after["records"] == clean["records"]
    assert after["chunks"] == clean["chunks"] and after["sentences"] == clean["sentences"]

    # 3. an update (6 documents reworded, 3 withdrawn, 2 new) killed midway, then run again
    for n in range(13, 16):
        (corpus / f"doc-{n:02d}.md").unlink()
    write_docs(corpus, range(6), variant="（修订）")
    write_docs(corpus, range(30, 32))
    kill_midway(corpus, env, cache, texts=3 * 90)
    partial = index_state(tmp_path / "index", tmp_path / "scratch")
    assert len(partial["records"]) == 16  # new versions replace records one by one; withdrawals come last
    assert 0 < sum(h != after["records"][d][0] for d, (h, _) in partial["records"].items()) < 6
    assert {cid for _, ids in partial["records"].values() for cid in ids} <= partial["chunks"]
    assert set(search_doc_ids(env)) <= set(partial["records"])
    assert cli("ingest", str(corpus), env=env).returncode == 0

    clean_env = fake_env(tmp_path / "clean2", cache)
    assert cli("ingest", str(corpus), env=clean_env).returncode == 0
    final = index_state(tmp_path / "index", tmp_path / "scratch")
    clean = index_state(tmp_path / "clean2", tmp_path / "scratch")
    assert len(clean["records"]) == 15 and final["hnsw_complete"]
    assert final["records"] == clean["records"]
    assert final["chunks"] == clean["chunks"] and final["sentences"] == clean["sentences"]


# --- an index the server cannot use ------------------------------------------------------------------------


@pytest.fixture
def built_index(tmp_path) -> tuple[Path, dict[str, str]]:
    """The sample corpus indexed with the fake embedder: (index dir, environment of a process on it)."""
    index, cache = tmp_path / "ro" / "index", tmp_path / "cache.sqlite"
    env = fake_env(index, cache)
    assert cli("ingest", str(SEED_CORPUS), env=env).returncode == 0
    return index, env


@pytest.fixture
def read_only(built_index):
    """An argv prefix under which the index directory is read-only. Not root: chmod -R a-w (undone after).
    Root ignores permissions, so there: a read-only bind mount in a private mount namespace (unshare -m),
    which the kernel enforces for root too (EROFS); skipped where unshare is not allowed."""
    index, _ = built_index
    folder = index.parent
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(folder)], check=True)
        yield []
        subprocess.run(["chmod", "-R", "u+w", str(folder)], check=True)
        return
    unshare = shutil.which("unshare")
    prefix = [unshare or "unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder)]
    probe = subprocess.run([*prefix, "sh", "-c", f"! touch {folder}/.probe"], capture_output=True)
    if unshare is None or probe.returncode != 0:
        pytest.skip("以 root 运行且无法用 unshare 建只读挂载：root 不受文件权限限制，无法模拟只读索引")
    yield prefix


def test_serve_on_a_read_only_index_stops_with_a_clear_message(built_index, read_only):
    index, env = built_index
    done = cli("serve", "--port", str(free_port()), env=env, prefix=read_only, timeout=60)
    assert done.returncode == 1
    assert "索引目录不可写" in done.stderr and "只读挂载或权限不足" in done.stderr and str(index) in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_workers_on_a_read_only_index_answer_503_with_the_reason(built_index, read_only, tmp_path):
    """`uvicorn --factory …` (how deploy/ runs it) keeps serving /healthz and says why it is not ready."""
    _, env = built_index
    ready, search, log = _probe_server([*read_only, str(BIN / "uvicorn"), "--factory", "assistant.api.app:app_from_env"],
                                       "/api/search", {"query": QUERY}, env, tmp_path / "uvicorn.log")
    assert ready.status_code == 503 and "索引目录不可写" in ready.json()["detail"]
    assert search.status_code == 503 and search.json()["detail"] == ready.json()["detail"]
    assert "Traceback" not in log


def test_index_dir_that_is_a_file(tmp_path):
    (tmp_path / "index").write_text("not a directory")
    env = fake_env(tmp_path / "index", tmp_path / "cache.sqlite")
    for args in (["serve", "--port", str(free_port())], ["search", QUERY], ["ingest", str(SEED_CORPUS)]):
        done = cli(*args, env=env, timeout=60)
        assert done.returncode == 1, args
        assert "是一个文件，不是目录" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_embedding_cache_through_a_file(built_index, tmp_path):
    index, env = built_index
    (tmp_path / "blocker").write_text("a file where a directory should be")
    env = {**env, "ASSISTANT_EMBEDDING_CACHE": str(tmp_path / "blocker" / "cache.sqlite")}
    done = cli("search", QUERY, env=env)
    assert done.returncode == 1 and "无法打开向量缓存" in done.stderr and "Traceback" not in done.stderr, done.stderr
    ready, chat, log = _probe_server([str(BIN / "assistant"), "serve"], "/api/chat", {"question": QUERY}, env,
                                     tmp_path / "serve.log")
    assert ready.status_code == 503 and "无法打开向量缓存" in ready.json()["detail"]
    assert chat.status_code == 503 and "ASSISTANT_EMBEDDING_CACHE" in chat.json()["detail"]
    assert "Traceback" not in log


def _probe_server(command: list[str], path: str, body: dict, env: dict, log: Path):
    """Start a server on a free port, then its /readyz and one POST; returns both responses and its log."""
    port = free_port()
    server = Process([*command, "--port", str(port)], log, env=env).start()
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", 60, server.proc)
        ready, answer = httpx.get(f"http://127.0.0.1:{port}/readyz"), httpx.post(f"http://127.0.0.1:{port}{path}",
                                                                                   json=body)
    finally:
        server.stop()
    return ready, answer, server.output()

