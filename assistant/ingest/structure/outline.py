"""Outline parser for policies and regulations: 编/章/节/条 and 一、/（一）, with headings as the path."""

from __future__ import annotations

from assistant.ingest.cleaning import Line
from assistant.ingest.markers import (
    BIAN,
    JIE,
    L1,
    L2,
    L3,
    TIAO,
    ZHANG,
    bracket_label,
    cn_to_int,
    is_heading_like,
    is_structural,
    squeeze,
)
from assistant.ingest.structure.base import Unit

LEVELS = ("bian", "zhang", "jie", "head", "l1", "l2")


def item_label(text: str, limit: int = 30) -> str:
    """'（十）充分运用容错纠错。准确把握…' → '（十）充分运用容错纠错'."""
    cut = min((i for i in (text.find("。"), text.find("："), text.find("；")) if i > 0), default=-1)
    label = text[:cut] if 0 < cut <= limit else text[:limit] + ("…" if len(text) > limit else "")
    return bracket_label(squeeze(label))


class OutlineParser:
    """Walks cleaned lines and cuts them into units under a heading path."""

    def __init__(self, lines: list[Line], kind: str):
        self.lines = lines
        self.kind = kind
        self.stack: dict[str, str] = {}
        self.units: list[Unit] = []
        self.current: Unit | None = None
        self.items_are_units = kind != "regulation"

    def parse(self, lo: int, hi: int, preamble_label: str = "序言") -> list[Unit]:
        # in a regulation 一、/（一） are items of an article, unless it has no articles: then (older State
        # Council regulations) they number its provisions, each cited on its own as in a policy
        self.items_are_units = self.kind != "regulation" or not any(TIAO.match(self.lines[i].text)
                                                                     for i in range(lo, hi))
        for i in range(lo, hi):
            self._line(i, hi, preamble_label)
        self._close(hi)
        return self.units

    def _path(self) -> list[str]:
        return [self.stack[level] for level in LEVELS if level in self.stack]

    def _set(self, level: str, label: str) -> None:
        for deeper in LEVELS[LEVELS.index(level):]:
            self.stack.pop(deeper, None)
        self.stack[level] = label

    def _close(self, i: int) -> None:
        if self.current is not None:
            self.current.hi = i
            self.units.append(self.current)
            self.current = None

    def _open(self, i: int, **fields) -> None:
        self._close(i)
        self.current = Unit(lo=i, **fields)

    def _line(self, i: int, hi: int, preamble_label: str) -> None:
        line = self.lines[i]
        text = line.text
        in_article = self.current is not None and bool(self.current.article)
        if m := TIAO.match(text):
            self._open(i, path=self._path() + [m.group(0)], article=m.group(0), article_no=cn_to_int(m.group(1)))
            return
        for level, pattern in (("bian", BIAN), ("zhang", ZHANG), ("jie", JIE)):
            if pattern.match(text) and is_heading_like(text):
                self._close(i)
                rest = squeeze(text[len(pattern.match(text).group(0)):])
                self._set(level, f"{pattern.match(text).group(0)} {rest}".strip())
                return
        if not in_article and self.items_are_units:
            for level, pattern in (("l1", L1), ("l2", L2)):
                if pattern.match(text):
                    if is_heading_like(text) and not _has_body_after(text):
                        self._close(i)
                        self._set(level, bracket_label(squeeze(text)))
                    else:
                        if level == "l1":
                            self.stack.pop("l2", None)
                        self._open(i, path=self._path()[: self._depth(level)] + [item_label(text)])
                    return
        if line.heading or self._is_bare_heading(i, hi):
            self._close(i)
            self._set("head", squeeze(text))
            return
        if self.current is None:
            self._open(i, path=self._path() or [preamble_label], numbered=False)

    def _depth(self, level: str) -> int:
        return len([lv for lv in LEVELS[: LEVELS.index(level)] if lv in self.stack])

    def _is_bare_heading(self, i: int, hi: int) -> bool:
        """An unnumbered short line followed by a numbered one, e.g. '党员廉洁自律规范'."""
        text = self.lines[i].text
        if is_structural(text) or not is_heading_like(text, 24) or text.endswith(("，", "、", "）", ")")):
            return False
        return i + 1 < hi and bool(TIAO.match(self.lines[i + 1].text) or L1.match(self.lines[i + 1].text))


def _has_body_after(text: str) -> bool:
    return "。" in text


def is_subheading(text: str) -> bool:
    """'1.关于本案处理过程中两种分歧意见的辨析' inside a case part."""
    return bool(L3.match(text)) and is_heading_like(text, 50) and "。" not in text
