"""Questions as cadres type them: each set's answerable questions searched as written, in traditional characters,
and wrapped in the courtesy of a message to an office (assistant/grounding/question_text.py reads the last two as the
first).

    python -m bench typed --index-dir <index of ../shared/corpus> --questions ../shared/eval/real-dev.jsonl …

Each set is searched with the question bank less its own questions and pages (as `assistant eval` scores it). A
question that already ends a sentence keeps its mark; one that does not gets 「？」 before the thanks, as a cadre
writing a message would put one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import opencc
from rich.console import Console
from rich.table import Table

from assistant.components import Components
from assistant.evaluation.bank import leave_out
from assistant.evaluation.questions import load_questions
from assistant.evaluation.retrieval_eval import first_hit_rank
from assistant.settings import load_settings


def _asked(q: str) -> str:
    return q if q.endswith(("？", "?", "。", "！")) else q + "？"


TYPINGS = {
    "as written": lambda q: q,
    "traditional": opencc.OpenCC("s2t").convert,
    "greeting and thanks": lambda q: f"您好，请问一下，{_asked(q)}谢谢！",
    "a message to an office": lambda q: f"领导您好！我是基层的一名干部，想咨询一个问题：{_asked(q)}麻烦解答一下，非常感谢。",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="问题的不同写法（繁体、问候与致谢）下的 R@1 / R@5")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, action="append", required=True, help="问题集（可多个）")
    args = parser.parse_args(argv)
    parts = Components.load(load_settings(index_dir=args.index_dir))
    table = Table(title="R@1 / R@5（各集用去掉本集问题的问题库）")
    table.add_column("问题集")
    for name in TYPINGS:
        table.add_column(name, justify="right")
    for path in args.questions:
        questions = [q for q in load_questions([path]) if q.answerable]
        leave_out(parts, questions)
        retriever = parts.retriever()
        cells = []
        for typed in TYPINGS.values():
            ranks = [first_hit_rank(q, [(h.chunk.text, "") for h in retriever.search(typed(q.question), 5)])
                     for q in questions]
            cells.append(f"{sum(r == 1 for r in ranks)} / {sum(r > 0 for r in ranks)} of {len(ranks)}")
        table.add_row(path.name, *cells)
    Console(width=160).print(table)
    return 0
