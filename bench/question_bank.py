"""Build the question bank (assistant/resources/question_bank.jsonl and its vectors, question_bank.npz) from
question files in the evaluation format (id, question, answerable, gold, origin):

    python -m bench question-bank --index-dir <index of ../shared/corpus> --add eval/<new set>.jsonl
                                                    (the shipped bank and the new set's questions)
    python -m bench question-bank --index-dir <index of ../shared/corpus> --rebuild \
        --add ../shared/eval/dev.jsonl --add ../shared/eval/real-dev.jsonl --add eval/shared-heldout.jsonl \
        --add eval/real-heldout.jsonl --add eval/real-heldout-2.jsonl --add eval/real-unanswerable.jsonl \
        --add eval/real-unanswerable-heldout.jsonl --add eval/public-qa.jsonl --add eval/public-qa-unanswerable.jsonl \
        --add bench/question_bank_rows/public-qa-lexicon-pages.jsonl --add eval/public-qa-2.jsonl \
        --add eval/public-qa-unanswerable-2.jsonl --add eval/public-qa-3.jsonl \
        --add eval/public-qa-unanswerable-3.jsonl --add eval/public-qa-4.jsonl \
        --add eval/public-qa-unanswerable-4.jsonl                          (the shipped bank, from its files alone)
    python -m bench question-bank --index-dir <…> --check                 (the vectors cover the bank)

`--add` keeps the bank's rows and adds the files' questions; only `--rebuild` starts from nothing (until stop 29
`--add` alone rebuilt, and adding one set that way silently dropped the other 932 rows). Each row keeps the page
it was asked on and the file it came from (`collection`). A gold passage must be found in the index (else the
build stops: a row that answers nothing would only mislead); a question already in the bank is kept once, as
first banked. Vectors already shipped for this embedder are reused. `--check` writes nothing and fails when the
shipped vectors do not cover the bank.
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
from assistant.grounding.question_text import read_question
from assistant.grounding.text import squash
from assistant.retrieval.question_bank import BANK_FILE, VECTORS_FILE, QuestionBank, read_bank, vector_key
from assistant.settings import load_settings

RESOURCES = Path(__file__).resolve().parents[1] / "assistant" / "resources"


def collect(paths: list[Path], rows: list[dict] | None = None) -> list[dict]:
    """The bank's rows: `rows` (the bank so far), then the questions of the files (read as the evaluation reads
    them) not already among them."""
    rows = list(rows or [])
    seen = {squash(r["question"]) for r in rows}
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


def build(parts: Components, paths: list[Path], folder: Path = RESOURCES, rebuild: bool = False) -> list[dict]:
    """Write the bank (the one in `folder` plus the files' questions, or the files' alone when `rebuild`) and its
    vectors into `folder`; the rows written. Raises ValueError, writing nothing, when an answerable question's
    passage is not in the index."""
    bank_file, vectors_file = folder / BANK_FILE, folder / VECTORS_FILE
    kept = [] if rebuild or not bank_file.exists() else \
        [json.loads(line) for line in bank_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = collect(paths, kept)
    if missing := unresolved(rows, parts):
        raise ValueError(f"{len(missing)} 条可回答问题的出处在索引中找不到：" + "；".join(missing[:5]))
    model = parts.store.model
    shipped = VectorPack.load(vectors_file) if vectors_file.exists() else None
    keys = [vector_key(model, r["question"]) for r in rows]
    known = shipped.get(keys) if shipped is not None and shipped.model == model else {}
    vectors = {k: known[k] if k in known else parts.embeddings.embed_query(read_question(r["question"]))
               for k, r in zip(keys, rows)}
    bank_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    VectorPack.build(model, vectors).save(vectors_file)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成问题库（assistant/resources/question_bank.*）")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--add", type=Path, action="append", default=[], help="加入问题库的问题文件（可多个）")
    parser.add_argument("--rebuild", action="store_true", help="只由 --add 的文件重建问题库（不保留现有条目）")
    parser.add_argument("--check", action="store_true", help="只检查随附向量是否覆盖问题库")
    args = parser.parse_args(argv)
    console = Console(width=160)
    if not args.check and not args.add:
        console.print("[red]错误：请用 --add 指定问题文件，或用 --check 检查随附向量[/red]")
        return 1
    parts = Components.load(load_settings(index_dir=args.index_dir))
    model = parts.store.model
    if args.check:
        pack = VectorPack.load(RESOURCES / VECTORS_FILE)
        questions = read_bank((RESOURCES / BANK_FILE).read_text(encoding="utf-8"))
        covered = len(pack.get([vector_key(model, q.question) for q in questions])) if pack.model == model else 0
        console.print(f"问题库 {len(questions)} 条，随附向量覆盖 {covered} 条（{pack.model}）")
        return 0 if covered == len(questions) else 1
    try:
        rows = build(parts, args.add, rebuild=args.rebuild)
    except ValueError as err:
        console.print(f"[red]{err}[/red]")
        return 1
    console.print(f"问题库：{len(rows)} 条（可回答 {sum(r['answerable'] for r in rows)}），"
                  + ("由 " if args.rebuild else "加入 ") + "、".join(p.name for p in args.add))
    return 0


if __name__ == "__main__":
    sys.exit(main())
