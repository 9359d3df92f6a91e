"""The held-out misses of the tolerance screening's grouped folds, each with what the readers found, to read them
one by one:

    python -m bench tolerance-misses --index-dir <index> --questions <set> [--questions <set> …] [--folds 5]

For each situation the folds screen wrong (as `assistant eval-tolerance --folds` does): the expected outlook, the
folds' outlook, and the rule's outlook on the same findings — where the two differ, the learned outlook withheld
the rule's 「信息不足」 —, then every factor the fold read, with its verdict, its weight, whether a cue or the
clause reader found it, and the words. Nothing is read again: these are the findings of the fold's own screening.
docs/benchmarks.md (stop 35) sorts the 139 real decisions' misses by what they would take.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.components import Components
from assistant.evaluation.situations import load_situations
from assistant.evaluation.tolerance_eval import score
from assistant.evaluation.tolerance_folds import screen_folds
from assistant.settings import load_settings
from assistant.tolerance.outlook import judge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="列出容错初筛留出各折中判错的情况，以及各自读到的因素")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, action="append", required=True)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    parts = Components.load(load_settings(index_dir=args.index_dir))
    rows = load_situations(args.questions)
    run = screen_folds(parts, rows, args.folds)
    heldout = score(rows, run.results)
    wrong = [i for i, item in enumerate(heldout["items"]) if item["expected"] != item["predicted"]]
    print(f"{len(rows)} 个情况，{args.folds} 折留出判错 {len(wrong)} 个（准确率 {heldout['accuracy']}）")
    for i in wrong:
        result, cued = run.results[i], {m.factor for m in run.readings.cues[i]}
        print(f"\n{rows[i].get('id', i + 1)}：预期 {rows[i]['expected_outlook']}，留出 {result.outlook}，"
              f"规则 {judge(result.factors)}")
        for f in result.factors:
            if f.verdict != "not stated":
                by = "提示词" if f.factor in cued else "短句读取"
                words = " | ".join(e[:40] for e in f.evidence[:2])
                print(f"  {f.factor:12} {f.verdict:8} {f.strength or '-':8} {by}  {words}")
    return 0
