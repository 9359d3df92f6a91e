"""A pack as Markdown: numbered sections, quotations as block quotes (verbatim, line by line) followed by
their [n], and the numbered source list at the end."""

from __future__ import annotations

from assistant.course import layout
from assistant.course.types import CoursePack, Point, Quote


def _quote(quote: Quote) -> list[str]:
    lines = quote.text.split("\n")
    lines[-1] += f" [{quote.source}]"
    return [f"> {line}" if line else ">" for line in lines] + [""]


def _points(points: list[Point]) -> str:
    return "".join(f"{p.text}{layout.markers(p.sources)}" for p in points)


def render_markdown(pack: CoursePack) -> str:
    """The whole handout as Markdown text."""
    out = [f"# {layout.title(pack)}", "", f"> {layout.NOTE}", ""]
    if pack.notice:
        out += [f"**提示**：{pack.notice}", ""]
    for key, heading in layout.sections(pack):
        out += [f"## {heading}", ""]
        if key == "intro":
            if pack.introduction:
                out += [_points(pack.introduction), ""]
            if pack.learning_points:
                out += ["**学习要点**", ""]
                out += [f"{i}. {p.text}{layout.markers(p.sources)}" for i, p in enumerate(pack.learning_points, 1)]
                out.append("")
        elif key == "provisions":
            for n, group in enumerate(pack.groups, 1):
                out += [f"### {layout.group_heading(n, group)}", ""]
                meta = layout.group_meta(group)
                if meta:
                    out += [meta, ""]
                if group.superseded:
                    out += [f"**{layout.superseded_warning(group)}**", ""]
                for provision in group.provisions:
                    excerpt = "（节选）" if provision.excerpt else ""
                    out += [f"**{provision.heading}**{excerpt}", ""] + _quote(provision.quote)
        elif key == "cases":
            for n, case in enumerate(pack.cases, 1):
                out += [f"### （{layout.cn_number(n)}）{case.title}", "",
                        f"出处：《{case.collection}》{case.case_no}", ""]
                for attr, label in layout.CASE_PARTS:
                    quotes = getattr(case, attr)
                    if quotes:
                        out += [f"**{label}**", ""]
                        for quote in quotes:
                            out += _quote(quote)
        elif key == "terms":
            for term in pack.terms:
                note = "（出自已被替代的文件，仅供对照）" if pack.source(term.definition.source).status == "superseded" else ""
                out += [f"**{term.term}**{note}", ""] + _quote(term.definition)
        elif key == "questions":
            out += [f"{i}. {q.text}（参见 {layout.markers(q.sources)}）" for i, q in enumerate(pack.questions, 1)]
            out.append("")
        elif key == "sources":
            out += [f"- [{s.n}] {layout.source_line(s)}" for s in pack.sources]
            out.append("")
    return "\n".join(out).rstrip() + "\n"
