"""`assistant ask`, `tolerance` and `course-pack`: what a cadre or a trainer asks for, in the terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from assistant.cli.common import IndexDir, Kb, console, run, settings
from assistant.errors import AssistantError

Format = Literal["markdown", "docx"]


def ask(question: str, as_json: Annotated[bool, typer.Option("--json", help="输出与 /api/chat 相同的 JSON")] = False,
        index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """提问：回答中的 [n] 指所列条文（未配置大模型时为摘录式回答；依据不足时拒答）。"""
    from assistant.components import Components
    from assistant.validation import QuestionText, check

    def action():
        check(QuestionText, question)
        return Components.load(settings(index_dir), kb=kb).chat().answer(question)

    answer = run(action)
    if as_json:
        body = answer.model_dump(mode="json")
        if body.get("tolerance") is None:  # as /api/chat, without the screening a plain answer does not have
            body.pop("tolerance", None)
        console.print_json(json.dumps(body, ensure_ascii=False))
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


def tolerance(situation: Annotated[str, typer.Argument(help="您的情况（中文，20–3000 字）：做了什么、为什么、怎么决策的、"
                                                             "有没有得到好处、后果如何")],
              as_json: Annotated[bool, typer.Option("--json", help="输出与 /api/tolerance 相同的 JSON")] = False,
              index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """容错初筛：逐项对照“三个区分开来”等规定，给出带出处的初步看法（是否容错由党组织决定）。"""
    from assistant.cli.tolerance_report import print_assessment
    from assistant.components import Components
    from assistant.tolerance.service import check_situation

    def action():
        try:
            check_situation(situation)
        except ValueError as err:
            raise AssistantError(str(err)) from None
        return Components.load(settings(index_dir), kb=kb).tolerance().assess(situation)

    result = run(action)
    if as_json:
        console.print_json(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    print_assessment(result, console)


def course_pack(topic: Annotated[str, typer.Argument(help="讲义主题，如「容错纠错机制」")],
                fmt: Annotated[str, typer.Option("--format", help="markdown 或 docx")] = "markdown",
                output: Annotated[Path | None, typer.Option("-o", "--output", help="输出文件（默认按主题命名）")] = None,
                max_provisions: Annotated[int, typer.Option("--max-provisions", min=1, max=60, help="最多引用的条文数")] = 20,
                cases: Annotated[bool, typer.Option("--cases/--no-cases", help="是否收录相关案例")] = True,
                index_dir: IndexDir = None, kb: Kb = "default") -> None:
    """生成课程讲义：逐字引用的重点条文、相关案例、重要概念、讨论题和资料来源（Markdown 或 Word）。"""
    from assistant.components import Components
    from assistant.course.docx import render_docx
    from assistant.course.layout import FORMATS, file_stem
    from assistant.course.markdown import render_markdown
    from assistant.course.types import TopicText
    from assistant.validation import check

    def action():
        subject = check(TopicText, topic).strip()
        check(Format, fmt)
        pack = Components.load(settings(index_dir), kb=kb).course().build(subject, max_provisions, cases)
        data = render_docx(pack) if fmt == "docx" else render_markdown(pack).encode("utf-8")
        target = output or Path(f"{file_stem(subject)}.{FORMATS[fmt]}")
        try:
            target.write_bytes(data)
        except OSError as err:
            raise AssistantError(f"无法写入 {target}：{err.strerror or err}") from None
        return pack, target

    pack, target = run(action)
    if pack.notice:
        console.print(f"[yellow]（{pack.notice}）[/yellow]")
    console.print(f"已生成讲义 {target}：{pack.provision_count} 条条文（{len(pack.groups)} 个文件）、"
                  f"{len(pack.cases)} 个案例、{len(pack.terms)} 个概念、{len(pack.questions)} 道讨论题、"
                  f"{len(pack.sources)} 个来源", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(ask)
    app.command()(tolerance)
    app.command("course-pack")(course_pack)
