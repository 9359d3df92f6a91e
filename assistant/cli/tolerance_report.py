"""A screening printed for the terminal (`assistant tolerance`): factor table, outlook, rules, cases,
procedure, questions and the reminder."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.tolerance.types import VERDICT_LABELS, ToleranceAssessment

_COLOURS = {"supports": "green", "against": "red", "not stated": "dim"}
_OUTLOOK_COLOURS = {"likely_tolerable": "green", "unlikely": "red", "insufficient_information": "yellow"}


def print_assessment(result: ToleranceAssessment, console: Console) -> None:
    if result.notice:
        console.print(f"[yellow]（{escape(result.notice)}）[/yellow]")
    table = Table("因素", "情况中的说法", "对照", title="逐项对照", show_lines=True)
    for f in result.factors:
        colour = _COLOURS[f.verdict]
        words = "\n".join(f"「{e}」" for e in f.evidence) or "—"
        table.add_row(f.name, escape(words), f"[{colour}]{VERDICT_LABELS[f.verdict]}[/{colour}]"
                      + (f"\n[dim]{escape(f.ground)}[/dim]" if f.ground else ""))
    console.print(table)
    colour = _OUTLOOK_COLOURS[result.outlook]
    console.print(f"[bold {colour}]初步对照：{result.outlook_label}[/bold {colour}]")
    console.print(result.reasoning, markup=False, highlight=False)
    sections = [("容错的条件", [(c.n, f"{c.title} {c.where}", c.quote) for c in result.criteria]),
                ("不予容错的情形", [(c.n, f"{c.title} {c.where}", c.quote) for c in result.exclusions]),
                ("类似案例", [(c.n, f"{c.title}（{c.outcome}）", c.result) for c in result.similar_cases])]
    for heading, rows in sections:
        if rows:
            console.print(f"\n[bold]{heading}[/bold]")
            for n, where, text in rows:
                console.print(f"\\[{n}] {escape(where)}", style="bold")
                console.print(f"    {text.strip()}", markup=False, highlight=False)
    console.print("\n[bold]如何申请、由谁决定[/bold]")
    for step in result.procedure:
        console.print(f"- {escape(step.step)}：{escape(step.text)}" + (f" \\[{step.n}]" if step.n else ""))
    if result.questions_to_clarify:
        console.print("\n[bold]还需要说明[/bold]")
        for question in result.questions_to_clarify:
            console.print(f"- {escape(question)}")
    console.print("\n[bold]引用条文[/bold]")
    for c in result.citations:
        number = f"（{escape(c.doc_number)}）" if c.doc_number else ""
        console.print(f"\\[{c.n}] {escape(c.where)}{number}", style="dim")
    console.print(f"\n[bold]提示：[/bold]{escape(result.reminder)}")
