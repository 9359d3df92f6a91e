"""A pack as a Word document (python-docx) with Chinese styles: 标题 in 黑体, body in 仿宋, quotations
in an indented 楷体 style, headings numbered 一、二、三 as text, and the source list as a table.

Font names are set for both Western and East-Asian text (w:eastAsia) and the template's theme fonts are
removed, since Word lets a theme font win over a named one. Word and LibreOffice fall back to an installed
CJK font when a named one is missing."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from assistant.course import layout
from assistant.course.types import CoursePack, Point, Quote

HEITI, FANGSONG, KAITI, SONGTI = "黑体", "仿宋", "楷体", "宋体"
BODY_PT, QUOTE_PT, SMALL_PT = 14, 14, 10.5  # 四号 body and quotations, 五号 notes and the source table
QUOTE_STYLE, NOTE_STYLE, TITLE_STYLE, TABLE_STYLE = "引文", "说明", "讲义标题", "表格文字"
GREY = RGBColor(0x59, 0x59, 0x59)


def _fonts(style, name: str, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    """Name the font for Western and East-Asian text alike, drop theme fonts, set size, weight and colour."""
    style.font.name = name
    style.font.size = Pt(size)
    style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    for old in rpr.findall(qn("w:color")):
        rpr.remove(old)
    style.font.color.rgb = color or RGBColor(0, 0, 0)


def _paragraph_style(doc, name: str, base: str = "Normal"):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base]
    return style


def define_styles(doc) -> None:
    """The handout's styles: Normal (仿宋), headings (黑体), title, quotation (楷体, indented), notes, table text."""
    normal = doc.styles["Normal"]
    _fonts(normal, FANGSONG, BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    fmt = normal.paragraph_format
    fmt.line_spacing = 1.5
    fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(BODY_PT * 2)

    for name, size, before in (("Heading 1", 16, 18), ("Heading 2", 14, 10), ("Heading 3", 14, 6)):
        style = doc.styles[name]
        _fonts(style, HEITI, size)
        style.paragraph_format.first_line_indent = Pt(0)
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(6)

    title = _paragraph_style(doc, TITLE_STYLE)
    _fonts(title, HEITI, 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.paragraph_format.space_after = Pt(12)

    quote = _paragraph_style(doc, QUOTE_STYLE)
    _fonts(quote, KAITI, QUOTE_PT)
    quote.paragraph_format.left_indent = Pt(QUOTE_PT * 2)
    quote.paragraph_format.first_line_indent = Pt(0)
    quote.paragraph_format.line_spacing = 1.3
    quote.paragraph_format.space_after = Pt(4)

    note = _paragraph_style(doc, NOTE_STYLE)
    _fonts(note, FANGSONG, SMALL_PT, color=GREY)
    note.paragraph_format.first_line_indent = Pt(0)
    note.paragraph_format.line_spacing = 1.2
    note.paragraph_format.keep_with_next = True  # a document's details stay with its first provision

    table = _paragraph_style(doc, TABLE_STYLE)
    _fonts(table, SONGTI, SMALL_PT)
    table.paragraph_format.first_line_indent = Pt(0)
    table.paragraph_format.line_spacing = 1.0


def _page(doc) -> None:
    """A4, 2.5 cm margins, the page number centred in the footer."""
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.6)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)


def _marker(paragraph, numbers) -> None:
    run = paragraph.add_run(layout.markers(numbers))
    run.font.size = Pt(SMALL_PT)


def _quote(doc, quote: Quote) -> None:
    """The quotation line by line, verbatim, in the quotation style; its [n] after the last line."""
    lines = quote.text.split("\n")
    for i, line in enumerate(lines):
        paragraph = doc.add_paragraph(line, style=QUOTE_STYLE)
        if i == len(lines) - 1:
            _marker(paragraph, [quote.source])


def _label(doc, text: str, extra: str = "") -> None:
    paragraph = doc.add_paragraph(style="Normal")
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.keep_with_next = True  # never a label alone at the foot of a page
    paragraph.add_run(text).bold = True
    if extra:
        paragraph.add_run(extra)


