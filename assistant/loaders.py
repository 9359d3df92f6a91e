"""Turn corpus files (.txt/.md/.docx/.pdf/.html) into plain text.

Every failure is raised as `UnreadableFileError` with a Chinese message naming the file.
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

from assistant.errors import UnreadableFileError

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".docx", ".pdf", ".html", ".htm"})

# Guesses that, for our corpus, almost always mean GBK-family bytes; all are decoded as gb18030 (a GBK superset).
_CHINESE_CODECS = frozenset({"gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp950"})
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_MAX_CONTROL_RATIO = 0.05
# rare names (镕, 喆) are GBK-only; Shift-JIS and Latin-1 bytes mostly are not GB2312, EUC-KR Korean is
# (a Chinese corpus takes that risk: it is read as hanzi)
_MIN_GB2312_SHARE = 0.95
_FULLWIDTH_SPACE = "\u3000"
_HEADING_STYLE = re.compile(r"^(?:Heading|标题)\s*([1-9])")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_HTML_DROP = ["script", "style", "noscript", "template"]
_HTML_BLOCKS = [
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "thead", "tbody", "tfoot", "caption",
    "section", "article", "header", "footer", "nav", "aside", "main", "blockquote", "pre", "figure",
    "figcaption", "form", "hr", "address",
]


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for ch in text if (ch < " " or "\x7f" <= ch < "\xa0") and ch not in _ALLOWED_CONTROLS)
    return controls <= len(text) * _MAX_CONTROL_RATIO


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _as_chinese(data: bytes) -> str | None:
    """The text when the bytes are GB18030 whose non-ASCII characters are nearly all GB2312 (common hanzi,
    full-width punctuation). Detectors call short GBK Korean or Thai: 「某某措施」 came back as 「캐캐대嘉」."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    wide = [ch for ch in text if ch > "\x7f"]
    common = sum(1 for ch in wide if _in_gb2312(ch))
    return text if wide and common >= _MIN_GB2312_SHARE * len(wide) else None


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def decode_bytes(data: bytes) -> str:
    """Decode text bytes: strict UTF-8 (BOM stripped), else GB18030 that reads as Chinese, else the best
    guess (GBK-family as gb18030)."""
    if not data:
        return ""
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        text = None if b"\x00" in data else _as_chinese(data)
    if text is None or "\x00" in text:  # NULs in valid UTF-8 may be BOM-less UTF-16
        text = None
        import charset_normalizer  # here, as bs4, pypdf and docx below: the server starts without them

        matches = charset_normalizer.from_bytes(data)
        best = matches.best()
        guess = _codec_name(best.encoding) if best is not None else None
        # Short GBK is often a tie with big5/cp949/shift_jis: among equally plausible guesses prefer gb18030.
        chinese = best is not None and any(
            _codec_name(m.encoding) in _CHINESE_CODECS and m.chaos <= best.chaos for m in matches
        )
        candidates = (["gb18030"] if chinese else []) + ([guess] if guess else [])
        for encoding in candidates:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None or "\x00" in text or not _looks_like_text(text):
        raise UnreadableFileError("无法识别文件编码，内容可能不是文本")
    return _normalise_newlines(text.removeprefix("\ufeff"))


def _load_docx(data: bytes) -> str:
    from docx import Document
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in Document(io.BytesIO(data)).iter_inner_content():  # body paragraphs and tables, in order
        if isinstance(block, Paragraph):
            text = block.text.strip()
            style = block.style.name if block.style is not None else ""
            if text:
                match = _HEADING_STYLE.match(style or "")
                lines.append(f"{'#' * int(match.group(1))} {text}" if match else text)
            continue
        for row in block.rows:
            cells, seen = [], set()
            for cell in row.cells:
                if id(cell._tc) in seen:  # a horizontally merged cell is repeated
                    continue
                seen.add(id(cell._tc))
                if cell_text := " ".join(cell.text.split()):
                    cells.append(cell_text)
            if cells:
                lines.append(_FULLWIDTH_SPACE.join(cells))
    return "\n".join(lines)


def _load_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise UnreadableFileError("PDF 已加密，无法用空密码打开")
    return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)


def _decode_html(data: bytes) -> str:
    match = _META_CHARSET.search(data[:4096])
    declared = _codec_name(match.group(1).decode("ascii")) if match else None
    if declared in _CHINESE_CODECS:
        declared = "gb18030"
    if declared:
        try:
            return _normalise_newlines(data.removeprefix(codecs.BOM_UTF8).decode(declared))
        except UnicodeDecodeError:
            pass  # the declaration lies (common); fall back to detection
    return decode_bytes(data)


def _load_html(data: bytes) -> str:
    from bs4 import BeautifulSoup, CData, NavigableString

    soup = BeautifulSoup(_decode_html(data), "lxml")
    root = soup.body or soup
    for tag in root.find_all(_HTML_DROP):
        tag.decompose()
    for string in list(root.find_all(string=True)):
        if type(string) not in (NavigableString, CData):
            string.extract()  # comments, doctype, processing instructions
        elif string.find_parent("pre") is None:
            string.replace_with(_HTML_SPACE.sub(" ", string))
    for tag in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        text = _HTML_SPACE.sub(" ", tag.get_text()).strip()
        tag.replace_with(f"\n{'#' * int(tag.name[1])} {text}\n" if text else "\n")
    for tag in root.find_all("br"):
        tag.replace_with("\n")
    for tag in root.find_all(["td", "th"]):
        tag.append(_FULLWIDTH_SPACE)
    for tag in root.find_all(_HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (line.strip() for line in root.get_text().split("\n"))
    return "\n".join(line for line in lines if line)


def load_text(path: Path) -> str:
    """Extract the text of a supported file; raise `UnreadableFileError` otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFileError(f"无法读取 {path.name}：不支持的文件类型 {suffix or '（无扩展名）'}")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UnreadableFileError(f"无法读取 {path.name}：文件不存在或无法打开（{err.strerror or err}）") from err
    if not data.strip():
        raise UnreadableFileError(f"无法读取 {path.name}：文件为空或没有可提取的文字")
    try:
        if suffix in (".txt", ".md"):
            text = decode_bytes(data)
        elif suffix == ".docx":
            text = _load_docx(data)
        elif suffix == ".pdf":
            text = _load_pdf(data)
        else:
            text = _load_html(data)
    except UnreadableFileError as err:  # helpers give the reason; name the file here
        raise UnreadableFileError(f"无法读取 {path.name}：{err}") from err
    except Exception as err:  # corrupt files make the parsers raise almost anything
        kind = {".docx": "Word 文档", ".pdf": "PDF"}.get(suffix, "文件")
        raise UnreadableFileError(f"无法读取 {path.name}：{kind}已损坏或格式不正确（{type(err).__name__}）") from err
    if not text.strip():
        raise UnreadableFileError(f"无法读取 {path.name}：文件为空或没有可提取的文字")
    return text
