"""Tests for assistant.loaders; every fixture file is generated here in tmp_path."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.errors import UnreadableFileError
from assistant.loaders import SUPPORTED_SUFFIXES, decode_bytes, load_text

ARTICLE = "第一条　为了规范公务员的管理，保障公务员的合法权益。"
BODY = "\n".join([ARTICLE, "第二条　本法所称公务员，是指依法履行公职的工作人员。", ARTICLE]) + "\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- plain text -------------------------------------------------------------------------------


def test_supported_suffixes():
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".docx", ".pdf", ".html", ".htm"}


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_txt_gbk_family(tmp_path, encoding):
    assert load_text(_write(tmp_path, "law.txt", BODY.encode(encoding))) == BODY


def test_short_gbk_is_not_decoded_as_big5():
    assert decode_bytes("关于印发".encode("gbk")) == "关于印发"


def test_txt_utf8_with_bom(tmp_path):
    assert load_text(_write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + BODY.encode("utf-8"))) == BODY


def test_md_utf8_plain_and_crlf(tmp_path):
    data = ("# 标题\r\n" + BODY.replace("\n", "\r\n")).encode("utf-8")
    assert load_text(_write(tmp_path, "NOTE.MD", data)) == "# 标题\n" + BODY


# --- docx -------------------------------------------------------------------------------------


def test_docx_order_headings_and_tables(tmp_path):
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    doc.add_heading("中华人民共和国公务员法", level=1)
    doc.add_paragraph("第一章　总则")
    table = doc.add_table(rows=2, cols=3)
    for row, values in zip(table.rows, [("职级", "名称", "备注"), ("一级", "巡视员", "")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    merged = table.add_row().cells
    merged[0].merge(merged[2]).text = "合并单元格"
    doc.add_heading("第二章", level=2)
    doc.add_paragraph(ARTICLE)
    path = tmp_path / "law.docx"
    doc.save(path)

    lines = load_text(path).splitlines()
    assert lines == [
        "# 中华人民共和国公务员法",
        "第一章　总则",
        "职级　名称　备注",
        "一级　巡视员",
        "合并单元格",
        "## 第二章",
        ARTICLE,
    ]


# --- pdf --------------------------------------------------------------------------------------


def _cjk_font_file() -> str | None:
    if not shutil.which("fc-list"):
        return None
    out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    files = [line.split(":")[0].strip() for line in out.splitlines()]
    return next((f for f in files if f.lower().endswith((".ttf", ".otf"))), None)


def _chinese_pdf(lines: list[str]) -> bytes:
    """One line per page: reportlab's built-in STSong-Light CID font, else fpdf2 with a system CJK font."""
    try:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas
    except ImportError:
        font = _cjk_font_file()
        if font is None:
            pytest.skip("无法生成中文 PDF：未安装 reportlab，系统也没有中文字体（fc-list :lang=zh 为空）")
        from fpdf import FPDF

        pdf = FPDF()
        pdf.add_font("cjk", fname=font)
        for line in lines:
            pdf.add_page()
            pdf.set_font("cjk", size=12)
            pdf.cell(text=line)
        return bytes(pdf.output())
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for line in lines:
        pdf.setFont("STSong-Light", 12)
        pdf.drawString(72, 720, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def test_pdf_chinese_round_trip(tmp_path):
    path = _write(tmp_path, "law.pdf", _chinese_pdf([ARTICLE, "第二页　附则"]))
    text = load_text(path)
    assert ARTICLE in text
    assert "第二页" in text
    assert text.index(ARTICLE) < text.index("第二页")
    assert "\n\n" in text


def test_pdf_ascii_round_trip(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    for line in ["Civil Servant Law", "Article 2 applies here"]:
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=line)
    text = load_text(_write(tmp_path, "law.PDF", bytes(pdf.output())))
    assert text.split("\n\n") == ["Civil Servant Law", "Article 2 applies here"]


def test_pdf_encrypted_with_password(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="secret")
    pdf.set_encryption(owner_password="owner", user_password="user")
    path = _write(tmp_path, "locked.pdf", bytes(pdf.output()))
    with pytest.raises(UnreadableFileError, match="locked.pdf"):
        load_text(path)


# --- html -------------------------------------------------------------------------------------


def test_html_gbk_meta_charset(tmp_path):
    html = f"""<!DOCTYPE html>
<html><head><meta charset="gbk"><title>页面标题</title>
<style>p {{ color: red; }}</style></head>
<body>
  <h1>国务院办公厅通知</h1>
  <script>alert(1)</script>
  <!-- 注释不应出现 -->
  <p>{ARTICLE}</p>
  <h3>附件</h3>
  <ul><li>第一项</li><li>第二项</li></ul>
  <p>第一行<br>第二行</p>
  <table><tr><td>单位</td><td>人数</td></tr></table>
</body></html>"""
    text = load_text(_write(tmp_path, "notice.htm", html.encode("gbk")))
    assert text.splitlines() == [
        "# 国务院办公厅通知",
        ARTICLE,
        "### 附件",
        "第一项",
        "第二项",
        "第一行",
        "第二行",
        "单位　人数",
    ]
    for leaked in ("alert", "<", "color", "注释"):
        assert leaked not in text


def test_html_wrong_meta_falls_back_to_detection(tmp_path):
    html = f'<html><head><meta charset="utf-8"></head><body><p>{ARTICLE}</p></body></html>'
    assert load_text(_write(tmp_path, "lie.html", html.encode("gb18030"))) == ARTICLE


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00", "不支持的文件类型 .exe"),
        ("empty.txt", b"", "文件为空或没有可提取的文字"),
        ("blank.md", b"  \n\r\n ", "文件为空或没有可提取的文字"),
        ("broken.docx", os.urandom(512), "损坏"),
        ("broken.pdf", b"%PDF-1.4\n" + os.urandom(512), "损坏"),
        ("noise.txt", bytes(range(256)) * 4, "编码"),
        ("nul.txt", b"\x00" * 64, "编码"),
    ],
)
def test_unreadable_files(tmp_path, name, data, reason):
    with pytest.raises(UnreadableFileError) as info:
        load_text(_write(tmp_path, name, data))
    assert name in str(info.value)
    assert reason in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(UnreadableFileError, match="gone.txt"):
        load_text(tmp_path / "gone.txt")


def test_docx_without_text(tmp_path):
    docx = pytest.importorskip("docx")
    path = tmp_path / "blank.docx"
    docx.Document().save(path)
    with pytest.raises(UnreadableFileError, match="blank.docx.*没有可提取的文字"):
        load_text(path)


# --- property ---------------------------------------------------------------------------------

_PRINTABLE = st.characters(
    codec="utf-8",
    categories=("L", "M", "N", "P", "S", "Zs"),
    include_characters="\n\t",
    max_codepoint=0x9FFF,
)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_PRINTABLE))
def test_decode_utf8_round_trip(text):
    assert decode_bytes(text.encode("utf-8")) == text
