"""A cited passage: the one model for search results, chat and tolerance citations, and course-pack sources."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field

from assistant.types import Chunk, Hit

STATUS_LABELS = {"in_force": "现行有效", "superseded": "已被替代"}


class Passage(BaseModel):
    """A numbered passage of the knowledge base; `[n]` in an answer, a screening or a pack points at it."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    n: int = Field(..., description="编号：回答、初筛结果或讲义中的 [n] 指向它（检索结果中为名次）")
    text: str = Field(..., description="条文原文")
    chunk_id: str = ""
    doc_id: str
    title: str = Field(..., description="所在文件（汇编中为所在的那份规定或案例）")
    doc_title: str = Field("", description="文件本身的标题（汇编时为汇编名）")
    kind: str = ""
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    section: str = Field("", description="章节路径，以 “ > ” 分隔")
    article: str = Field("", description="条号，如 第一百二十一条")
    status: str = Field(..., description="in_force（现行有效）或 superseded（已被替代）")
    superseded_by: str = Field("", description="替代它的文件的 doc_id")
    case_no: str = ""
    start: int = Field(0, description="在整理后的全文中的起止位置")
    end: int = 0
    piece: int = Field(0, description="过长条文切分后的第几段（从 0 起）")
    pieces: int = 1
    score: float = Field(0.0, description="检索得分（融合后）")
    dense_score: float = 0.0
    bm25_score: float = 0.0

    @classmethod
    def of(cls, n: int, chunk: Chunk, score: float = 0.0, dense: float = 0.0, bm25: float = 0.0) -> Passage:
        return cls(n=n, text=chunk.text, chunk_id=chunk.id, doc_id=chunk.doc_id, title=chunk.title,
                   doc_title=chunk.doc_title, kind=chunk.kind, doc_number=chunk.doc_number, issuer=chunk.issuer,
                   date=chunk.date, section=chunk.section, article=chunk.article, status=chunk.status,
                   superseded_by=chunk.superseded_by, case_no=chunk.case_no, start=chunk.start, end=chunk.end,
                   piece=chunk.piece, pieces=chunk.pieces, score=round(score, 6), dense_score=round(dense, 6),
                   bm25_score=round(bm25, 6))

    @classmethod
    def from_hit(cls, n: int, hit: Hit) -> Passage:
        return cls.of(n, hit.chunk, hit.score, hit.dense, hit.bm25)

    @property
    def quoted_from(self) -> str:
        """The 《document》 an article is quoted from when it stands inside another text (a case's 【相关条款】
        quoting the 纪律处分条例): its number is that document's (as the case quoted it), not the case's."""
        if not self.article:
            return ""
        return next((p for p in reversed(self.section.split(" > ")) if p.startswith("《") and p.endswith("》")
                     and p != f"《{self.title}》"), "")

    @property
    def where(self) -> str:
        """《title》 plus the article, or the innermost heading: where the rule stands (short, for answers). An
        article a case quotes is named by the document it belongs to: 《…条例》第四条（《夏某…案》所引）."""
        if self.quoted_from:
            return f"{self.quoted_from}{self.article}（《{self.title}》所引）"
        place = self.article or (self.section.split(" > ")[-1] if self.section else "")
        if len(place) > 30:
            place = place[:30] + "…"
        return f"《{self.title}》{place}"

    @property
    def place(self) -> str:
        """Where the passage stands inside its document: the article, else the section path below the title
        (the whole path for an article quoted from another document, so its 《title》 shows)."""
        if self.article and not self.quoted_from:
            return self.article
        return " · ".join(p for p in self.section.split(" > ") if p and p != self.title)

    @computed_field(description="《标题》与条款位置，供列出来源")
    @property
    def label(self) -> str:
        collection = f"（{self.doc_title}）" if self.kind == "case" and self.doc_title else ""
        piece = f"（第 {self.piece + 1}/{self.pieces} 段）" if self.pieces > 1 else ""
        return f"《{self.title}》{collection}{self.place}{piece}"
