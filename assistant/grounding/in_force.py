"""The in-force policy, one place for retrieval, answers and course packs: a superseded text is kept for
reference but never stands before the in-force text that says the same, and is dropped where that text is
quoted anyway.

- ranking: a superseded passage's score × SUPERSEDED_FACTOR, unless the question asks about the old
  version (「2018年版」「修订前」「原条例」…); then `in_force_first` moves the in-force passage that restates
  it above it;
- quoting: `prefer_in_force` drops a superseded passage restated by an in-force one among the same
  passages; what is left is quoted with `superseded_note`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

import numpy as np

from assistant.types import Chunk, Hit

SUPERSEDED_FACTOR = 0.8
SAME_TEXT = 0.6  # share of character bigrams two passages must share to say the same
OLD_VERSION = re.compile(r"(19|20)\d\d年(版|修订|的)|旧版|旧条例|原条例|修订前|已废止|废止")


def asks_for_old_version(question: str) -> bool:
    return bool(OLD_VERSION.search(question))


def same_provision(old: Chunk, new: Chunk) -> bool:
    """Does the in-force `new` restate the superseded `old` (its successor's text, mostly the same words)?"""
    if old.superseded_by and old.superseded_by != new.doc_id:
        return False
    return _same_text(old.text, new.text)


@lru_cache(maxsize=65536)  # the same pairs meet on every search of a question and its neighbours
def _same_text(old: str, new: str) -> bool:
    a, b = _bigrams(old), _bigrams(new)
    return bool(len(a) and len(b)) and len(np.intersect1d(a, b, assume_unique=True)) / min(len(a), len(b)) >= SAME_TEXT


def restated(chunk: Chunk, others: Iterable[Chunk]) -> bool:
    """A superseded chunk whose content an in-force chunk among `others` restates."""
    return chunk.status == "superseded" and any(
        o.status == "in_force" and same_provision(chunk, o) for o in others)


def in_force_first(hits: list[Hit]) -> list[Hit]:
    """A superseded passage never ranks above the in-force passage of its successor that says the same."""
    out = list(hits)
    for idx, hit in enumerate(out):
        if hit.chunk.status != "superseded":
            continue
        for later in range(idx + 1, len(out)):
            other = out[later]
            if other.chunk.status == "in_force" and same_provision(hit.chunk, other.chunk):
                out.insert(idx, replace(out.pop(later), score=max(other.score, hit.score)))
                break
    return out


def prefer_in_force(hits: list[Hit]) -> list[Hit]:
    """Drop a superseded passage when an in-force passage among the hits says the same."""
    chunks = [h.chunk for h in hits]
    return [h for h in hits if not restated(h.chunk, chunks)]


def superseded_note(passage, titles: dict[str, str]) -> str:
    """「（该文件已被《…》替代…）」 for a superseded passage (a Chunk or a Passage), else ''."""
    if passage.status != "superseded":
        return ""
    successor = titles.get(passage.superseded_by, "")
    if successor:
        return f"（该文件已被《{successor}》替代，请以现行文件为准）"
    return "（该文件已被修订或废止，请以现行有效文件为准）"


@lru_cache(maxsize=16384)  # per passage text: the same passages are compared on every search
def _bigrams(text: str) -> np.ndarray:
    """The distinct character bigrams of `text` (whitespace ignored) as sorted integer codes: 2.4 KB for a
    600-character passage, where a frozenset of 2-character strings took 78 KB (1.2 GB for a full cache)."""
    codes = np.frombuffer("".join(text.split()).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return np.unique((codes[:-1] << np.uint64(21)) | codes[1:])
