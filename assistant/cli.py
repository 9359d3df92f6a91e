"""Command line: `assistant ingest | search | ask | stats | serve | eval | bench | documents …`."""

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
def ask(question: str, as_json: Annotated[bool, typer.Option("--json", help="输出与 /api/chat 相同的 JSON")] = False,
        index_dir: IndexDir = None) -> None:
    """提问：回答中的 [n] 指所列条文（未配置大模型时为摘录式回答；依据不足时拒答）。"""
    from rich.markup import escape

    from assistant.answer import ChatService
    from assistant.api.chat_schemas import check_question
    from assistant.components import Components

    try:
        try:
            check_question(question)
        except ValueError as err:
            raise AssistantError(str(err)) from None
        settings = _settings(index_dir)
        answer = ChatService.from_settings(settings, Components.load(settings).retriever()).answer(question)
    except AssistantError as err:
        _fail(err)
    if as_json:
        console.print_json(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    if answer.notice:
        console.print(f"[yellow]（{escape(answer.notice)}）[/yellow]")
    console.print(answer.answer, markup=False, highlight=False)
    console.print()
    console.print("[bold]最接近的条文（供参考）[/bold]" if answer.refused else "[bold]引用条文[/bold]")
    for c in answer.citations:
        flag = " [red]（已被替代）[/red]" if c.status == "superseded" else ""
        number = f"（{escape(c.doc_number)}）" if c.doc_number else ""
        console.print(f"[bold]\\[{c.n}] {escape(c.where)}{number}[/bold]{flag}")
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
          min_recall5: Annotated[float, typer.Option(help="recall@5 低于此值时以非零状态退出")] = 0.0,
          answers: Annotated[bool, typer.Option("--answers", help="同时评测回答：引用含标准答案、拒答与误拒答")] = False) -> None:
    """在问题集上评测检索：recall@1/3/5/10、recall@800ch、MRR，并与基线对比；--answers 时也评测回答。"""
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
    if answers:
        from dataclasses import asdict

        from assistant.evaluation.answer_eval import print_answer_report, run_answer_eval

        try:
            scores = run_answer_eval(_settings(index_dir), questions)
        except AssistantError as err:
            _fail(err)
        if as_json:
            console.print_json(json.dumps({"answers": asdict(scores)}, ensure_ascii=False))
        else:
            print_answer_report(scores, console)
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
        if not settings.chroma_url:  # a read-only index never fixes itself: say so now, not as a 503 later
            from assistant.store.connection import check_writable

            check_writable(settings.index_dir)
    except AssistantError as err:
        _fail(err)
    # h11, not httptools: httptools buffers request headers of any size (50 MB headers took RSS to 800 MB);
    # h11 refuses a request whose headers exceed 64 KB
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, http="h11",
                h11_max_incomplete_event_size=65536)


