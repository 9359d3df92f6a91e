"""Questions already asked, with what answered them: real questions people put to public Q&A columns, each
with the passages of the knowledge base that answer it (`gold`, as in the evaluation sets) or marked as one
the knowledge base has no rule on (resources/question_bank.jsonl, every row with the page it was asked on).

Two questions people ask about the same rule are far closer to each other, for a small embedder, than either
is to the article's wording (「政务记过处分有什么影响？」 and 「政务记大过处分是什么意思？」: cosine 0.976). So a new
question close to a banked one lifts the passages that answered it (`lift`), and how close it comes to the
answerable and to the unanswerable ones is a signal of the refusal decision (`margin`). Measured on question
sets the bank never held (docs/benchmarks.md): an evaluation leaves out of the bank every question of the set
it scores (`without`).

A row whose passages this knowledge base does not hold takes no part; a knowledge base that holds the
passages of fewer than half the answerable rows is not the corpus the bank was written for, and the bank says
nothing there (no lift, no margin: what is unanswerable in the bundled corpus may be answered in another). The
vectors of the questions ship in resources/question_bank.npz for the bundled embedder; another embedder embeds
them once, the first time the bank applies.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from assistant.embeddings.cache import cache_key
from assistant.embeddings.pack import VectorPack
from assistant.grounding.question_text import read_question
from assistant.grounding.text import squash
from assistant.retrieval.doc_prior import DocPrior

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.retrieval.snapshot import Snapshot

BANK_FILE, VECTORS_FILE = "question_bank.jsonl", "question_bank.npz"
APPLIES = 0.5  # share of the answerable rows whose passages the index must hold for the bank to speak


def vector_key(model: str, question: str) -> str:
    """A banked question's key in question_bank.npz: the embedding cache's key of it as a query, read as a new
    question is (assistant.grounding.question_text)."""
    return cache_key(model, "\x00query\x00" + read_question(question))


@dataclass(frozen=True)
class BankQuestion:
    question: str
    answerable: bool
    gold: tuple[tuple[str, str], ...]  # (source file, text the answering passage contains)
    origin: str  # the page it was asked on
    collection: str  # the set it was collected in


@dataclass(frozen=True)
class BankParams:
    """Chosen on real-dev and the collected sets, each with its own questions out of the bank (docs/benchmarks.md):
    only a question asked all but the same way is trusted — at 0.92 a neighbour asking another side of the same
    topic (留置 批准 / 留置 之后) lifted the wrong article about as often as the right one."""

    min_similarity: float = 0.96  # below this a banked question says nothing about the new one
    weight: float = 1.0  # × the top fused score, at similarity 1
    neighbours: int = 1  # banked questions that may lift passages
    # which document the question is about (doc_prior.py): passages × (p + floor) ** weight. Each set scored
    # with a prior fitted without its own questions: every setting of weight 0.1–0.5 × floor 0.05–0.5 leaves
    # real-dev + public-qa within ±2 questions of no prior; the strongest that lowers no set (docs/benchmarks.md)
    doc_prior_weight: float = 0.1  # 0: no prior
    doc_prior_floor: float = 0.05


def read_bank(text: str | None = None) -> list[BankQuestion]:
    """The rows of resources/question_bank.jsonl (or of `text`)."""
    if text is None:
        text = (resources.files("assistant.resources") / BANK_FILE).read_text(encoding="utf-8")
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not row.get("question") or not isinstance(row.get("answerable"), bool):
            raise ValueError(f"{BANK_FILE} line {number}: expected question and answerable")
        out.append(BankQuestion(row["question"], row["answerable"],
                                tuple((g.get("source", ""), g["contains"]) for g in row.get("gold", [])),
                                row.get("origin", ""), row.get("collection", "")))
    return out


class QuestionBank:
    """The banked questions and their vectors; which snapshot rows answer each is worked out per snapshot."""

    def __init__(self, questions: list[BankQuestion], vectors: np.ndarray | Callable[[], np.ndarray],
                 params: BankParams | None = None):
        """`vectors`: one row per question, or what computes them on first need (another embedder than the
        shipped vectors': nothing is embedded for a knowledge base the bank does not apply to)."""
        self.questions = questions
        self._vectors = vectors if callable(vectors) else self._checked(vectors)
        self.params = params or BankParams()
        self._unanswerable = np.array([not q.answerable for q in questions], dtype=bool)
        self._resolved: tuple[tuple, Resolved] | None = None
        self._prior: tuple[tuple, DocPrior | None] | None = None
        self._lock = threading.Lock()
        self._fitting = threading.Lock()  # one prior fit at a time: it takes a second

    def _checked(self, vectors) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(vectors) != len(self.questions):
            raise ValueError("one vector per question")
        return vectors if vectors.ndim == 2 else vectors.reshape(len(self.questions), -1 if len(self.questions) else 0)

    @property
    def vectors(self) -> np.ndarray:
        with self._lock:
            if callable(self._vectors):
                self._vectors = self._checked(self._vectors())
            return self._vectors

    @classmethod
    def load(cls, embeddings: Embeddings, model: str, params: BankParams | None = None) -> QuestionBank:
        """The bundled bank, with the shipped vectors when they are this model's; another embedder embeds the
        questions when the bank is first used on a knowledge base it applies to (once per process: the query
        cache keeps them after that)."""
        questions = read_bank()
        path = resources.files("assistant.resources") / VECTORS_FILE
        if path.is_file():
            with resources.as_file(path) as file:
                pack = VectorPack.load(file)
            keys = [vector_key(model, q.question) for q in questions]
            shipped = pack.get(keys) if pack.model == model else {}
            if len(shipped) == len(keys):
                return cls(questions, np.array([shipped[k] for k in keys], dtype=np.float32), params)
        return cls(questions, lambda: np.array([embeddings.embed_query(read_question(q.question)) for q in questions],
                                               dtype=np.float32), params)

    def without(self, questions: Iterable[str], origins: Iterable[str] = ()) -> QuestionBank:
        """The bank less these questions and every question asked on these pages: what an evaluation of a
        question set searches with, so no question is answered from its own row."""
        texts = {squash(q) for q in questions}
        pages = {o.rstrip("/") for o in origins if o}
        keep = [i for i, q in enumerate(self.questions)
                if squash(q.question) not in texts and (not q.origin or q.origin.rstrip("/") not in pages)]
        vectors = (lambda: self.vectors[keep]) if callable(self._vectors) else self._vectors[keep]
        return QuestionBank([self.questions[i] for i in keep], vectors, self.params)

    def resolve(self, snap: Snapshot) -> Resolved:
        """Which snapshot rows answer each banked question, worked out once per snapshot."""
        with self._lock:
            if self._resolved is not None and self._resolved[0] == snap.stamp:
                return self._resolved[1]
        sources = {source for q in self.questions for source, _ in q.gold}
        by_doc: dict[str, list[tuple[int, str]]] = {}  # only the documents the bank names, squashed once
        for i, chunk in enumerate(snap.chunks):
            if chunk.doc_id in sources:
                by_doc.setdefault(chunk.doc_id, []).append((i, squash(chunk.text)))
        rows = []
        for q in self.questions:
            needles = [(source, squash(contains)) for source, contains in q.gold]
            found = {i for source, needle in needles for i, flat in by_doc.get(source, ()) if needle in flat}
            rows.append(np.array(sorted(found), dtype=np.int64))
        answered = np.array([len(r) > 0 for r in rows], dtype=bool)
        applies = bool(answered.any()) and answered.sum() >= APPLIES * (~self._unanswerable).sum()
        resolved = Resolved(rows, answered, applies)
        with self._lock:
            self._resolved = (snap.stamp, resolved)
        return resolved

    def prior(self, snap: Snapshot, resolved: Resolved) -> DocPrior | None:
        """Which document a question is about, fitted on this snapshot's passages and the banked questions it
        answers, once per snapshot (about a second on the shared corpus; questions arriving meanwhile wait for
        that one fit); None when turned off."""
        with self._fitting:
            with self._lock:
                if self._prior is not None and self._prior[0] == snap.stamp:
                    return self._prior[1]
            prior = None
            if resolved.applies and self.params.doc_prior_weight:
                asked = np.flatnonzero(resolved.answered)
                docs = [sorted({snap.chunks[i].doc_id for i in resolved.rows[j].tolist()}) for j in asked]
                prior = DocPrior.fit(self.vectors[asked], docs, snap.vectors, snap.columns["doc_id"].tolist())
            with self._lock:
                self._prior = (snap.stamp, prior)
            return prior

    def prepare(self, snap: Snapshot) -> None:
        """Work out what the bank needs for a new snapshot (its answering rows, the prior) before a question
        does: a refresh calls it off the request path."""
        self.prior(snap, self.resolve(snap))

    def match(self, vector: np.ndarray, snap: Snapshot) -> BankMatch:
        """How close the question comes to the banked ones, and the passages its nearest neighbours lift."""
        resolved = self.resolve(snap)
        if not resolved.applies:
            return BankMatch({}, None, None)  # before any vector is needed
        sims = self.vectors @ vector
        answered = resolved.answered
        best_unanswerable = float(sims[self._unanswerable].max()) if self._unanswerable.any() else 0.0
        p = self.params
        lift: dict[int, float] = {}
        for j in np.argsort(-sims)[:p.neighbours]:
            if not answered[j] or sims[j] < p.min_similarity:
                continue
            strength = p.weight * (float(sims[j]) - p.min_similarity) / (1.0 - p.min_similarity)
            for i in resolved.rows[j].tolist():
                lift[i] = lift.get(i, 0.0) + strength
        documents = {}
        if (prior := self.prior(snap, resolved)) is not None:  # what it is about: (p + floor) ** weight per document
            documents = {d: (pr + p.doc_prior_floor) ** p.doc_prior_weight for d, pr in prior.probabilities(vector).items()}
        return BankMatch(lift, float(sims[answered].max()), best_unanswerable, documents)


@dataclass(frozen=True)
class Resolved:
    """The bank against one snapshot."""

    rows: list[np.ndarray]  # per banked question, the rows that answer it (empty: unanswerable, or not here)
    answered: np.ndarray  # per banked question: this index holds its answer
    applies: bool  # the index holds the answers of at least APPLIES of the answerable questions


@dataclass(frozen=True)
class BankMatch:
    """What the bank says of one question; the cosines are None where the bank does not apply."""

    lift: dict[int, float]  # snapshot row → share of the top fused score to add
    best_answered: float | None  # the highest cosine to a banked question this index answers
    best_unanswerable: float | None  # …and to one known to have no rule
    documents: dict[str, float] = field(default_factory=dict)  # document → factor of its passages' scores

    def document_factor(self, doc_id: str) -> float:
        """What a passage of this document is multiplied by (1 where there is no prior)."""
        if not self.documents:
            return 1.0
        return self.documents.get(doc_id, min(self.documents.values()))

    @property
    def margin(self) -> float | None:
        """Closer to the answered questions (> 0) or to the unanswerable ones (< 0); None where the bank
        does not apply."""
        if self.best_answered is None or self.best_unanswerable is None:
            return None
        return self.best_answered - self.best_unanswerable
