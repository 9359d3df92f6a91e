"""Checks on an uploaded file before anything is stored: its name, its size, and what its bytes really are."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from assistant.errors import RejectedUploadError, UnreadableFileError, UnsupportedFileTypeError, UploadTooLargeError
from assistant.loaders import SUPPORTED_SUFFIXES, decode_bytes

MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|p|div|h[1-6])\b",
                         re.IGNORECASE | re.DOTALL)
# What common non-documents start with, to name them in the refusal.
_MAGIC = [(b"MZ", "Windows 可执行文件"), (b"\x7fELF", "Linux 可执行文件"), (b"\x89PNG", "PNG 图片"),
          (b"\xff\xd8\xff", "JPEG 图片"), (b"GIF8", "GIF 图片"), (b"\x1f\x8b", "gzip 压缩包"),
          (b"7z\xbc\xaf", "7z 压缩包"), (b"Rar!", "RAR 压缩包"), (b"\xd0\xcf\x11\xe0", "旧版 Office 文件（.doc/.xls），请另存为 .docx"),
          (b"%PDF-", "PDF"), (b"PK\x03\x04", "ZIP 压缩包")]


def safe_name(name: str) -> str:
    """The file name to store under, or a refusal: no paths, no hidden or control-character names."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise RejectedUploadError("缺少文件名")
    if "/" in name or "\\" in name or name in {".", ".."} or ".." in name.split("."):
        raise RejectedUploadError(f"文件名不能包含路径：{name[:80]}")
    if name.startswith(".") or _UNSAFE.search(name):
        raise RejectedUploadError("文件名不能以「.」开头，也不能含控制字符或 <>:\"|?*")
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in SUPPORTED_SUFFIXES:
        allowed = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedFileTypeError(f"不支持的文件类型「{name[-20:]}」：只接受 {allowed}")
    stem = " ".join(stem.split())[: MAX_NAME_CHARS]
    return f"{stem}.{suffix.lower()}"


def check_content(name: str, data: bytes, max_bytes: int) -> None:
    """Refuse an empty or over-size file, or bytes that are not the type the name claims."""
    if not data.strip():
        raise RejectedUploadError("文件为空")
    if len(data) > max_bytes:
        raise UploadTooLargeError(f"文件超过上限 {max_bytes // (1024 * 1024)} MB")
    suffix = "." + name.rsplit(".", 1)[-1].lower()
    found = sniff(data)
    expected = {".pdf": {"pdf"}, ".docx": {"docx"}, ".html": {"html", "text"}, ".htm": {"html", "text"},
                ".txt": {"text"}, ".md": {"text"}}[suffix]
    if found not in expected:
        raise UnsupportedFileTypeError(f"文件内容与扩展名 {suffix} 不符：内容是{describe(data, found)}")


def sniff(data: bytes) -> str:
    """What the bytes are: pdf, docx, html, text, or `binary`."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else "binary"
        except (zipfile.BadZipFile, OSError, ValueError):
            return "binary"
    if any(data.startswith(magic) for magic, _ in _MAGIC):
        return "binary"
    head = data if len(data) <= 65536 else data[: data.rfind(b"\n", 0, 65536) + 1 or 65536]  # whole lines
    try:
        text_head = decode_bytes(head)
    except (UnreadableFileError, UnicodeDecodeError):
        return "binary"
    if _HTML_START.match(text_head.encode("utf-8", "ignore")[:4096]):
        return "html"
    return "text"


def describe(data: bytes, found: str) -> str:
    names = {"pdf": " PDF", "docx": " Word 文档", "html": " HTML 网页", "text": "纯文本"}
    if found in names:
        return names[found]
    return next((f"{label}" for magic, label in _MAGIC if data.startswith(magic)), "无法识别的二进制数据")
