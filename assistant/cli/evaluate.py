"""`assistant eval` and `eval-tolerance`: the quality figures an operator checks after changing the
knowledge base or the refusal threshold (question files are given explicitly; nothing is read from the repo)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli.common import IndexDir, console, err_console, run, settings

if TYPE_CHECKING:
    from assistant.evaluation.answer_eval import AnswerScores


def evaluate(questions: Annotated[list[Path], typer.Option("--questions", help="JSONL 问题集，可多个")],
             k: Annotated[int, typer.Option("--k", min=1, max=50)] = 10,
             as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None,
             min_recall5: Annotated[float, typer.Option(help="recall@5 低于此值时以非零状态退出")] = 0.0,
             answers: Annotated[bool, typer.Option("--answers", help="同时评测回答：引用含标准答案、拒答与误拒答")] = False) -> None:
    """在问题集上评测检索：recall@1/3/5/10、recall@800ch、MRR；--answers 时也评测回答。"""
    from assistant.components import Components
    from assistant.evaluation.answer_eval import run_answer_eval
    from assistant.evaluation.report import run_eval

    parts = run(lambda: Components.load(settings(index_dir)))
    result = run(lambda: run_eval(parts, questions, k=k))
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
    else:
        print_report(result, console)
    if answers:
        scores = run(lambda: run_answer_eval(parts, questions))
        if as_json:
            console.print_json(json.dumps({"answers": asdict(scores)}, ensure_ascii=False))
        else:
            print_answer_report(scores, console)
    if result["ours"]["recall"].get("5", 0.0) < min_recall5:
        err_console.print(f"[red]recall@5 {result['ours']['recall'].get('5', 0):.3f} 低于要求的 {min_recall5}[/red]")
        raise typer.Exit(code=2)


def evaluate_tolerance(questions: Annotated[Path, typer.Option("--questions", help="JSONL 情况集")],
                       as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None,
                       min_accuracy: Annotated[float, typer.Option(help="准确率低于此值时以非零状态退出")] = 0.0) -> None:
    """评测容错初筛：结论准确率、各类混淆、信息不足召回率、引用“三个区分开来”或林某案的比例。"""
    from assistant.components import Components
    from assistant.evaluation.tolerance_eval import run_tolerance_eval

    result = run(lambda: run_tolerance_eval(Components.load(settings(index_dir)), questions))
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
    else:
        print_tolerance_report(result, console)
    if result["accuracy"] < min_accuracy:
        err_console.print(f"[red]准确率 {result['accuracy']:.3f} 低于要求的 {min_accuracy}[/red]")
        raise typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    app.command("eval")(evaluate)
    app.command("eval-tolerance")(evaluate_tolerance)


def print_report(result: dict, console: Console) -> None:
    """Our figures beside the baseline's (when the result has one), per question kind, and the misses."""
    from assistant.evaluation.retrieval_eval import KS

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


def print_answer_report(s: AnswerScores, console: Console) -> None:
    table = Table(title=f"回答评测（{s.answerable} 个可回答，{s.unanswerable} 个不可回答）")
    table.add_column("指标")
    table.add_column("结果", justify="right")
    for name, value in [("回答所引条文含标准答案", s.cited), ("列出的条文含标准答案", s.listed),
                        ("不可回答问题被拒答", s.refused_unanswerable), ("可回答问题被误拒答", s.wrongly_refused)]:
        table.add_row(name, f"{value:.3f}")
    table.add_row("引用了已被替代文本（现行文本同在）", str(len(s.superseded_cited)))
    console.print(table)
    for miss in s.misses:
        console.print(f"[yellow]{miss['id']}[/yellow] {miss['why']}：{miss['question'][:40]}", highlight=False)
        for where in miss.get("cited", []):
            console.print(f"    引用：{where}", markup=False)


def print_tolerance_report(result: dict, console: Console) -> None:
    from assistant.evaluation.tolerance_eval import OUTLOOKS

    table = Table("预期 \\ 结果", *OUTLOOKS, title=f"容错初筛评测（{result['situations']} 个情况）")
    for expected, row in result["confusion"].items():
        table.add_row(expected, *(str(row[p]) for p in OUTLOOKS))
    console.print(table)
    recall = result["insufficient_recall"]
    console.print(f"结论准确率 {result['accuracy']:.3f}；信息不足召回率 "
                  f"{'—' if recall is None else f'{recall:.3f}'}；引用“三个区分开来”或林某案的比例 "
                  f"{result['key_citation_share']:.3f}")
    for item in result["items"]:
        if item["expected"] != item["predicted"] or not item["cites_key"]:
            console.print(f"[yellow]{item['id']}[/yellow]：预期 {item['expected']}，结果 {item['predicted']}"
                          + ("" if item["cites_key"] else "，未引用关键条文"))
