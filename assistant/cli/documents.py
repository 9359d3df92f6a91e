"""`assistant documents list | add | set | remove`: the documents API's operations from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import IndexDir, Kb, console, run, settings
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.documents.service import DocumentService

app = typer.Typer(help="知识库文档管理：列出、上传、标注替代关系、撤下", no_args_is_help=True)


def _service(index_dir: Path | None, kb: str) -> DocumentService:
    from assistant.components import Components

    return Components.load(settings(index_dir), kb=kb).documents()


def _show(record, label: str = "") -> None:
    status = "现行" if record.status == "in_force" else f"已被替代（由 {record.superseded_by or '未注明'}）"
    console.print(f"{label}{escape(record.doc_id)}：《{escape(record.title)}》{escape(record.doc_number)} "
                  f"· {status} · {len(record.chunk_ids)} 个片段", highlight=False)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """列出索引中的全部文档。"""
    records = run(lambda: _service(index_dir, kb).list())
    if as_json:
        rows = [{"doc_id": r.doc_id, "title": r.title, "doc_number": r.doc_number, "kind": r.kind,
                 "status": r.status, "superseded_by": r.superseded_by, "chunks": len(r.chunk_ids),
                 "ingested_at": r.ingested_at, "pinned": r.pinned} for r in records]
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"文档（{len(records)}）")
    for column in ("id", "标题", "文号", "类型", "状态", "片段", "入库时间"):
        table.add_column(column)
    for r in records:
        status = "现行" if r.status == "in_force" else f"被替代→{r.superseded_by}"
        table.add_row(*map(escape, (r.doc_id, r.title, r.doc_number, r.kind, status, str(len(r.chunk_ids)),
                                    r.ingested_at)))
    console.print(table)


@app.command()
def add(file: Annotated[Path, typer.Argument(help="要上传的文件（.txt .md .docx .pdf .html）")],
        kind: Annotated[str, typer.Option(help="policy / regulation / regulation_collection / case_collection / "
                                               "interpretation；留空自动识别")] = "",
        title: Annotated[str, typer.Option(help="标题（留空取自正文）")] = "",
        status: Annotated[str, typer.Option(help="in_force 或 superseded")] = "in_force",
        supersedes: Annotated[str, typer.Option(help="它替代的文档 id（随即标为 superseded）")] = "",
        replace: Annotated[bool, typer.Option("--replace", help="覆盖同名的已上传文档")] = False,
        index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """上传一份文件到语料目录的 uploads/ 并入库（与 POST /api/documents 相同的检查）。"""
    def action():
        try:
            data = file.read_bytes()
        except OSError as err:
            raise AssistantError(f"无法读取 {file}：{err.strerror or err}") from None
        return _service(index_dir, kb).add(file.name, data, kind=kind, title=title, status=status,
                                       supersedes=supersedes, replace=replace)

    added = run(action)
    _show(added.document, "已入库 ")
    if added.superseded:
        _show(added.superseded, "已标为被替代 ")


@app.command("set")
def set_(doc_id: Annotated[str, typer.Argument(help="文档 id（见 assistant documents list）")],
         status: Annotated[str | None, typer.Option(help="in_force 或 superseded")] = None,
         superseded_by: Annotated[str | None, typer.Option("--superseded-by", help="替代它的文档 id")] = None,
         index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """标注文档现行或被替代（管理员的标注在重新入库后保留）。"""
    _show(run(lambda: _service(index_dir, kb).set_status(doc_id, status, superseded_by)), "已更新 ")


@app.command()
def remove(doc_id: Annotated[str, typer.Argument(help="文档 id")], index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """撤下文档：立即移出索引；语料目录中的源文件移至 .withdrawn/。"""
    removed = run(lambda: _service(index_dir, kb).remove(doc_id))
    console.print(escape(removed.note))
