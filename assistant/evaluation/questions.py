"""Question sets in JSONL: id, question, answerable, kind, gold: [{source, contains}]."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError
from assistant.grounding.text import squash


@dataclass(frozen=True)
class Gold:
    source: str
    contains: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool = True
    kind: str = ""
    gold: tuple[Gold, ...] = field(default_factory=tuple)
    origin: str = ""  # the page a real question was asked on

    def hit(self, text: str) -> bool:
        """A passage answers when it contains any gold string (whitespace ignored)."""
        flat = squash(text)
        return any(squash(g.contains) in flat for g in self.gold)


def load_questions(paths: list[Path]) -> list[Question]:
    questions = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise AssistantError(f"无法读取问题集 {path}：{err.strerror or err}") from err
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                questions.append(Question(
                    id=str(row["id"]), question=row["question"], answerable=bool(row.get("answerable", True)),
                    kind=row.get("kind", ""),
                    gold=tuple(Gold(g.get("source", ""), g["contains"]) for g in row.get("gold", [])),
                    origin=str(row.get("origin") or "")))
            except (ValueError, KeyError, TypeError) as err:
                raise AssistantError(f"问题集 {path} 第 {n} 行格式有误：{err}") from err
    return questions
