"""Our own course-pack types: exact quotations of numbered sources (`Passage`), and the parts a trainer's
handout holds; the API returns `CoursePack` as it is."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field

from assistant.grounding.passage import Passage

MAX_TOPIC_CHARS = 200
TopicText = Annotated[str, Field(min_length=1, max_length=MAX_TOPIC_CHARS, pattern=r"\S", title="主题",
                                 description=f"讲义主题，1–{MAX_TOPIC_CHARS} 字，如「容错纠错机制」")]


class Quote(BaseModel):
    """An exact quotation: `text` is a substring of the cited chunk's text, never reworded."""

    model_config = ConfigDict(frozen=True)

    text: str
    source: int = Field(..., description="资料来源的编号 n")


class Provision(BaseModel):
    """One passage of a document, quoted whole; `heading` says where it stands."""

    heading: str
    quote: Quote
    excerpt: bool = False  # one piece of a longer article


class DocumentGroup(BaseModel):
    """The provisions quoted from one document, in document order."""

    doc_id: str
    title: str
    kind: str
    status: str
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    successor: str = ""  # title of the in-force document that replaced a superseded one
    provisions: list[Provision] = Field(default_factory=list)

    @computed_field
    @property
    def superseded(self) -> bool:
        return self.status == "superseded"


class CaseSummary(BaseModel):
    """A case from a compilation: the facts in brief, the outcome and the stated reasons, all quoted."""

    title: str
    case_no: str
    collection: str
    facts: list[Quote] = Field(default_factory=list)
    outcome: list[Quote] = Field(default_factory=list)
    reasons: list[Quote] = Field(default_factory=list)

    @property
    def sources(self) -> list[int]:
        return sorted({q.source for q in self.facts + self.outcome + self.reasons})


class Term(BaseModel):
    """A domain term of the pack with the passage that defines it."""

    term: str
    definition: Quote


class DiscussionQuestion(BaseModel):
    text: str
    sources: tuple[int, ...]


class Point(BaseModel):
    """A sentence written by the LLM (introduction or learning point); it cites valid sources only."""

    text: str
    sources: tuple[int, ...]


class CoursePack(BaseModel):
    """A trainer's handout on one topic; every quotation points at a numbered source."""

    topic: str
    groups: list[DocumentGroup]
    cases: list[CaseSummary]
    terms: list[Term]
    questions: list[DiscussionQuestion]
    sources: list[Passage]
    introduction: list[Point] = Field(default_factory=list)
    learning_points: list[Point] = Field(default_factory=list)
    notice: str | None = None
    confidence: float = 0.0

    def quotes(self) -> list[Quote]:
        """Every quotation in the pack, in reading order."""
        out = [p.quote for g in self.groups for p in g.provisions]
        for case in self.cases:
            out += case.facts + case.outcome + case.reasons
        return out + [t.definition for t in self.terms]

    def source(self, n: int) -> Passage:
        return self.sources[n - 1]

    @property
    def provision_count(self) -> int:
        return sum(len(g.provisions) for g in self.groups)
