"""A question read once for every signal: its BM25 tokens, the official wording of its colloquial words, its
content words weighted by rarity, and who it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.grounding.in_force import asks_for_old_version
from assistant.tokenizer import Tokenizer

if TYPE_CHECKING:
    from assistant.retrieval.snapshot import Snapshot


def question_chars(text: str) -> int:
    """How long a question is, for the weights that depend on it: its characters, blanks not counted."""
    return len("".join(text.split()))


def content_words(question: str, tokenizer: Tokenizer) -> list[str]:
    """The question's content words, longest first (then in the question's order, so the same question
    always weighs the same way), without sub-words of a longer one."""
    return content_words_of(tokenizer.query_tokens(question))


def content_words_of(tokens: list[str]) -> list[str]:
    """`content_words` of a question already tokenized (`Tokenizer.query_tokens`)."""
    words = sorted(dict.fromkeys(t for t in tokens if len(t) >= 2), key=len, reverse=True)
    kept: list[str] = []
    for word in words:
        if not any(word in longer for longer in kept):
            kept.append(word)
    return kept or list(tokens)


@dataclass
class Query:
    text: str
    tokens: list[str]  # BM25 tokens (stop words dropped)
    expansion: list[str]  # official wording of colloquial words, not in `tokens`
    words: dict[str, float]  # content word → rarity weight (idf)
    subjects: set[str]  # who the question is about (the corpus's subject nouns it uses)
    old_version: bool  # asks about a superseded text on purpose (「2018年版」「修订前」…)
    named: set[str] = field(default_factory=set)  # titles of the documents it names

    @classmethod
    def read(cls, text: str, tokenizer: Tokenizer, snapshot: Snapshot) -> Query:
        tokens = tokenizer.query_tokens(text)
        words = {w: snapshot.idf(w) for w in content_words_of(tokens)}
        return cls(text=text, tokens=tokens, expansion=tokenizer.expansion_tokens(text, tokens), words=words,
                   subjects={t for t in tokens if t in snapshot.lexicon.subjects},
                   old_version=asks_for_old_version(text))
