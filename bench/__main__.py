"""`python -m bench benchmark …` (latency, throughput, memory, cold start and ingest against the embedder),
`python -m bench soak …` (good and hostile requests for minutes: no 5xx, no leak, still ready) or
`python -m bench startup …` (`assistant --help`, cold start, unchanged re-ingest, first ingest)."""

from __future__ import annotations

import sys

from bench import run_benchmark, run_soak, startup

COMMANDS = {"benchmark": run_benchmark.main, "soak": run_soak.main, "startup": startup.main}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"用法：python -m bench {{{'|'.join(COMMANDS)}}} [选项]（--help 查看各命令的选项）", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
