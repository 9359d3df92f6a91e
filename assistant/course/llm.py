"""The optional LLM part of a pack: a short introduction and learning points written from the pack's own
numbered sources. A sentence is kept only when it cites at least one source the model was shown ([n]);
the rest is dropped and counted in the notice. Any failure leaves the pack as retrieval built it."""

from __future__ import annotations

import logging
import re

from assistant.course.types import CoursePack, Point
from assistant.grounding.text import FULL_STOPS, MARKER, marker_numbers, split_sentences

log = logging.getLogger("assistant.course")

MAX_SOURCES = 16  # sources shown to the model (the pack's first ones: provisions, then cases)
PROMPT = (
    "你是党校和组织部门培训讲义的编写助手，只依据下面编号的材料写作。为给定的培训主题写：\n"
    "【引言】2～3 句，说明这个主题讲什么、为什么重要；\n"
    "【学习要点】3～5 条，每条一句。\n"
    "要求：1. 每句末尾用 [n] 标注所依据的材料编号，可标注多个，如 [1][3]；"
    "2. 只能引用给出的编号，不得编造条文、文号、数字或案例；"
    "3. 标明“已被替代”的文件只作对照，以现行有效的文件为准；4. 用简洁、准确的中文。"
)
UNAVAILABLE = "大模型服务暂不可用，本讲义未含引言和学习要点；条文、案例和来源均来自检索，内容完整"
_LIST_PREFIX = re.compile(r"^\s*(?:[-*•·]|\d+[.、．)）]|[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、)\s*")
_POINTS_HEADING = re.compile(r"【?学习要点】?[:：]?")
_INTRO_HEADING = re.compile(r"【?引言】?[:：]?")


def material(pack: CoursePack) -> str:
    """The numbered sources as the model reads them: where each stands, then what the pack quotes of it."""
    quoted: dict[int, list[str]] = {}
    for quote in pack.quotes():
        if quote.text not in quoted.setdefault(quote.source, []):
            quoted[quote.source].append(quote.text)
    parts = []
    for source in pack.sources[:MAX_SOURCES]:
        flag = "（已被替代）" if source.status == "superseded" else ""
        parts.append(f"[{source.n}] {source.label}{flag}\n" + "\n".join(quoted.get(source.n, [])))
    return "\n\n".join(parts)


def messages(pack: CoursePack) -> list[tuple[str, str]]:
    return [("system", PROMPT),
            ("human", f"材料：\n{material(pack)}\n\n问题：请为培训主题「{pack.topic}」编写引言和学习要点。")]


def cited(sentence: str, limit: int) -> Point | None:
    """The sentence without its markers and the valid sources it cites; None when it cites none."""
    sources = tuple(sorted({n for n in marker_numbers(sentence) if 1 <= n <= limit}))
    text = _LIST_PREFIX.sub("", MARKER.sub("", sentence)).strip()
    if not sources or len(text) < 4:
        return None
    return Point(text=text, sources=sources)


def parse(reply: str, limit: int) -> tuple[list[Point], list[Point], int]:
    """(introduction, learning points, sentences dropped for citing no valid source)."""
    m = _POINTS_HEADING.search(reply)
    intro_text, points_text = (reply[:m.start()], reply[m.end():]) if m else (reply, "")
    intro_text = _INTRO_HEADING.sub("", intro_text, count=1)
    dropped = 0
    parts: list[list[Point]] = [[], []]
    for target, text in zip(parts, (intro_text, points_text)):
        for line in text.splitlines():
            for sentence in split_sentences(line.strip(), FULL_STOPS, markers=True):
                point = cited(sentence, limit)
                if point is None:
                    dropped += len(re.findall(r"[\u4e00-\u9fff]", sentence)) >= 4
                else:
                    target.append(point)
    return parts[0], parts[1], dropped


def add_introduction(pack: CoursePack, model) -> None:
    """Ask the model; keep only cited sentences; on any failure leave a notice and the pack as it is."""
    try:
        reply = str(model.invoke(messages(pack)).content)
    except Exception as err:  # noqa: BLE001 - the introduction is optional; the pack stands without it
        log.warning("course-pack introduction failed: %s", err)
        pack.notice = UNAVAILABLE
        return
    intro, points, dropped = parse(reply, min(len(pack.sources), MAX_SOURCES))
    pack.introduction, pack.learning_points = intro, points
    if dropped:
        pack.notice = f"大模型写的引言和要点中有 {dropped} 句没有有效引用，已删除"
