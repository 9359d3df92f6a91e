"""Command line: `assistant ingest | search | stats | serve | eval | bench`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.errors import AssistantError
from assistant.settings import Settings, load_settings

app = typer.Typer(help="政策知识助手：检索中文政策文本并给出带出处的回答", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)

IndexDir = Annotated[Path | None, typer.Option("--index-dir", help="索引目录（默认 ASSISTANT_INDEX_DIR 或 index/）")]


def _settings(index_dir: Path | None = None) -> Settings:
    return load_settings(index_dir=index_dir)


def _fail(err: Exception) -> None:
    err_console.print(f"[red]错误：[/red]{err}")
    raise typer.Exit(code=1)


@app.command()
def ingest(paths: Annotated[list[Path] | None, typer.Argument(help="文件或目录，默认 corpus/")] = None,
           index_dir: IndexDir = None) -> None:
    """把语料按文件结构切分、向量化并写入索引（增量：未改动的文件不重复处理）。"""
    from assistant.components import Components

    try:
        settings = _settings(index_dir)
        targets = paths or [settings.corpus_dir]
        missing = [p for p in targets if not p.exists()]
        if missing:
            raise AssistantError("路径不存在：" + "、".join(map(str, missing)))
        parts = Components.load(settings, create=True)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True) as progress:
            task = progress.add_task("向量化", total=None)

            def on_progress(doc_id: str, done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, description=f"向量化 {doc_id[-40:]}")

            report = parts.ingestor().run(targets, on_progress)
    except AssistantError as err:
        _fail(err)
    table = Table(title="入库结果", show_header=False)
    for label, value in [("文档总数", report.documents), ("片段总数", report.total_chunks),
                         ("新增", len(report.added)), ("更新", len(report.updated)), ("未变", report.unchanged),
                         ("移除", len(report.removed)), ("本次写入片段", report.chunks), ("本次写入句向量", report.sentences),
                         ("本次调用模型的文本", report.embedded), ("跳过的文件", len(report.skipped)),
                         ("耗时", f"{report.seconds:.1f} 秒")]:
        table.add_row(label, str(value))
    console.print(table)
    for name, reason in report.skipped:
        console.print(f"[yellow]跳过[/yellow] {name}：{reason}")


@app.command()
def search(query: str, k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
           as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None) -> None:
    """检索与问题最相关的条文片段。"""
    from assistant.components import Components

    try:
        if not query.strip():
            raise AssistantError("问题不能为空")
        hits = Components.load(_settings(index_dir)).retriever().search(query, k=k)
    except AssistantError as err:
        _fail(err)
    if as_json:
        from assistant.api.schemas import SearchResult

        console.print_json(json.dumps([SearchResult.from_hit(h).model_dump() for h in hits], ensure_ascii=False))
        return
    for n, hit in enumerate(hits, 1):
        c = hit.chunk
        flag = " [red]（已废止/已被修订）[/red]" if c.status == "superseded" else ""
        number = f"（{c.doc_number}）" if c.doc_number else ""
        console.print(f"[bold]{n}. 《{c.title}》{number} {c.section}[/bold]{flag}  "
                      f"[dim]融合 {hit.score:.4f} · 向量 {hit.dense:.3f} · BM25 {hit.bm25:.2f}[/dim]")
        console.print(c.text, markup=False, highlight=False)
        console.print()


@app.command()
def stats(index_dir: IndexDir = None) -> None:
    """索引概况：文档、片段、向量模型。"""
    from assistant.components import open_store

    try:
        store = open_store(_settings(index_dir))
        records = store.documents()
    except AssistantError as err:
        _fail(err)
    table = Table("文档", "类型", "状态", "片段", "入库时间")
    for r in sorted(records, key=lambda r: r.doc_id):
        table.add_row(r.doc_id, r.kind, r.status, str(len(r.chunk_ids)), r.ingested_at)
    console.print(table)
    console.print(f"共 {len(records)} 个文档，{sum(len(r.chunk_ids) for r in records)} 个片段；"
                  f"向量模型 {store.model}")


@app.command("eval")
def eval_(questions: Annotated[list[Path], typer.Option("--questions", help="JSONL 问题集，可多个")],
          k: Annotated[int, typer.Option("--k", min=1, max=50)] = 10,
          baseline: Annotated[bool, typer.Option(help="同时评测朴素基线（RecursiveCharacterTextSplitter 500/50 + 向量检索）")] = True,
          as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None,
          min_recall5: Annotated[float, typer.Option(help="recall@5 低于此值时以非零状态退出")] = 0.0) -> None:
    """在问题集上评测检索：recall@1/3/5/10、recall@800ch、MRR，并与基线对比。"""
    from assistant.evaluation.report import run_eval

    try:
        result = run_eval(_settings(index_dir), questions, k=k, with_baseline=baseline)
    except AssistantError as err:
        _fail(err)
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
    else:
        from assistant.evaluation.report import print_report

        print_report(result, console)
    if result["ours"]["recall"].get("5", 0.0) < min_recall5:
        err_console.print(f"[red]recall@5 {result['ours']['recall'].get('5', 0):.3f} 低于要求的 {min_recall5}[/red]")
        raise typer.Exit(code=2)


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="监听地址")] = None,
          port: Annotated[int | None, typer.Option(help="端口")] = None, index_dir: IndexDir = None) -> None:
    """启动 HTTP 服务（FastAPI + uvicorn）。"""
    import uvicorn

    from assistant.api import create_app

    try:
        settings = load_settings(index_dir=index_dir, host=host, port=port)
    except AssistantError as err:
        _fail(err)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


@app.command()
def bench(what: Annotated[str, typer.Argument(help="ingest 或 search")] = "search",
          paths: Annotated[list[Path] | None, typer.Option("--path", help="ingest 基准用的语料（默认 corpus/）")] = None,
          questions: Annotated[Path | None, typer.Option("--questions", help="search 基准用的问题集")] = None,
          clients: Annotated[int, typer.Option(min=1, max=64)] = 8, index_dir: IndexDir = None) -> None:
    """基准：入库速度对比模型本身的向量化速度；检索延迟对比单次查询向量化耗时。"""
    from assistant.evaluation import bench as b
    from assistant.evaluation.questions import load_questions

    try:
        settings = _settings(index_dir)
        if what == "ingest":
            r = b.bench_ingest(settings, paths or [settings.corpus_dir])
            console.print(f"入库 {r['documents']} 个文档、{r['passages']} 个片段：{r['ingest_rate']:.2f} 片段/秒；"
                          f"模型本身 {r['embed_rate']:.2f} 片段/秒；耗时比 {r['ratio']:.2f}×；峰值内存 {r['peak_rss_mb']:.0f} MB")
        elif what == "search":
            qs = [q.question for q in load_questions([questions or Path("eval/seed.jsonl")])]
            r = b.bench_search(settings, qs, clients=clients)
            console.print(f"{r['queries']} 次检索：单请求 p50 {r['single_p50_ms']:.1f} ms / p95 {r['single_p95_ms']:.1f} ms；"
                          f"{clients} 并发 p50 {r['concurrent_p50_ms']:.1f} ms / p95 {r['concurrent_p95_ms']:.1f} ms，"
                          f"{r['throughput_qps']:.1f} 次/秒；查询向量化 p50 {r['embed_p50_ms']:.1f} ms；"
                          f"p50/向量化 = {r['p50_over_embed']:.2f}×；峰值内存 {r['peak_rss_mb']:.0f} MB")
        else:
            raise AssistantError("bench 只支持 ingest 或 search")
    except AssistantError as err:
        _fail(err)


def main() -> None:  # pragma: no cover
    app()
