"""What the corpus itself says about its words, mined when the snapshot is built (nothing written by hand):

- subjects: who the documents regulate — role nouns (…员/…人员/…者/…机关/…组织/…干部…) whose mentions are
  concentrated in a few documents (党员, 公务员, 公职人员, 监察官, 事业单位 …), and how often each document
  mentions each; a question about 党员 should not be answered from a document that never mentions 党员;
- document frequencies of words, for weighting a question's words by rarity.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from assistant.tokenizer import Tokenizer
from assistant.types import Chunk

ROLE = re.compile(r"(员|人员|者|人|组织|机关|干部|官|单位|党委|党组|委员会)$")
SUBJECT_MIN_MENTIONS = 15  # a role noun rarer than this says little about a regime
SUBJECT_CONCENTRATION = 0.6  # share of its mentions in the three documents that mention it most


@dataclass
class CorpusLexicon:
    subjects: set[str] = field(default_factory=set)
    doc_subjects: dict[str, dict[str, int]] = field(default_factory=dict)  # doc_id → subject → mentions
    df: dict[str, int] = field(default_factory=dict)  # word → chunks containing it
    chunks: int = 0

    @classmethod
    def mine(cls, chunks: list[Chunk], tokens: list[list[str]], tokenizer: Tokenizer) -> CorpusLexicon:
        """From the chunks and their BM25 tokens (the same words the index holds)."""
        df = Counter()
        for toks in tokens:
            df.update(set(toks))
        return cls(*_subjects(chunks, tokenizer), dict(df), len(chunks))

    def idf(self, word: str) -> float:
        return math.log(1 + self.chunks / (1 + self.df.get(word, 0)))

    def to_json(self) -> dict:
        return {"subjects": sorted(self.subjects), "doc_subjects": self.doc_subjects,
                "df": self.df, "chunks": self.chunks}

    @classmethod
    def from_json(cls, data: dict) -> CorpusLexicon:
        return cls(set(data["subjects"]), data["doc_subjects"], data["df"], data["chunks"])


def _subjects(chunks: list[Chunk], tokenizer: Tokenizer) -> tuple[set[str], dict[str, dict[str, int]]]:
    """Role nouns (accurate-mode jieba words) concentrated in a few documents, with their mentions per document."""
    per_doc: dict[str, Counter] = {}
    for c in chunks:
        per_doc.setdefault(c.doc_id, Counter()).update(
            w for w in tokenizer.words(f"{c.title}\n{c.text}") if len(w) >= 2 and ROLE.search(w))
    total = Counter()
    for counts in per_doc.values():
        total.update(counts)
    subjects = set()
    for word, mentions in total.items():
        if mentions >= SUBJECT_MIN_MENTIONS:
            top = sorted((counts.get(word, 0) for counts in per_doc.values()), reverse=True)[:3]
            if sum(top) / mentions >= SUBJECT_CONCENTRATION:
                subjects.add(word)
    doc_subjects = {doc: {w: n for w, n in counts.items() if w in subjects} for doc, counts in per_doc.items()}
    return subjects, doc_subjects
