"""Runs the harness for the CLI and prints the side-by-side table."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.evaluation.questions import load_questions
from assistant.evaluation.retrieval_eval import KS, Scores, evaluate
from assistant.settings import Settings


def _label(hit) -> str:
    c = hit.chunk
    return f"{c.doc_id} {c.section}"


def run_eval(settings: Settings, question_files: list[Path], k: int = 10, with_baseline: bool = True) -> dict:
    """Our retriever (and the naive baseline over the same files) on the given question sets."""
    from assistant.components import Components

    questions = load_questions(question_files)
    parts = Components.load(settings)
    retriever = parts.retriever()
    ours = evaluate("ours", questions, lambda q, n: [(h.chunk.text, _label(h)) for h in retriever.search(q, k=n)], k)
    result = {"questions": len(questions), "k": k, "ours": _as_dict(ours)}
    if with_baseline:
        from assistant.evaluation.baseline import NaiveBaseline

        roots = sorted({Path(r.root) for r in parts.store.documents() if r.root})
        base = NaiveBaseline([r for r in roots if r.exists()], parts.embeddings)
        result["baseline"] = _as_dict(evaluate("baseline", questions, base.search, k))
        result["baseline"]["chunks"] = base.size
    return result


def _as_dict(scores: Scores) -> dict:
    data = asdict(scores)
    data["recall"] = {str(kk): v for kk, v in scores.recall.items()}
    return data


def print_report(result: dict, console: Console) -> None:
    ours, base = result["ours"], result.get("baseline")
    table = Table(title=f"检索评测（{ours['n']} 个可回答问题，k={result['k']}）")
    table.add_column("指标")
    table.add_column("本系统", justify="right")
    if base:
        table.add_column("基线", justify="right")
    rows = [(f"recall@{kk}", ours["recall"].get(str(kk)), base and base["recall"].get(str(kk))) for kk in KS]
    rows += [("recall@800ch", ours["recall_800ch"], base and base["recall_800ch"]),
             ("MRR", ours["mrr"], base and base["mrr"])]
    for name, a, b in rows:
        if a is None:
            continue
        table.add_row(name, f"{a:.3f}", *([f"{b:.3f}"] if base else []))
    console.print(table)
    kinds = Table(title="按问题类型", show_lines=False)
    for col in ("类型", "数量", "recall@1", "recall@5"):
        kinds.add_column(col)
    for kind, row in ours["by_kind"].items():
        kinds.add_row(kind, str(row["n"]), f"{row['recall@1']:.2f}", f"{row['recall@5']:.2f}")
    console.print(kinds)
    for miss in ours["misses"]:
        where = f"第 {miss['rank']} 位" if miss["rank"] else "未命中"
        console.print(f"[yellow]{miss['id']}[/yellow] {where}：{miss['question'][:40]}")
        for label in miss["returned"]:
            console.print(f"    返回：{label}", markup=False)
