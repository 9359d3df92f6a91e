"""Build the question bank (assistant/resources/question_bank.jsonl and its vectors, question_bank.npz) from
question files in the evaluation format (id, question, answerable, gold, origin):

    python -m bench question-bank --index-dir <index of ../shared/corpus> \
        --add ../shared/eval/dev.jsonl --add ../shared/eval/real-dev.jsonl --add eval/shared-heldout.jsonl \
        --add eval/real-heldout.jsonl --add eval/real-heldout-2.jsonl --add eval/real-unanswerable.jsonl \
        --add eval/real-unanswerable-heldout.jsonl --add eval/public-qa.jsonl --add eval/public-qa-unanswerable.jsonl \
        --add bench/question_bank_rows/public-qa-lexicon-pages.jsonl --add eval/public-qa-2.jsonl \
        --add eval/public-qa-unanswerable-2.jsonl --add eval/public-qa-3.jsonl \
        --add eval/public-qa-unanswerable-3.jsonl --add eval/public-qa-4.jsonl \
        --add eval/public-qa-unanswerable-4.jsonl                          (the shipped bank)
    python -m bench question-bank --index-dir <…> --check                 (the vectors cover the bank)

Each row keeps the page it was asked on and the file it came from (`collection`). A gold passage must be found
in the index (else the build stops: a row that answers nothing would only mislead); a question already in the
bank is kept once. `--check` writes nothing and fails when the shipped vectors do not cover the bank.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from assistant.components import Components
from assistant.embeddings.pack import VectorPack
from assistant.evaluation.questions import load_questions
from assistant.grounding.text import squash
from assistant.retrieval.question_bank import BANK_FILE, VECTORS_FILE, QuestionBank, read_bank, vector_key
from assistant.settings import load_settings

RESOURCES = Path(__file__).resolve().parents[1] / "assistant" / "resources"


def collect(paths: list[Path]) -> list[dict]:
    """The bank's rows from question files (read as the evaluation reads them), each question once."""
    rows, seen = [], set()
    for path in paths:
        for q in load_questions([path]):
            if (key := squash(q.question)) in seen:
                continue
            seen.add(key)
            rows.append({"question": q.question, "answerable": q.answerable,
                         "gold": [{"source": g.source, "contains": g.contains} for g in q.gold],
                         "origin": q.origin, "collection": path.stem})
    return rows


def unresolved(rows: list[dict], parts: Components) -> list[str]:
    """Answerable rows none of whose gold passages the index holds (resolved as the bank resolves them)."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    bank = QuestionBank(read_bank(text), lambda: None)  # no vectors needed to resolve
    resolved = bank.resolve(parts.retriever().snapshot)
    return [q.question for q, found in zip(bank.questions, resolved.answered) if q.answerable and not found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成问题库（assistant/resources/question_bank.*）")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--add", type=Path, action="append", default=[])
    parser.add_argument("--check", action="store_true", help="只检查随附向量是否覆盖问题库")
    args = parser.parse_args(argv)
    console = Console(width=160)
    parts = Components.load(load_settings(index_dir=args.index_dir))
    model = parts.store.model
    if args.check:
        pack = VectorPack.load(RESOURCES / VECTORS_FILE)
        questions = read_bank((RESOURCES / BANK_FILE).read_text(encoding="utf-8"))
        covered = len(pack.get([vector_key(model, q.question) for q in questions])) if pack.model == model else 0
        console.print(f"问题库 {len(questions)} 条，随附向量覆盖 {covered} 条（{pack.model}）")
        return 0 if covered == len(questions) else 1
    rows = collect(args.add)
    if missing := unresolved(rows, parts):
        console.print(f"[red]{len(missing)} 条可回答问题的出处在索引中找不到：[/red]" + "；".join(missing[:5]))
        return 1
    (RESOURCES / BANK_FILE).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    embeddings = parts.embeddings
    vectors = {vector_key(model, r["question"]): embeddings.embed_query(r["question"]) for r in rows}
    VectorPack.build(model, vectors).save(RESOURCES / VECTORS_FILE)
    console.print(f"问题库：{len(rows)} 条（可回答 {sum(r['answerable'] for r in rows)}），来自 "
                  + "、".join(p.name for p in args.add))
    return 0


if __name__ == "__main__":
    sys.exit(main())
