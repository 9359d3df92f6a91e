"""Repair extraction artefacts without changing the wording of the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.markers import DATE_LINE, TERMINAL, is_heading_like, is_structural

_DROP = [
    re.compile(r"^[（(]此页无正文[)）]$"),
    re.compile(r"^[—–\-－]+\s*\d{1,4}\s*[—–\-－]+$"),  # — 3 —
    re.compile(r"^第\s*\d+\s*页(\s*[/，,]?\s*共\s*\d+\s*页)?$"),
    re.compile(r"^\d{1,3}$"),  # a bare page number
    re.compile(r"^<!--.*-->$"),
    re.compile(r"^([-*_]\s*){3,}$"),  # markdown rule
]
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BOLD = re.compile(r"^\*\*(.+?)\*\*$")
MIN_BROKEN_LINE = 25
_TOC_LEADER = re.compile(r"[.…·]{2,}\s*\d*$")


@dataclass
class Line:
    text: str
    heading: bool = False  # marked as a heading in the source (markdown # or a bold line)
    start: int = 0  # offset in the cleaned text


def clean_lines(raw: str) -> list[Line]:
    """Lines of the cleaned text: artefacts dropped, page-broken sentences joined, markup removed."""
    lines: list[Line] = []
    for raw_line in raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n"):
        text = raw_line.strip()
        if not text or any(p.match(text) for p in _DROP):
            continue
        heading = False
        if m := _MD_HEADING.match(text):
            text, heading = m.group(1).strip(), True
        elif m := _BOLD.match(text):
            text, heading = m.group(1).strip(), True
        if not text:
            continue
        if lines and _continues(lines[-1], text, heading):
            lines[-1].text += text
        else:
            lines.append(Line(text, heading))
    offset = 0
    for line in lines:
        line.start = offset
        offset += len(line.text) + 1
    return lines


def _continues(prev: Line, text: str, heading: bool) -> bool:
    """A body line cut mid-sentence by a page break, continued by this line."""
    if heading or prev.heading or len(prev.text) < MIN_BROKEN_LINE or _numbered_heading(prev.text):
        return False
    if prev.text.endswith(tuple(TERMINAL)) or DATE_LINE.match(prev.text) or _TOC_LEADER.search(prev.text):
        return False
    return not (is_structural(text) or DATE_LINE.match(text) or text.startswith(("【", "《")))


def _numbered_heading(line: str) -> bool:
    """「3.关于基层群众性自治组织中从事管理的人员受处分的后续处理问题」: a numbered line that is short and has no
    sentence punctuation at all is a heading, not a sentence a page break cut (「第十三条 公民从事有关活动，需要证明身份
    的，有权使用」 is one: it has commas). Joined to the paragraph after it, the heading was lost and an answer quoted
    「…后续处理问题我们在工作中发现…」 (six such headings in the case collection)."""
    return is_structural(line) and is_heading_like(line) and not _SENTENCE_MARKS.search(line)


_SENTENCE_MARKS = re.compile(r"[，,。；;：:！!？?]")


def cleaned_text(lines: list[Line]) -> str:
    """The cleaned source that chunk offsets point into."""
    return "\n".join(line.text for line in lines)
