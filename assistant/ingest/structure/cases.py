"""Case compilations: each case a unit of its own, its labelled parts 【…】 kept as fields."""

from __future__ import annotations

import re

from assistant.ingest.cleaning import Line
from assistant.ingest.markers import PART_LABEL, TIAO, bracket_label, cn_to_int, squeeze
from assistant.ingest.structure.base import Part, Unit
from assistant.ingest.structure.outline import is_subheading

_CASE_NO = re.compile(r"(\d{4})年(?:指导性案例)?第(\d+)号[，,]\s*总第(\d+)号")
_SHORT_TITLE = re.compile(r"^(.+?)[（(][^（(]*指导性案例[^）)]*[）)]$")
_LAW = re.compile(r"^《[^》]+》")


def case_title(full: str) -> str:
    """'贺某…问题案（中央纪委…2021年第1号，总第1号）' → '贺某…问题案'."""
    m = _SHORT_TITLE.match(full)
    return m.group(1) if m else full


def parse_case(lines: list[Line], title: str, lo: int, hi: int) -> Part:
    """One case: title line, number line, then 【关键词】【执纪执法要点】… parts."""
    short = case_title(title)
    part = Part(title=short, kind="case")
    if m := _CASE_NO.search(title):
        part.case_no = f"{m.group(1)}年第{m.group(2)}号（总第{m.group(3)}号）"
    label, sub, current = "", "", None
    units = part.units

    def open_unit(i: int, path: list[str], **fields) -> Unit:
        if current is not None:
            current.hi = i
            units.append(current)
        return Unit(path=path, lo=i, part_label=label, **fields)

    for i in range(lo + 1, hi):
        text = lines[i].text
        if i <= lo + 2 and _CASE_NO.search(text) and len(text) <= 40:
            continue  # the number line under the title
        if m := PART_LABEL.match(text):
            label, sub = m.group(1), ""
            current = open_unit(i, [short, f"【{label}】"])
            continue
        if label == "相关条款" and _LAW.match(text) and len(text) <= 60:
            sub = _LAW.match(text).group(0)  # a heading over the articles quoted from that law
            if current is not None:
                current.hi = i
                units.append(current)
                current = None
            continue
        if label == "相关条款" and (m := TIAO.match(text)):
            current = open_unit(i, [short, f"【{label}】", sub or "条款", m.group(0)],
                                article=m.group(0), article_no=cn_to_int(m.group(1)))
            continue
        if label and label != "相关条款" and is_subheading(text):
            current = open_unit(i, [short, f"【{label}】", bracket_label(squeeze(text))])
            continue
        if current is None:
            current = open_unit(i, [short])
    if current is not None:
        current.hi = hi
        units.append(current)
    return part
