"""`python -m bench COMMAND …`, the measurement tooling beside the product:

- benchmark: latency, throughput, memory, cold start and ingest against the embedder;
- soak: good and hostile requests for minutes (no 5xx, no leak, still ready);
- startup: `assistant --help`, cold start, unchanged re-ingest, first ingest;
- fit-refusal: the refusal decision, with its curve on questions it was not fitted to;
- fit-outlook: the tolerance screening's learned outlook, with its figures on cases it was not fitted to;
- tolerance-misses: the tolerance screening's held-out misses, each with what the readers found;
- fusion-by-length: BM25's weight in the fusion by question length, chosen leave-one-set-out;
- question-bank: the bank of questions already answered (assistant/resources/question_bank.*);
- query-adapter: a linear adapter on the question's vector, fitted and judged leave-one-set-out (not shipped);
- typed: R@1 / R@5 of questions typed in traditional characters or wrapped in courtesy;
- scale: index size, memory, snapshot, refresh and search at 1×, 10×, 30× the corpus;
- kbs: a worker's memory with 1, 2 and 4 knowledge bases.
"""

from __future__ import annotations

import sys

from assistant.errors import AssistantError
from bench import (
    fit_outlook,
    fit_refusal,
    fusion_by_length,
    kb_memory,
    query_adapter,
    question_bank,
    run_benchmark,
    run_soak,
    scale,
    startup,
    tolerance_misses,
    typed,
)

COMMANDS = {"benchmark": run_benchmark.main, "soak": run_soak.main, "startup": startup.main,
            "fit-refusal": fit_refusal.main, "fit-outlook": fit_outlook.main, "fusion-by-length": fusion_by_length.main,
            "question-bank": question_bank.main, "query-adapter": query_adapter.main, "scale": scale.main,
            "kbs": kb_memory.main, "typed": typed.main, "tolerance-misses": tolerance_misses.main}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"用法：python -m bench {{{'|'.join(COMMANDS)}}} [选项]（--help 查看各命令的选项）", file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except AssistantError as e:  # a missing index or question file: the message, not a traceback
        print(f"错误：{e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