@app.command()
def bench(what: Annotated[str, typer.Argument(help="ingest、search 或 chat")] = "search",
          paths: Annotated[list[Path] | None, typer.Option("--path", help="ingest 基准用的语料（默认 corpus/）")] = None,
          questions: Annotated[Path | None, typer.Option("--questions", help="search 与 chat 基准用的问题集")] = None,
          clients: Annotated[int, typer.Option(min=1, max=64)] = 8, index_dir: IndexDir = None) -> None:
    """基准：入库速度对比模型本身的向量化速度；检索延迟对比单次查询向量化耗时；chat：/api/chat 并发延迟与服务内存。"""
    from assistant.evaluation import bench as b
    from assistant.evaluation.questions import load_questions

    try:
        settings = _settings(index_dir)
        if what == "ingest":
            r = b.bench_ingest(settings, paths or [settings.corpus_dir])
            console.print(f"入库 {r['documents']} 个文档，向量化 {r['passages']} 个文本（{r['chunks']} 个片段 + "
                          f"{r['sentences']} 个句子）：{r['ingest_rate']:.2f} 文本/秒；模型本身 {r['embed_rate']:.2f} 文本/秒；"
                          f"每个文本耗时比 {r['ratio']:.2f}×；峰值内存 {r['peak_rss_mb']:.0f} MB")
        elif what == "search":
            qs = [q.question for q in load_questions([questions or Path("eval/seed.jsonl")])]
            r = b.bench_search(settings, qs, clients=clients)
            console.print(f"{r['queries']} 次检索：单请求 p50 {r['single_p50_ms']:.1f} ms / p95 {r['single_p95_ms']:.1f} ms；"
                          f"{clients} 并发 p50 {r['concurrent_p50_ms']:.1f} ms / p95 {r['concurrent_p95_ms']:.1f} ms，"
                          f"{r['throughput_qps']:.1f} 次/秒；查询向量化 p50 {r['embed_p50_ms']:.1f} ms；"
                          f"p50/向量化 = {r['p50_over_embed']:.2f}×；峰值内存 {r['peak_rss_mb']:.0f} MB")
        elif what == "chat":
            from assistant.evaluation.chat_bench import bench_chat

            qs = [q.question for q in load_questions([questions or Path("eval/seed.jsonl")])]
            r = bench_chat(settings, qs, clients=clients)
            peak = f"{r['server_peak_rss_mb']:.0f} MB" if r["server_peak_rss_mb"] else "未知"
            console.print(f"/api/chat 单请求 p50 {r['single_p50_ms']:.1f} ms / p95 {r['single_p95_ms']:.1f} ms；"
                          f"{clients} 并发·新问题 {r['requests']} 次：p50 {r['p50_ms']:.1f} ms / "
                          f"p95 {r['p95_ms']:.1f} ms / 最慢 {r['max_ms']:.1f} ms，{r['throughput_qps']:.1f} 次/秒；"
                          f"{clients} 并发·重复问题：p50 {r['repeated_p50_ms']:.1f} ms / "
                          f"p95 {r['repeated_p95_ms']:.1f} ms，{r['repeated_throughput_qps']:.1f} 次/秒；"
                          f"拒答 {r['refused']}，失败 {r['failures'] + r['repeated_failures']}；服务进程峰值内存 {peak}")
        else:
            raise AssistantError("bench 只支持 ingest、search 或 chat")
    except AssistantError as err:
        _fail(err)


@app.command("course-pack")
def course_pack(topic: Annotated[str, typer.Argument(help="讲义主题，如「容错纠错机制」")],
                fmt: Annotated[str, typer.Option("--format", help="markdown 或 docx")] = "markdown",
                output: Annotated[Path | None, typer.Option("-o", "--output", help="输出文件（默认按主题命名）")] = None,
                max_provisions: Annotated[int, typer.Option("--max-provisions", min=1, max=60, help="最多引用的条文数")] = 20,
                cases: Annotated[bool, typer.Option("--cases/--no-cases", help="是否收录相关案例")] = True,
                index_dir: IndexDir = None) -> None:
    """生成课程讲义：逐字引用的重点条文、相关案例、重要概念、讨论题和资料来源（Markdown 或 Word）。"""
    from assistant.components import Components
    from assistant.course import CoursePackBuilder
    from assistant.course.layout import FORMATS, file_stem
    from assistant.course.types import check_topic

    try:
        try:
            topic = check_topic(topic)
        except ValueError as err:
            raise AssistantError(str(err)) from None
        if fmt not in FORMATS:
            raise AssistantError(f"不支持的格式「{fmt}」：只支持 markdown 或 docx")
        settings = _settings(index_dir)
        pack = CoursePackBuilder.from_settings(settings, Components.load(settings).retriever()).build(
            topic, max_provisions, cases)
        if fmt == "docx":
            from assistant.course.docx import render_docx

            data = render_docx(pack)
        else:
            from assistant.course.markdown import render_markdown

            data = render_markdown(pack).encode("utf-8")
        target = output or Path(f"{file_stem(topic)}.{FORMATS[fmt]}")
        try:
            target.write_bytes(data)
        except OSError as err:
            raise AssistantError(f"无法写入 {target}：{err.strerror or err}") from None
    except AssistantError as err:
        _fail(err)
    if pack.notice:
        console.print(f"[yellow]（{pack.notice}）[/yellow]")
    console.print(f"已生成讲义 {target}：{pack.provision_count} 条条文（{len(pack.groups)} 个文件）、"
                  f"{len(pack.cases)} 个案例、{len(pack.terms)} 个概念、{len(pack.questions)} 道讨论题、"
                  f"{len(pack.sources)} 个来源", markup=False, highlight=False)


