"""`assistant kb list | create | delete`: the knowledge bases of the index (see docs/knowledge-bases.md)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import IndexDir, console, run, settings

app = typer.Typer(help="知识库：列出、新建、删除（文档用 assistant ingest --kb 或 assistant documents --kb 管理）",
                  no_args_is_help=True)


def _kbs(index_dir):
    from assistant.knowledge_bases import KnowledgeBases

    return KnowledgeBases(settings(index_dir))


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None) -> None:
    """列出索引中的知识库及其文档数、片段数。"""
    def action():
        kbs = _kbs(index_dir)
        rows = []
        for name in kbs.names():
            records = kbs.get(name).store.documents()
            rows.append({"name": name, "documents": len(records), "chunks": sum(len(r.chunk_ids) for r in records)})
        return rows

    rows = run(action)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("知识库", "文档", "片段", title=f"知识库（{len(rows)}）")
    for row in rows:
        table.add_row(escape(row["name"]), str(row["documents"]), str(row["chunks"]))
    console.print(table)


@app.command()
def create(name: Annotated[str, typer.Argument(help="名称：小写字母、数字、_ 或 -，如 jiwei")],
           index_dir: IndexDir = None) -> None:
    """新建一个空知识库（assistant ingest PATH --kb NAME 也会在它不存在时新建）。"""
    run(lambda: _kbs(index_dir).create(name))
    console.print(f"已新建知识库 {escape(name)}")


@app.command()
def delete(name: Annotated[str, typer.Argument(help="知识库名称")],
           yes: Annotated[bool, typer.Option("--yes", help="不再确认")] = False, index_dir: IndexDir = None) -> None:
    """删除知识库及其索引（default 不能删除；语料目录中的文件保留）。"""
    if not yes:
        typer.confirm(f"删除知识库 {name} 及其全部索引？", abort=True)
    run(lambda: _kbs(index_dir).delete(name))
    console.print(f"已删除知识库 {escape(name)}")
