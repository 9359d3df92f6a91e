"""Who the corpus regulates, mined from the index's own words (nothing written by hand): role nouns
(…员/…人员/…者/…机关/…组织/…干部…) whose mentions are concentrated in a few documents — 党员, 公务员, 公职人员,
监察官, 事业单位 … — and how often each document mentions each. A question about 党员 should not be answered
from a document that never mentions 党员 (hybrid.py ranks such a document lower).

Counted from the BM25 tokens stored with each chunk, per document, so a changed document changes only its
own counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

ROLE = re.compile(r"(员|人员|者|人|组织|机关|干部|官|单位|党委|党组|委员会)$")
SUBJECT_MIN_MENTIONS = 15  # a role noun rarer than this says little about a regime
SUBJECT_CONCENTRATION = 0.6  # share of its mentions in the three documents that mention it most
# with fewer documents, "mostly in three of them" says nothing: every word is; no subjects then
SUBJECT_MIN_DOCUMENTS = 10


def role_counts(tokens: list[list[str]]) -> Counter:
    """Mentions of role nouns in a document's chunk tokens. The tokens are jieba's search mode, which also
    emits the pieces of a long word (公职人员 → 公职, 人员, 公职人员): a piece of a longer role noun in the same
    chunk is not counted (人员 there, 责人 of 负责人, 有人 of 所有人)."""
    counts = Counter()
    for chunk_tokens in tokens:
        roles = [t for t in chunk_tokens if len(t) >= 2 and ROLE.search(t)]
        longer = set(roles)
        counts.update(t for t in roles if not any(t != u and t in u for u in longer))
    return counts


@dataclass
class CorpusLexicon:
    roles: dict[str, dict[str, int]] = field(default_factory=dict)  # doc_id → role noun → mentions
    subjects: set[str] = field(init=False)  # the role nouns that divide the corpus
    doc_subjects: dict[str, dict[str, int]] = field(init=False)  # doc_id → subject → mentions

    def __post_init__(self) -> None:
        per_word: dict[str, list[int]] = {}
        for counts in self.roles.values():
            for word, n in counts.items():
                per_word.setdefault(word, []).append(n)
        self.subjects = {word for word, mentions in per_word.items() if sum(mentions) >= SUBJECT_MIN_MENTIONS
                         and sum(sorted(mentions, reverse=True)[:3]) / sum(mentions) >= SUBJECT_CONCENTRATION
                         } if len(self.roles) >= SUBJECT_MIN_DOCUMENTS else set()
        # a document mentions a subject through any role noun that contains it: the question's subjects are read
        # from search-mode tokens, which hold the pieces of a long word (县直机关 → 机关), while a document's
        # counts leave those pieces out, so a passage saying 县直机关 ranked × subject_factor for a question
        # saying 县直机关 (leave-set-out over the seven answerable sets: R@1 287 → 288, R@5 385 → 385)
        contained = {w: [s for s in self.subjects if s in w] for w in per_word}
        self.doc_subjects = {}
        for doc, counts in self.roles.items():
            mentions: Counter = Counter()
            for word, n in counts.items():
                mentions.update(dict.fromkeys(contained[word], n))
            self.doc_subjects[doc] = dict(mentions)

    @classmethod
    def mine(cls, doc_ids: list[str], tokens: list[list[str]]) -> CorpusLexicon:
        """From each chunk's document and BM25 tokens."""
        return cls(_by_document(doc_ids, tokens))

    def changed(self, removed: set[str], doc_ids: list[str], tokens: list[list[str]]) -> CorpusLexicon:
        """Without the removed (or changed) documents, with the counts of the added chunks' documents."""
        roles = {doc: counts for doc, counts in self.roles.items() if doc not in removed}
        roles.update(_by_document(doc_ids, tokens))
        return CorpusLexicon(roles)

    def to_json(self) -> dict:
        return {"roles": self.roles}

    @classmethod
    def from_json(cls, data: dict) -> CorpusLexicon:
        return cls(data["roles"])


def _by_document(doc_ids: list[str], tokens: list[list[str]]) -> dict[str, dict[str, int]]:
    by_doc: dict[str, list[list[str]]] = {}
    for doc_id, chunk_tokens in zip(doc_ids, tokens):
        by_doc.setdefault(doc_id, []).append(chunk_tokens)
    return {doc: dict(role_counts(t)) for doc, t in by_doc.items()}
