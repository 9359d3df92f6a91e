"""How well each row of the cue lexicon (resources/tolerance_cues.tsv) is supported by the labelled clauses
(resources/tolerance_clauses.jsonl): for every row, the clauses it fires on, how many of them carry the row's
factor and reading (precision), and from how many reports they come. A row earns its place by firing on
clauses of many reports with the reading it claims; `--patterns` shows the same per pattern.

    python bench/tolerance_lexicon.py [--exclude-sources eval/tolerance-real-dev.jsonl] [--patterns]

`--exclude-sources FILE`: leave out the clauses written from the reports of an evaluation set (its `source`
and `also_reported_at` URLs), so the figures say nothing about that set.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.reader import load_examples


def eval_sources(path: Path) -> set[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {u for r in rows for u in [r.get("source", ""), *r.get("also_reported_at", [])] if u}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exclude-sources", type=Path, action="append", default=[])
    parser.add_argument("--patterns", action="store_true", help="one line per pattern as well")
    args = parser.parse_args()
    excluded = set().union(*(eval_sources(p) for p in args.exclude_sources)) if args.exclude_sources else set()
    examples = [e for e in load_examples() if e.source not in excluded]
    analyzer = FactorAnalyzer()
    rows: dict[tuple, dict] = defaultdict(lambda: {"fired": 0, "right": 0, "side": 0, "reports": set()})
    for e in examples:
        for m in analyzer.matches(e.text):
            key = (m.factor, m.verdict, m.label)
            pattern = (*key, e.text[m.start:m.end]) if args.patterns else key
            for k in {key, pattern}:
                row = rows[k]
                row["fired"] += 1
                row["right"] += e.factor == m.factor and e.verdict == m.verdict
                row["side"] += e.verdict == m.verdict
                row["reports"].add(e.source)
    print(f"{len(examples)} labelled clauses ({len(excluded)} sources excluded)")
    # prec: the clause has the row's factor and reading; side: the clause reads the same way, whatever its factor
    print(f"{'factor':12} {'reads':9} {'fired':>5} {'prec':>5} {'side':>5} {'reports':>7}  label")
    for key in sorted(rows, key=lambda k: (k[0], k[1], k[2], k[3:])):
        row = rows[key]
        print(f"{key[0]:12} {key[1]:9} {row['fired']:5} {row['right'] / row['fired']:5.2f} "
              f"{row['side'] / row['fired']:5.2f} {len(row['reports']):7}  "
              + " / ".join(key[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
