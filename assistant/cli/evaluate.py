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


def evaluate_tolerance(questions: Annotated[list[Path], typer.Option("--questions", help="JSONL 情况集，可多个（合为一集）")],
                       as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None,
                       folds: Annotated[int, typer.Option(
                           "--folds", min=0, max=20, help="按报道来源分组做 K 折：每折在其余各折上拟合结论模型（无结论模型时选定读取方式），再对本折初筛")] = 0,
                       min_accuracy: Annotated[float, typer.Option(help="准确率（有 --folds 时为留出各折的准确率）低于此值时以非零状态退出")] = 0.0) -> None:
    """评测容错初筛：结论准确率、各类混淆、各结论的精确率与召回率、“信息不足”的比例、引用“三个区分开来”或先例案例的比例。"""
    from assistant.components import Components
    from assistant.evaluation.tolerance_eval import run_tolerance_eval
    from assistant.evaluation.tolerance_folds import run_tolerance_folds

    parts = run(lambda: Components.load(settings(index_dir)))
    if folds:
        result = run(lambda: run_tolerance_folds(parts, questions, folds))
        accuracy = result["heldout"]["accuracy"]
    else:
        result = run(lambda: run_tolerance_eval(parts, questions))
        accuracy = result["accuracy"]
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
    elif folds:
        print_fold_report(result, console)
    else:
        print_tolerance_report(result, console)
    if accuracy < min_accuracy:
        err_console.print(f"[red]准确率 {accuracy:.3f} 低于要求的 {min_accuracy}[/red]")
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
    """Answer figures overall and per question kind, then the misses."""
    table = Table(title=f"回答评测（{s.answerable} 个可回答，{s.unanswerable} 个不可回答）")
    for column in ("", "回答所引条文含标准答案", "所引条文中含标准答案的比例", "首个所引条文含标准答案",
                   "每个回答所引条文数", "不可回答被拒答", "可回答被误拒答"):
        table.add_column(column, justify="right")

    def row(name: str, f: dict) -> None:
        table.add_row(name, *(f"{f[k]:.3f}" if f.get(n) else "—" for k, n in (
            ("cited", "answerable"), ("precision", "answerable"), ("first_quoted", "answerable"),
            ("quoted_per_answer", "answerable"), ("refused_unanswerable", "unanswerable"),
            ("wrongly_refused", "answerable"))))

    row("全部", {k: getattr(s, k) for k in ("answerable", "unanswerable", "cited", "precision", "first_quoted",
                                          "quoted_per_answer", "refused_unanswerable", "wrongly_refused")})
    for kind, figures in s.by_kind.items():
        row(kind, figures)
    console.print(table)
    console.print(f"列出的条文含标准答案 {s.listed:.3f}；引用了已被替代文本（现行文本同在）{len(s.superseded_cited)} 次")
    if s.multipart:
        console.print(f"标准答案分几处的 {s.multipart} 个问题中，回答正文说全了的占 {s.complete:.3f}")
    for miss in s.misses:
        console.print(f"[yellow]{miss['id']}[/yellow] {miss['why']}：{miss['question'][:40]}", highlight=False)
        for where in miss.get("cited", []):
            console.print(f"    引用：{where}", markup=False)


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _tolerance_tables(results: dict[str, dict], console: Console) -> None:
    """The confusion of each result, then its figures side by side (one column per result)."""
    from assistant.evaluation.situations import OUTLOOKS

    for name, result in results.items():
        table = Table("预期 \\ 结果", *OUTLOOKS, title=f"容错初筛评测 {name}（{result['situations']} 个情况）")
        for expected, row in result["confusion"].items():
            table.add_row(expected, *(str(row[p]) for p in OUTLOOKS))
        console.print(table)
    table = Table("指标", *results, title="容错初筛评测")
    rows = [("结论准确率", "accuracy"), ("“信息不足”占全部结果", "insufficient_rate"),
            ("关键事实已说明时仍返回“信息不足”", "insufficient_when_stated"),
            ("引用“三个区分开来”或先例案例", "key_citation_share")]
    for label, key in rows:
        table.add_row(label, *(_figure(r[key]) for r in results.values()))
    for o in OUTLOOKS:
        for label, key in (("精确率", "precision"), ("召回率", "recall")):
            table.add_row(f"{o} {label}", *(_figure(r["per_outlook"][o][key]) for r in results.values()))
        table.add_row(f"{o} 预期/返回", *(f"{r['per_outlook'][o]['expected']}/{r['per_outlook'][o]['returned']}"
                                        for r in results.values()))
    console.print(table)


def _misses(result: dict, console: Console) -> None:
    for item in result["items"]:
        if item["expected"] != item["predicted"] or not item["cites_key"]:
            console.print(f"[yellow]{item['id']}[/yellow]：预期 {item['expected']}，结果 {item['predicted']}"
                          + ("" if item["cites_key"] else "，未引用关键条文"))


def print_tolerance_report(result: dict, console: Console) -> None:
    _tolerance_tables({"": result}, console)
    if result.get("clauses_left_out"):
        console.print(f"（读取模型未使用出自本集报道的 {result['clauses_left_out']} 条标注短句）")
    _misses(result, console)


def _setting(setting: dict) -> str:
    return f"{setting['combine']} / {setting['threshold']} / {setting['decisive_threshold']}"


def print_fold_report(result: dict, console: Console) -> None:
    """Held-out figures beside the whole set as shipped, each fold's choice, and the held-out misses."""
    _tolerance_tables({f"留出（{result['k']} 折）": result["heldout"], "整集（发布设置）": result["dev"]}, console)
    console.print(f"读取方式（合并 / 阈值 / 单独定论的阈值）：发布设置 {_setting(result['shipped'])}；"
                  f"在整集上最好的是 {_setting(result['best_on_all'])}"
                  + (f"；读取模型未使用出自本集报道的 {result['clauses_left_out']} 条标注短句" if result["clauses_left_out"] else ""))
    if result.get("learned_outlook"):
        console.print("结论模型：每折用其余各折与本集以外的训练情况拟合；整集一栏用发布的权重（其训练情况含本集）")
    for n, fold in enumerate(result["folds"], 1):
        console.print(f"第 {n} 折（{len(fold['test'])} 个情况）：{_setting(fold)}，"
                      f"其余各折准确率 {fold['train_accuracy']:.3f}")
    console.print("留出各折中未判对的：")
    _misses(result["heldout"], console)
