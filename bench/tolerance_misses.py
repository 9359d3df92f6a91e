"""The held-out misses of the tolerance screening's grouped folds, each with what the readers found, to read them
one by one:

    python -m bench tolerance-misses --index-dir <index> --questions <set> [--questions <set> …] [--folds 5]

For each situation the folds screen wrong (as `assistant eval-tolerance --folds` does): the expected outlook, the
folds' outlook, and the rule's outlook on the same readings — where the two differ, the learned outlook withheld
the rule's 「信息不足」 —, then every factor read, with its verdict, its weight, whether a cue or the clause reader
found it, and the words. The readings are the folds' own: the clause reader fitted without the clauses written
from the sets' reports, with the product's settings. docs/benchmarks.md (stop 35) sorts the 139 real decisions'
misses by what they would take.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.components import Components
from assistant.evaluation.situations import load_situations
from assistant.evaluation.tolerance_eval import screener
from assistant.evaluation.tolerance_folds import Readings, run_tolerance_folds
from assistant.settings import load_settings
from assistant.tolerance.factors import COMBINE, DECISIVE_THRESHOLD, THRESHOLD, combine_findings, counts
from assistant.tolerance.outlook import judge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="列出容错初筛留出各折中判错的情况，以及各自读到的因素")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, action="append", required=True)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    parts = Components.load(load_settings(index_dir=args.index_dir))
    rows = load_situations(args.questions)
    heldout = run_tolerance_folds(parts, args.questions, args.folds)["heldout"]
    readings = Readings(screener(parts, rows)[0].analyzer, rows)
    wrong = [(i, item) for i, item in enumerate(heldout["items"]) if item["expected"] != item["predicted"]]
    print(f"{len(rows)} 个情况，{args.folds} 折留出判错 {len(wrong)} 个（准确率 {heldout['accuracy']}）")
    for i, item in wrong:
        read = [m for m in readings.read[i] if counts(m, THRESHOLD, DECISIVE_THRESHOLD)]
        findings = combine_findings(readings.cues[i], read, COMBINE)
        cued = {m.factor for m in readings.cues[i]}
        print(f"\n{item['id']}：预期 {item['expected']}，留出 {item['predicted']}，规则 {judge(findings)}")
        for f in findings:
            if f.verdict != "not stated":
                by = "提示词" if f.factor in cued else "短句读取"
                words = " | ".join(e[:40] for e in f.evidence[:2])
                print(f"  {f.factor:12} {f.verdict:8} {f.strength or '-':8} {by}  {words}")
    return 0
