"""`assistant ingest`, `stats` and `search`: build the index, look at it, search it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.cli.common import IndexDir, Kb, console, err_console, run, settings
from assistant.errors import AssistantError


def ingest(paths: Annotated[list[Path] | None, typer.Argument(help="文件或目录，默认 corpus/")] = None,
           index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """把语料按文件结构切分、向量化并写入索引（增量：未改动的文件不重复处理）；--kb 指定的知识库不存在时新建。"""
    from assistant.components import Components

    def action():
        config = settings(index_dir)
        targets = paths or [config.corpus_dir]
        missing = [p for p in targets if not p.exists()]
        if missing:
            raise AssistantError("路径不存在：" + "、".join(map(str, missing)))
        parts = Components.load(config, create=True, kb=kb)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True) as progress:
            task = progress.add_task("向量化", total=None)

            def on_progress(doc_id: str, done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, description=f"向量化 {doc_id[-40:]}")

            return parts.ingestor().run(targets, on_progress)

    report = run(action)
    table = Table(title="入库结果", show_header=False)
    for label, value in [("文档总数", report.documents), ("片段总数", report.total_chunks),
                         ("新增", len(report.added)), ("更新", len(report.updated)), ("未变", report.unchanged),
                         ("移除", len(report.removed)), ("本次写入片段", report.chunks), ("本次写入句向量", report.sentences),
                         ("取自随附向量文件", report.from_pack), ("本次调用模型的文本", report.embedded), ("跳过的文件", len(report.skipped)),
                         ("耗时", f"{report.seconds:.1f} 秒")]:
        table.add_row(label, str(value))
    console.print(table)
    for note in report.notes:
        console.print(f"[yellow]注意[/yellow] {note}")
    for name, reason in report.skipped:
        console.print(f"[yellow]跳过[/yellow] {name}：{reason}")


def stats(index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """索引概况：文档、片段、向量模型。"""
    from assistant.components import open_store

    store = run(lambda: open_store(settings(index_dir), kb=kb))
    records = run(store.documents)
    table = Table("文档", "类型", "状态", "片段", "入库时间")
    for r in sorted(records, key=lambda r: r.doc_id):
        table.add_row(r.doc_id, r.kind, r.status, str(len(r.chunk_ids)), r.ingested_at)
    console.print(table)
    console.print(f"共 {len(records)} 个文档，{sum(len(r.chunk_ids) for r in records)} 个片段；"
                  f"向量模型 {store.model}")


def search(query: str, k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
           as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """检索与问题最相关的条文片段。"""
    from assistant.components import Components
    from assistant.grounding.passage import Passage
    from assistant.validation import QuestionText, check

    def action():
        check(QuestionText, query)
        return Components.load(settings(index_dir), kb=kb).retriever().search(query, k=k)

    hits = run(action)
    if as_json:
        rows = [Passage.from_hit(n, h).model_dump(mode="json") for n, h in enumerate(hits, 1)]
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    for n, hit in enumerate(hits, 1):
        c = hit.chunk
        flag = " [red]（已废止/已被修订）[/red]" if c.status == "superseded" else ""
        number = f"（{c.doc_number}）" if c.doc_number else ""
        console.print(f"[bold]{n}. 《{c.title}》{number} {c.section}[/bold]{flag}  "
                      f"[dim]融合 {hit.score:.4f} · 向量 {hit.dense:.3f} · BM25 {hit.bm25:.2f}[/dim]")
        console.print(c.text, markup=False, highlight=False)
        console.print()


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(stats)
    app.command()(search)
