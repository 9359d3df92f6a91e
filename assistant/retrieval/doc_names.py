"""Which documents a question names ("纪律处分条例", "监察法", "林某案"): aliases derived from titles."""

from __future__ import annotations

import re

from assistant.types import Chunk

_PREFIXES = ("中国共产党", "中华人民共和国", "中共中央", "关于")
_BRACKETED = re.compile(r"[（(《][^）)》]*[）)》]")
_PERSON = re.compile(r"([\u4e00-\u9fff]某)")


def title_aliases(title: str) -> set[str]:
    """'中国共产党纪律处分条例（2018年修订）' → {'中国共产党纪律处分条例', '纪律处分条例'}."""
    base = _BRACKETED.sub("", title).strip()
    aliases = {base} if len(base) >= 4 else set()
    for prefix in _PREFIXES:
        if base.startswith(prefix) and len(base) - len(prefix) >= 3:
            aliases.add(base[len(prefix):])
    if base.startswith("中华人民共和国公职人员"):
        aliases.add(base.replace("中华人民共和国公职人员", ""))
    return {a for a in aliases if len(a) >= 3}


class DocNameIndex:
    """Maps an alias to the titles it names; a longer alias found in the question wins over its substrings."""

    def __init__(self, chunks: list[Chunk]):
        self.alias_titles: dict[str, set[str]] = {}
        for title, doc_title, kind in {(c.title, c.doc_title, c.kind) for c in chunks}:  # per document, not chunk
            names = title_aliases(title) | title_aliases(doc_title)
            if kind == "case":
                names |= {f"{p}案" for p in _PERSON.findall(title)} | set(_PERSON.findall(title[:4]))
            for alias in names:
                self.alias_titles.setdefault(alias, set()).add(title)
        self._ordered = sorted(self.alias_titles, key=len, reverse=True)

    def named_titles(self, question: str) -> set[str]:
        """Titles of the documents the question names by name."""
        found: set[str] = set()
        taken: list[tuple[int, int]] = []
        for alias in self._ordered:
            if alias not in question:  # most aliases are absent: a substring test, not a regex per alias
                continue
            for m in re.finditer(re.escape(alias), question):
                if any(a <= m.start() and m.end() <= b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                found |= self.alias_titles[alias]
        return found
