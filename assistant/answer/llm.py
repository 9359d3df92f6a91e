"""The LLM answerer: the chat model (grounding/llm.py) with the numbered passages in the prompt, and a
post-processor that keeps only markers pointing at a passage and flags sentences
that cite none (「（无引用依据）」 inline, and a count in `notice`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.answer.types import Turn
from assistant.grounding.llm import passages_block
from assistant.grounding.passage import Passage
from assistant.grounding.text import CLAUSE_STOPS, MARKER, PARTIAL_MARKER, sentence_pattern

UNSUPPORTED = "（无引用依据）"
SYSTEM_PROMPT = (
    "你是政策知识助手，只依据下面编号的条文回答干部的问题。要求：\n"
    "1. 每句话末尾用 [n] 标注所依据的条文编号，可标注多个，如 [1][3]；只引用直接回答问题的条文，"
    "与问题无关的条文不要引用，也不要复述；\n"
    "2. 只能引用给出的编号，不得编造条文、文号或数字；\n"
    "3. 标明“已被替代”的文件只作参考，优先依据现行有效的文件；\n"
    "4. 条文不足以回答时，直接回答“知识库中未找到与该问题直接相关的规定”；\n"
    "5. 用简洁的中文作答，先说结论再说依据，不超过 300 字。"
)
REWRITE_PROMPT = ("根据对话历史，把用户的最新问题改写成一个不依赖上下文、可以单独检索的完整问题。"
                  "保留其中的处分种类、文件名称等关键词。只输出改写后的问题，不要回答。")

# a whole sentence (its end mark seen) with the markers right after it: a stream waits for both
_SENTENCE = sentence_pattern(CLAUSE_STOPS, markers=True, complete=True)
_WORDS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_NO_FLAG = ("未找到", "无法回答", "没有找到")


def answer_messages(question: str, citations: list[Passage], titles: dict[str, str]) -> list[tuple[str, str]]:
    return [("system", SYSTEM_PROMPT), ("human", f"条文：\n{passages_block(citations, titles)}\n\n问题：{question}")]


def rewrite_messages(question: str, history: list[Turn]) -> list[tuple[str, str]]:
    lines = [f"{'用户' if t.role == 'user' else '助手'}：{t.content[:300]}" for t in history[-6:]]
    return [("system", REWRITE_PROMPT), ("human", "对话历史：\n" + "\n".join(lines) + f"\n\n最新问题：{question}")]


class CitationFilter:
    """Feeds on the model's text piece by piece and hands back whole sentences with valid markers only."""

    def __init__(self, passages: int):
        self.passages = passages
        self.unsupported = 0
        self.removed = 0
        self._buffer = ""

    def feed(self, piece: str) -> str:
        """Sentences completed by this piece (post-processed); the rest waits in the buffer."""
        self._buffer += piece
        out, pos = [], 0
        for m in _SENTENCE.finditer(self._buffer):
            head = self._buffer[m.end():].lstrip(" \t")
            if not head or PARTIAL_MARKER.fullmatch(head):
                break  # a marker may still follow this sentence
            out.append(self._sentence(m.group()))
            pos = m.end()
        self._buffer = self._buffer[pos:]
        return "".join(out)

    def finish(self) -> str:
        """Whatever is left once the model is done."""
        rest, self._buffer = self._buffer, ""
        return self._sentence(rest) if rest.strip() else rest

    def _sentence(self, text: str) -> str:
        cited: list[int] = []

        def keep(m: re.Match) -> str:
            numbers = [int(x) for x in re.findall(r"\d+", m.group())]
            valid = [n for n in numbers if 1 <= n <= self.passages and n not in cited]
            self.removed += len(numbers) - len(valid)
            cited.extend(valid)
            return "".join(f"[{n}]" for n in valid)

        text = MARKER.sub(keep, text)
        if cited or len(_WORDS.findall(text)) < 6 or any(x in text for x in _NO_FLAG):
            return text
        self.unsupported += 1
        stripped = text.rstrip()
        end = len(stripped)
        while end and stripped[end - 1] in "。！？；":
            end -= 1
        return stripped[:end] + UNSUPPORTED + stripped[end:] + text[len(stripped):]

    def notice(self) -> str | None:
        if not self.unsupported:
            return None
        return f"回答中有 {self.unsupported} 句没有引用依据，已标注「{UNSUPPORTED}」，请核对原文"


class LLMAnswerer:
    """Answers and rewrites with a chat model; errors propagate (the service decides on fallback)."""

    def __init__(self, model):
        self.model = model

    def rewrite(self, question: str, history: list[Turn]) -> str:
        """A standalone question for retrieval."""
        reply = str(self.model.invoke(rewrite_messages(question, history)).content).strip()
        return reply.splitlines()[0].strip()[:500] if reply else ""

    def stream(self, question: str, citations: list[Passage], titles: dict[str, str],
               checker: CitationFilter) -> Iterator[str]:
        """Post-processed answer text, sentence by sentence, as the model writes it."""
        for chunk in self.model.stream(answer_messages(question, citations, titles)):
            text = checker.feed(str(chunk.content or ""))
            if text:
                yield text
        tail = checker.finish()
        if tail:
            yield tail

    def answer(self, question: str, citations: list[Passage], titles: dict[str, str]) -> tuple[str, str | None]:
        """The whole post-processed answer and its notice."""
        checker = CitationFilter(len(citations))
        reply = str(self.model.invoke(answer_messages(question, citations, titles)).content)
        return (checker.feed(reply) + checker.finish()).strip(), checker.notice()
