"""The head of a document: issuer line, 文号, title and 题注 (adoption and revision dates)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.ingest.cleaning import Line
from assistant.ingest.markers import DATE_LINE, DOC_NUMBER, is_structural, squeeze

_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_TITLE_WORDS = ("关于", "通知", "意见", "措施", "准则", "办法", "条例", "规定", "规则", "法", "决定")


@dataclass
class Header:
    title: str = ""
    issuer: str = ""
    doc_number: str = ""
    date: str = ""
    tizhu: list[int] = field(default_factory=list)  # line indices of the 题注
    end: int = 0  # first line after the header


def read_header(lines: list[Line], lo: int, hi: int) -> Header:
    """Consume the header lines at the top of [lo, hi)."""
    head = Header(end=lo)
    i = lo
    while i < hi:
        text = lines[i].text
        if DOC_NUMBER.fullmatch(text) and not head.doc_number:
            head.doc_number = text
        elif text.endswith("文件") and len(text) <= 30 and not head.title:
            head.issuer = squeeze(text[:-2])
        elif not head.title and not is_structural(text) and (lines[i].heading or any(w in text for w in _TITLE_WORDS)):
            head.title = squeeze(text)
        elif head.title and _is_tizhu(text):
            head.tizhu.append(i)
            for m in _DATE.finditer(text):  # the last date: the latest revision
                head.date = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        else:
            break
        i += 1
    head.end = i
    return head


def _is_tizhu(text: str) -> bool:
    body = text.strip("（）() ")
    return bool(DATE_LINE.match(text)) and len(text) <= 200 and not body.endswith("。") or text.startswith(("(20", "（20", "(19", "（19"))
