"""What the Markdown and Word renderings share: section order and titles, Chinese numbering, captions."""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.course.types import CoursePack, DocumentGroup
from assistant.grounding.passage import STATUS_LABELS, Passage

FORMATS = {"markdown": "md", "docx": "docx"}  # format → file suffix
_DIGITS = "零一二三四五六七八九"
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')
NOTE = ("本讲义由政策知识助手依据知识库检索生成。引文均为原文摘录，未作改动；方括号中的数字 [n] 对应文末“资料来源”。"
        "已被替代的文件仅供对照，以现行有效文件为准。")
CASE_PARTS = (("facts", "基本案情（摘录）"), ("outcome", "处理结果"), ("reasons", "处理理由"))


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (up to 99)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def title(pack: CoursePack) -> str:
    return f"课程讲义：{pack.topic}"


def sections(pack: CoursePack) -> list[tuple[str, str]]:
    """(key, numbered heading) of the sections the pack has, in order: 一、二、三…"""
    present = [("intro", "引言与学习要点", bool(pack.introduction or pack.learning_points)),
               ("provisions", "重点条文", bool(pack.groups)), ("cases", "典型案例", bool(pack.cases)),
               ("terms", "重要概念", bool(pack.terms)), ("questions", "讨论题", bool(pack.questions)),
               ("sources", "资料来源", bool(pack.sources))]
    keys = [(key, name) for key, name, has in present if has]
    return [(key, f"{cn_number(i)}、{name}") for i, (key, name) in enumerate(keys, 1)]


def group_heading(n: int, group: DocumentGroup) -> str:
    flag = "【已被替代】" if group.superseded else ""
    return f"（{cn_number(n)}）《{group.title}》{flag}"


def group_meta(group: DocumentGroup) -> str:
    """文号、发布机关、日期、状态 of a document, as one line."""
    parts = [group.doc_number, group.issuer, group.date, STATUS_LABELS.get(group.status, group.status)]
    return "；".join(p for p in parts if p)


def superseded_warning(group: DocumentGroup) -> str:
    if not group.superseded:
        return ""
    by = f"《{group.successor}》" if group.successor else "新的规定"
    return f"注意：该文件已被{by}替代，以下条文仅供对照学习，请以现行有效文件为准。"


def markers(numbers: Iterable[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def source_line(source: Passage) -> str:
    """One entry of the source list (without its [n])."""
    status = STATUS_LABELS.get(source.status, source.status)
    parts = [source.label, source.doc_number, source.issuer, source.date, status]
    if source.case_no:
        parts.insert(1, source.case_no)
    return "；".join(p for p in parts if p)


def file_stem(topic: str) -> str:
    """A file name for the topic: no path separators, blanks or characters Windows refuses."""
    return _UNSAFE.sub("_", topic).strip("._")[:60] or "课程讲义"
