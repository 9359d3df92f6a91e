"""Files holding several texts under a 目录: regulation collections and case compilations."""

from __future__ import annotations

import re

from assistant.ingest.cleaning import Line
from assistant.ingest.markers import squeeze

_TOC_HEAD = re.compile(r"^目\s*录$")
_TOC_ENTRY = re.compile(r"^(?:\d{1,3}[.．、]\s*)?(.+?)(?:[.…·]{2,}\s*\d*)?$")


def toc_titles(lines: list[Line]) -> tuple[list[str], int, int]:
    """Titles listed under 目录, and the [start, end) lines the 目录 itself takes (not content)."""
    start = next((i for i, line in enumerate(lines[:10]) if _TOC_HEAD.match(line.text)), -1)
    if start < 0:
        return [], 0, 0
    titles: list[str] = []
    i = start + 1
    while i < len(lines):
        title = squeeze(_TOC_ENTRY.match(lines[i].text).group(1))
        if titles and title in titles:  # the body begins: first title again
            break
        titles.append(title)
        i += 1
    return titles, start, i


def split_by_titles(lines: list[Line], titles: list[str], lo: int) -> list[tuple[str, int, int]]:
    """(title, start, end) for each listed title found, in order, at a line of its own."""
    wanted = {t: t for t in titles}
    starts = [(wanted[squeeze(line.text)], i) for i, line in enumerate(lines) if i >= lo and squeeze(line.text) in wanted]
    bounds = []
    for n, (title, i) in enumerate(starts):
        end = starts[n + 1][1] if n + 1 < len(starts) else len(lines)
        bounds.append((title, i, end))
    return bounds