@app.command()
def tolerance(situation: Annotated[str, typer.Argument(help="您的情况（中文，20–3000 字）：做了什么、为什么、怎么决策的、"
                                                             "有没有得到好处、后果如何")],
              as_json: Annotated[bool, typer.Option("--json", help="输出与 /api/tolerance 相同的 JSON")] = False,
              index_dir: IndexDir = None) -> None:
    """容错初筛：逐项对照“三个区分开来”等规定，给出带出处的初步看法（是否容错由党组织决定）。"""
    from assistant.components import Components
    from assistant.tolerance.report import print_assessment
    from assistant.tolerance.service import ToleranceService, check_situation

    try:
        try:
            check_situation(situation)
        except ValueError as err:
            raise AssistantError(str(err)) from None
        settings = _settings(index_dir)
        result = ToleranceService.from_settings(settings, Components.load(settings).retriever()).assess(situation)
    except AssistantError as err:
        _fail(err)
    if as_json:
        console.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    print_assessment(result, console)


@app.command("eval-tolerance")
def eval_tolerance(questions: Annotated[Path, typer.Option("--questions", help="JSONL 情况集")] = Path("eval/tolerance.jsonl"),
                   as_json: Annotated[bool, typer.Option("--json")] = False, index_dir: IndexDir = None,
                   min_accuracy: Annotated[float, typer.Option(help="准确率低于此值时以非零状态退出")] = 0.0) -> None:
    """评测容错初筛：结论准确率、各类混淆、信息不足召回率、引用“三个区分开来”或林某案的比例。"""
    from assistant.evaluation.tolerance_eval import print_tolerance_report, run_tolerance_eval

    try:
        result = run_tolerance_eval(_settings(index_dir), questions)
    except AssistantError as err:
        _fail(err)
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
    else:
        print_tolerance_report(result, console)
    if result["accuracy"] < min_accuracy:
        err_console.print(f"[red]准确率 {result['accuracy']:.3f} 低于要求的 {min_accuracy}[/red]")
        raise typer.Exit(code=2)


@app.command()
def questions(days: Annotated[int, typer.Option("--days", min=1, max=3650, help="统计最近几天（含今天）")] = 7,
              top: Annotated[int, typer.Option("--top", min=1, max=500, help="列出最常见的拒答问题条数")] = 20,
              log_dir: Annotated[Path | None, typer.Option("--dir", help="问题日志目录（默认 ASSISTANT_QUESTION_LOG_DIR）")]
              = None) -> None:
    """问题日志复盘：最近几天的提问数、拒答数和最常见的拒答问题（知识库的缺口）。"""
    from rich.markup import escape

    from assistant.api.question_log import summarise

    try:
        folder = log_dir or _settings().question_log_dir
        if folder is None:
            raise AssistantError("未启用问题日志：请设置 ASSISTANT_QUESTION_LOG_DIR，或用 --dir 指定日志目录")
        if not folder.is_dir():
            raise AssistantError(f"问题日志目录不存在：{folder}")
    except AssistantError as err:
        _fail(err)
    s = summarise(folder, days, top)
    share = f"（{s['refused'] / s['total']:.0%}）" if s["total"] else ""
    console.print(f"最近 {days} 天：提问 {s['total']} 次，拒答 {s['refused']} 次{share}")
    if s["top_refused"]:
        table = Table(title="最常见的拒答问题")
        table.add_column("次数", justify="right")
        table.add_column("问题")
        for question, count in s["top_refused"]:
            table.add_row(str(count), escape(question))
        console.print(table)


from assistant.documents.cli import app as documents_app  # noqa: E402 - the sub-app, after the commands above

app.add_typer(documents_app, name="documents")


def main() -> None:  # pragma: no cover
    app()