def _points(doc, points: list[Point], numbered: bool) -> None:
    if not numbered:
        paragraph = doc.add_paragraph(style="Normal")
        for point in points:
            paragraph.add_run(point.text)
            _marker(paragraph, point.sources)
        return
    for i, point in enumerate(points, 1):
        paragraph = doc.add_paragraph(f"{i}. {point.text}", style="Normal")
        _marker(paragraph, point.sources)


def _sources_table(doc, pack: CoursePack) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, ("编号", "出处（文件、条款、文号、发布机关、日期、效力）")):
        cell.paragraphs[0].style = doc.styles[TABLE_STYLE]
        cell.paragraphs[0].add_run(text).bold = True
    for source in pack.sources:
        cells = table.add_row().cells
        cells[0].paragraphs[0].style = doc.styles[TABLE_STYLE]
        cells[0].paragraphs[0].add_run(f"[{source.n}]")
        cells[1].paragraphs[0].style = doc.styles[TABLE_STYLE]
        cells[1].paragraphs[0].add_run(layout.source_line(source))
    table.autofit = False
    for column, width in zip(table.columns, (Cm(1.6), Cm(14.2))):
        column.width = width  # the grid LibreOffice lays out by
        for cell in column.cells:
            cell.width = width  # the cell widths Word lays out by


def render_docx(pack: CoursePack) -> bytes:
    """The handout as .docx bytes."""
    doc = Document()
    define_styles(doc)
    _page(doc)
    props = doc.core_properties
    props.title = layout.title(pack)
    props.subject = pack.topic
    props.author = "政策知识助手"
    props.keywords = f"{pack.topic}；课程讲义；政策法规"
    props.comments = layout.NOTE

    doc.add_paragraph(layout.title(pack), style=TITLE_STYLE)
    doc.add_paragraph(layout.NOTE, style=NOTE_STYLE)
    if pack.notice:
        doc.add_paragraph(f"提示：{pack.notice}", style=NOTE_STYLE)
    for key, heading in layout.sections(pack):
        doc.add_heading(heading, level=1)
        if key == "intro":
            if pack.introduction:
                _points(doc, pack.introduction, numbered=False)
            if pack.learning_points:
                _label(doc, "学习要点")
                _points(doc, pack.learning_points, numbered=True)
        elif key == "provisions":
            for n, group in enumerate(pack.groups, 1):
                doc.add_heading(layout.group_heading(n, group), level=2)
                meta = layout.group_meta(group)
                if meta:
                    doc.add_paragraph(meta, style=NOTE_STYLE)
                if group.superseded:
                    doc.add_paragraph(layout.superseded_warning(group), style=NOTE_STYLE).runs[0].bold = True
                for provision in group.provisions:
                    _label(doc, provision.heading, "（节选）" if provision.excerpt else "")
                    _quote(doc, provision.quote)
        elif key == "cases":
            for n, case in enumerate(pack.cases, 1):
                doc.add_heading(f"（{layout.cn_number(n)}）{case.title}", level=2)
                doc.add_paragraph(f"出处：《{case.collection}》{case.case_no}", style=NOTE_STYLE)
                for attr, label in layout.CASE_PARTS:
                    quotes = getattr(case, attr)
                    if quotes:
                        _label(doc, label)
                        for quote in quotes:
                            _quote(doc, quote)
        elif key == "terms":
            for term in pack.terms:
                old = pack.source(term.definition.source).status == "superseded"
                _label(doc, term.term, "（出自已被替代的文件，仅供对照）" if old else "")
                _quote(doc, term.definition)
        elif key == "questions":
            for i, question in enumerate(pack.questions, 1):
                paragraph = doc.add_paragraph(f"{i}. {question.text}（参见 ", style="Normal")
                _marker(paragraph, question.sources)
                paragraph.add_run("）")
        elif key == "sources":
            _sources_table(doc, pack)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
