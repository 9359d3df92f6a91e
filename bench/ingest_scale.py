"""Ingest the scale corpus (801 laws and regulations, ~35k chunks) with the fake embedder and measure it:
documents, chunks, seconds, kinds, article coverage, index size; then, in a fresh process as a server
would be, the retriever's build time and RSS and the latency of 20 searches.

    python bench/ingest_scale.py --index-dir /tmp/scale-index [--corpus ../shared/scale-corpus]
    python bench/ingest_scale.py --index-dir /tmp/scale-index --search-only   # an index built before

The fake embedder keeps the embedding cost out: what is measured is parsing, tokenizing, Chroma and the
retriever. Not part of the package (like eval/benchmark.py).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from assistant.components import Components
from assistant.ingest.markers import CN_DIGITS
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import Settings
from bench.scale import QUERIES  # the same 20 searches as the scale table

ROOT = Path(__file__).resolve().parents[1]
ARTICLE_LINE = re.compile(rf"^第[{CN_DIGITS}]+条")  # a body line that starts an article


def settings_for(index_dir: Path) -> Settings:
    return Settings(index_dir=index_dir, embedder="fake", embedding_cache=index_dir / "embedding-cache.sqlite")


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def ingest(index_dir: Path, corpus: Path) -> None:
    parts = Components.load(settings_for(index_dir), create=True)
    started = time.perf_counter()

    def progress(doc_id: str, done: int, total: int) -> None:
        if progress.calls % 100 == 0:
            print(f"  … {done:,}/{total:,} chunks ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        progress.calls += 1

    progress.calls = 0
    report = parts.ingestor().run([corpus], on_progress=progress)
    records = parts.store.documents()
    print(f"documents        {report.documents:,} ingested, {len(report.skipped)} skipped {report.skipped[:3]}")
    print(f"chunks           {report.total_chunks:,} (+ {report.sentences:,} sentence vectors)")
    print(f"seconds          {report.seconds:.1f} ({report.total_chunks / report.seconds:.0f} chunks/s)")
    print(f"kinds            {dict(Counter(r.kind for r in records).most_common())}")
    others = sorted(f"{r.doc_id} ({r.kind})" for r in records if r.kind != "regulation")
    if others:
        print(f"                 not regulation: {others}")
    chunks, _ = parts.store.load_chunks([cid for r in records for cid in r.chunk_ids])
    print(f"article coverage {coverage(records, chunks)}")
    index = disk_mb(index_dir / "chroma")
    print(f"index on disk    {index:,.0f} MB Chroma + {disk_mb(index_dir) - index:,.0f} MB embedding cache")


def coverage(records, chunks) -> str:
    """Body lines (after <!-- INFO END -->) starting with 第X条 that begin an article chunk of their document:
    piece 0, `article` = that 第X条, text beginning with the line (its first 30 characters)."""
    heads: dict[tuple[str, str], list[str]] = {}  # (doc_id, 第X条) → texts of the article chunks
    for c in chunks:
        if c.article and c.piece == 0:
            heads.setdefault((c.doc_id, c.article), []).append(c.text)
    total = covered = 0
    missed = []
    for record in records:
        body = Path(record.source_path).read_text(encoding="utf-8").split("<!-- INFO END -->", 1)[-1]
        for line in (s.strip() for s in body.splitlines()):
            if not (m := ARTICLE_LINE.match(line)):
                continue
            total += 1
            texts = heads.get((record.doc_id, m.group(0)), [])
            match = next((t for t in texts if t.startswith(line[:30])), None)
            if match is not None:
                texts.remove(match)  # each chunk begins one line only
                covered += 1
            elif len(missed) < 5:
                missed.append(f"{record.doc_id}: {line[:30]}")
    share = covered / total if total else 1.0
    return f"{covered:,} of {total:,} 第X条 lines begin an article chunk ({share:.2%})" + (f"; missed {missed}" if missed else "")


def search(index_dir: Path) -> None:
    """In this (fresh) process: build the retriever from the store, as a server does on first start."""
    before, _ = rss_mb()
    parts = Components.load(settings_for(index_dir))
    loaded, _ = rss_mb()
    started = time.perf_counter()
    retriever = HybridRetriever(parts.store, parts.embeddings, parts.tokenizer)  # no snapshot cache: the store
    built = time.perf_counter() - started
    rss, peak = rss_mb()
    print(f"retriever build  {built:.1f} s from the store ({len(retriever.chunks):,} chunks)")
    print(f"process RSS      {rss:,.0f} MB after the build (peak {peak:,.0f}; {before:,.0f} MB after imports, "
          f"{loaded:,.0f} with embedder, tokenizer and store open)")
    retriever.search("预热", k=5)  # jieba's first cut loads its dictionary
    times = []
    for query in QUERIES:
        t = time.perf_counter()
        hits = retriever.search(query, k=5)
        times.append((time.perf_counter() - t) * 1000)
        top = f"{hits[0].chunk.title} {hits[0].chunk.article or hits[0].chunk.section[:24]}" if hits else "—"
        print(f"  {times[-1]:6.1f} ms  {query} → {top}")
    p95 = statistics.quantiles(times, n=20)[18]
    print(f"search latency   p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
          f"({len(times)} searches, k=5, fake embedder)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest the scale corpus with the fake embedder and measure it")
    parser.add_argument("--index-dir", type=Path, required=True, help="an empty or new directory for the index")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "scale-corpus")
    parser.add_argument("--search-only", action="store_true", help="only the retriever and searches, on a built index")
    args = parser.parse_args(argv)
    if args.search_only:
        search(args.index_dir)
        return 0
    if args.index_dir.exists() and any(args.index_dir.iterdir()):
        parser.error(f"{args.index_dir} is not empty: give a new directory (the ingest would be incremental)")
    ingest(args.index_dir, args.corpus)
    sys.stdout.flush()
    # a fresh process for the retriever: its RSS is a server's, not this one's after the ingest
    return subprocess.run([sys.executable, __file__, "--index-dir", str(args.index_dir), "--search-only"],
                          env=os.environ).returncode


if __name__ == "__main__":
    sys.exit(main())
