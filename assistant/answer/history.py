"""History-aware retrieval: a follow-up such as 「那影响期怎么算？」 is searched with the conversation's context.

Without an LLM, the key terms of the last user turn(s) are put in front of a question that is short or
leans on what came before (那/这/它/该/其/上述…). With an LLM, the model rewrites the question into a
standalone one; if it cannot be reached, the rule above is used instead.
"""

from __future__ import annotations

import logging
import re

from assistant.answer.types import Turn
from assistant.grounding.llm import is_unavailable
from assistant.retrieval.query import content_words
from assistant.tokenizer import Tokenizer

log = logging.getLogger("assistant.answer")

SHORT_QUESTION = 15  # characters; shorter questions rarely stand on their own
MAX_TERMS = 8
_ANAPHORA = re.compile(r"^\s*(那么?|这|它|该|其|此|上述|前述|以上|还有|另外|同样|如果|要是|那如果)"
                       r"|这个|那个|这种|那种|这些|那些|这条|该条|上述|前面|刚才|它们|其中|此类|这类|同上")


def needs_context(question: str) -> bool:
    """A question too short or too anaphoric to be searched on its own."""
    return len(question.strip()) < SHORT_QUESTION or bool(_ANAPHORA.search(question))


def carried_terms(question: str, history: list[Turn], tokenizer: Tokenizer) -> list[str]:
    """Key terms of the last two user turns (latest first) that the question does not already say."""
    terms: list[str] = []
    for turn in reversed([t for t in history if t.role == "user"][-2:]):
        for word in content_words(turn.content, tokenizer):
            if word not in question and word not in terms:
                terms.append(word)
    return terms[:MAX_TERMS]


def contextual_query(question: str, history: list[Turn], tokenizer: Tokenizer) -> str:
    """The query to retrieve with, without an LLM: the question, prefixed with carried terms when needed."""
    if not any(t.role == "user" for t in history) or not needs_context(question):
        return question
    terms = carried_terms(question, history, tokenizer)
    return f"{' '.join(terms)} {question}" if terms else question


def standalone_query(question: str, history: list[Turn], tokenizer: Tokenizer, llm=None) -> tuple[str, BaseException | None]:
    """(query, error): the LLM's rewrite when it answers, else the no-LLM rule and the error that stopped it."""
    if llm is None or not any(t.role == "user" for t in history):
        return contextual_query(question, history, tokenizer), None
    try:
        rewritten = llm.rewrite(question, history)
    except Exception as err:  # noqa: BLE001 - any failure of the rewrite falls back to the rule
        if not is_unavailable(err):
            log.warning("question rewrite failed: %s", err)
        return contextual_query(question, history, tokenizer), err
    return (rewritten or contextual_query(question, history, tokenizer)), None
