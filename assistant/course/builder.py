"""CoursePackBuilder: a topic becomes a handout from retrieval alone — the key provisions grouped by
document (in force first), related cases, the domain terms with their defining passages, discussion
questions and a numbered source list; an LLM, when configured, adds a cited introduction.

Several general queries are run (the topic; the topic with 规定/条件/程序; the topic over in-force
regulations and policies; the topic over the case compilations) and fused by reciprocal rank; a passage's
fused score is then weighted by how much of the topic it states in its own words. Every quotation is the
passage's exact text or an exact slice of it (sentences cut at their ends, never reworded).
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.course.cases import case_questions, summarize_case
from assistant.course.llm import add_introduction
from assistant.course.passages import TopicWords, body_length
from assistant.course.terms import find_definition, terms_in
from assistant.course.types import (
    CaseSummary,
    CoursePack,
    DiscussionQuestion,
    DocumentGroup,
    Provision,
    Quote,
    Term,
)
from assistant.errors import TopicNotCoveredError
from assistant.grounding.in_force import prefer_in_force, restated
from assistant.grounding.passage import Passage
from assistant.retrieval.confidence import confidence
from assistant.retrieval.doc_names import title_aliases
from assistant.retrieval.hybrid import Filters, HybridRetriever
from assistant.tokenizer import Tokenizer
from assistant.types import Chunk, Hit

VARIANTS = ("规定", "条件", "程序")  # topic + each: the rules, when they apply, how they are carried out
IN_FORCE_RULES = Filters(kinds=("regulation", "policy"), statuses=("in_force",))
CASES = Filters(kinds=("case_collection",))
SEARCH_K = 30
RRF_K = 10.0
VARIANT_WEIGHT = 0.5
COVERAGE_FLOOR = 0.2  # final = fused × (floor + topic coverage): wording on the topic counts, not alone
MIN_SHARE = 0.2  # a provision under this share of the best final score is not key to the topic
FULL_COVERAGE = 0.5  # a passage under this topic coverage states the topic only in part
MAX_PARTIAL = 4  # passages that state the topic in part, kept as context
MIN_BODY = 15  # characters beyond the article number: shorter passages are headings or boilerplate
MIN_CASE_COVERAGE = 0.5  # a case must state at least half of the topic (rarer words weighing more)
MAX_CASES = 3
MAX_TERMS = 8


class _Numbering:
    """Source numbers in order of first citation."""

    def __init__(self) -> None:
        self.sources: list[Passage] = []
        self._by_chunk: dict[str, int] = {}

    def __call__(self, chunk: Chunk) -> int:
        if chunk.id not in self._by_chunk:
            self.sources.append(Passage.of(len(self.sources) + 1, chunk))
            self._by_chunk[chunk.id] = len(self.sources)
        return self._by_chunk[chunk.id]

    @property
    def chunk_ids(self) -> set[str]:
        return set(self._by_chunk)


def _fuse(runs: Iterable[tuple[list[Hit], float]]) -> tuple[dict[str, float], dict[str, Chunk]]:
    """Reciprocal-rank fusion of several result lists: chunk id → score, chunk id → chunk."""
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for hits, weight in runs:
        for rank, hit in enumerate(hits, 1):
            scores[hit.chunk.id] = scores.get(hit.chunk.id, 0.0) + weight / (RRF_K + rank)
            chunks[hit.chunk.id] = hit.chunk
    return scores, chunks


class CoursePackBuilder:
    """Builds packs over one retriever; stateless between calls (safe to share between requests)."""

    def __init__(self, retriever: HybridRetriever, tokenizer: Tokenizer, top_k: int, refuse_threshold: float,
                 model=None):
        self.retriever = retriever
        self.tokenizer = tokenizer
        self.top_k = top_k  # passages judged for confidence, as for an answer
        self.refuse_threshold = refuse_threshold
        self.model = model  # a LangChain chat model for the introduction, or None

    def build(self, topic: str, max_provisions: int = 20, include_cases: bool = True) -> CoursePack:
        """The pack, or TopicNotCoveredError when retrieval shows the corpus knows nothing on the topic."""
        topic = topic.strip()
        chunks = self.retriever.chunks
        main = self.retriever.search(topic, k=SEARCH_K)
        conf = confidence(topic, prefer_in_force(main)[: self.top_k], self.tokenizer,
                          self._aliases(chunks))
        if conf < self.refuse_threshold:
            raise TopicNotCoveredError(_not_covered(topic))
        runs = [(main, 1.0)] + [(self.retriever.search(f"{topic} {v}", k=SEARCH_K), VARIANT_WEIGHT)
                                for v in VARIANTS]
        runs.append((self.retriever.search(topic, k=SEARCH_K, filters=IN_FORCE_RULES), 1.0))
        if include_cases:
            runs.append((self.retriever.search(topic, k=SEARCH_K, filters=CASES), 1.0))
        fused, found = _fuse(runs)
        words = TopicWords(topic, self.tokenizer, chunks)
        cover = {cid: words.coverage(f"{c.section}\n{c.text}") for cid, c in found.items()}
        final = {cid: score * (COVERAGE_FLOOR + cover[cid]) for cid, score in fused.items()}

        cite = _Numbering()
        selected = self._provisions(found, final, cover, chunks, max_provisions)
        groups = self._groups(selected, final, chunks, cite)
        cases = self._cases(found, fused, words, chunks, cite) if include_cases else []
        if not groups and not cases:
            raise TopicNotCoveredError(_not_covered(topic))
        terms = self._terms(topic, groups, cases, chunks, final, cite)
        leading = [cite(c) for c in selected[:3]]
        questions = [q for i, case in enumerate(cases) for q in case_questions(case, topic, leading, both=i == 0)]
        if not cases and leading:
            questions.append(DiscussionQuestion(text=f"结合上述条文，说明“{topic}”的主要要求、适用条件和工作程序。",
                                                sources=tuple(sorted(leading))))
        pack = CoursePack(topic=topic, groups=groups, cases=cases, terms=terms, questions=questions,
                          sources=cite.sources, confidence=conf)
        if self.model is not None:
            add_introduction(pack, self.model)
        return pack

    def _aliases(self, chunks: list[Chunk]) -> set[str]:
        names = {t for c in chunks for t in (c.title, c.doc_title)}
        return names | {a for t in names for a in title_aliases(t)}

    def _provisions(self, found: dict[str, Chunk], final: dict[str, float], cover: dict[str, float],
                    chunks: list[Chunk], limit: int) -> list[Chunk]:
        """The best non-case passages, best first: those that state the topic in full, and the best few that
        state it in part (context); a superseded one only when no in-force text says the same."""
        ranked = sorted((c for c in found.values() if c.kind != "case" and body_length(c) >= MIN_BODY),
                        key=lambda c: -final[c.id])
        if not ranked:
            return []
        floor = MIN_SHARE * final[ranked[0].id]
        in_force = [c for c in ranked if c.status == "in_force"]
        kept: list[Chunk] = []
        partial = 0
        for chunk in ranked:
            if final[chunk.id] < floor or len(kept) >= limit:
                break
            if cover[chunk.id] < FULL_COVERAGE:
                if partial >= MAX_PARTIAL:
                    continue
                partial += 1
            if chunk.status == "superseded":
                successors = [c for c in chunks if c.doc_id == chunk.superseded_by] if chunk.superseded_by \
                    else in_force
                if restated(chunk, successors):
                    continue
            kept.append(chunk)
        return kept

    def _groups(self, selected: list[Chunk], final: dict[str, float], chunks: list[Chunk],
                cite: _Numbering) -> list[DocumentGroup]:
        """Grouped by document: in force first, interpretations next, superseded last; articles in order."""
        by_doc: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in selected:
            by_doc.setdefault((chunk.doc_id, chunk.title), []).append(chunk)
        titles = {c.doc_id: c.title for c in chunks if c.status == "in_force"}
        order = sorted(by_doc.values(), key=lambda members: (
            members[0].status != "in_force", members[0].kind == "interpretation",
            -max(final[c.id] for c in members)))
        groups = []
        for members in order:
            head = members[0]
            group = DocumentGroup(doc_id=head.doc_id, title=head.title, kind=head.kind, status=head.status,
                                  doc_number=head.doc_number, issuer=head.issuer, date=head.date,
                                  successor=titles.get(head.superseded_by, ""))
            for chunk in sorted(members, key=lambda c: c.start):
                heading = " · ".join(p for p in chunk.section.split(" > ") if p and p != chunk.title)
                group.provisions.append(Provision(heading=heading or chunk.article,
                                                  quote=Quote(text=chunk.text, source=cite(chunk)),
                                                  excerpt=chunk.pieces > 1))
            groups.append(group)
        return groups

    def _cases(self, found: dict[str, Chunk], fused: dict[str, float], words: TopicWords,
               chunks: list[Chunk], cite: _Numbering) -> list[CaseSummary]:
        """Cases whose passages were retrieved and whose own text (not the articles they quote) covers the topic."""
        scores: dict[tuple[str, str], float] = {}
        for cid, chunk in found.items():
            if chunk.kind == "case":
                key = (chunk.doc_id, chunk.title)
                scores[key] = scores.get(key, 0.0) + fused[cid]
        out = []
        for key in sorted(scores, key=lambda k: -scores[k]):
            members = [c for c in chunks if c.kind == "case" and (c.doc_id, c.title) == key]
            own = "\n".join(c.text for c in members if c.part_label != "相关条款")
            if words.coverage(f"{key[1]}\n{own}") < MIN_CASE_COVERAGE:
                continue
            case = summarize_case(key[1], members, cite)
            if case.facts or case.outcome:
                out.append(case)
            if len(out) >= MAX_CASES:
                break
        return out

    def _terms(self, topic: str, groups: list[DocumentGroup], cases: list[CaseSummary], chunks: list[Chunk],
               relevance: dict[str, float], cite: _Numbering) -> list[Term]:
        """The listed domain terms the pack's quotations (or the topic) use, each with its defining passage."""
        said = topic + "\n".join(q.text for g in groups for p in g.provisions for q in [p.quote])
        said += "\n".join(q.text for c in cases for q in c.facts + c.outcome + c.reasons)
        terms = []
        for spec in terms_in(said)[:MAX_TERMS]:
            found = find_definition(spec, chunks, relevance, cite.chunk_ids)
            if found:
                chunk, start, end = found
                terms.append(Term(term=spec.term, definition=Quote(text=chunk.text[start:end], source=cite(chunk))))
        return terms


def _not_covered(topic: str) -> str:
    return (f"知识库中没有找到与「{topic}」直接相关的条文或案例，无法生成讲义。"
            "请换一个更具体的说法（如文件中的用语），或先把相关文件加入知识库。")
