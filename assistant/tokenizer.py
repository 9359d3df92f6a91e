"""jieba tokens for BM25, with the domain dictionary kept whole and filler dropped."""

from __future__ import annotations

import logging
import marshal
import re
import sys
import threading
from contextlib import suppress
from importlib import resources
from pathlib import Path

from assistant.files import write_atomically


def _import_jieba():
    """jieba imports pkg_resources only to open its own data files, and opens them itself when that import fails;
    in a venv with setuptools < 81 pkg_resources is there and takes 0.2 s to import (it scans every installed
    distribution). Hidden for that one import unless something already loaded it."""
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail
    try:
        import jieba
    finally:
        if hidden:
            del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()

TOKENIZER_VERSION = "jieba-search-v1"
EXPANSION_WEIGHT = 0.5  # weight of the official wording added for a question's colloquial words (retrieval, answers)
_WORD = re.compile(r"[\u4e00-\u9fff\w]")
STOPWORDS = frozenset(
    "的 了 是 在 有 和 与 或 及 就 都 也 要 会 能 可 可以 还 又 被 给 让 对 把 跟 从 向 于 以 为 而 之 其 这 那 个 "
    "我 我们 你 你们 他 她 他们 它 咱们 自己 人家 谁 啥 么 吗 呢 吧 啊 呀 嘛 哦 哪 哪些 哪个 怎么 怎么样 怎样 如何 什么 "
    "多少 多久 几 几个 是否 是不是 能不能 能否 可不可以 会不会 有没有 算不算 还是 还有 到底 究竟 具体 一般 一下 一些 一个 "
    "这个 那个 这种 那种 这样 那样 这些 那些 情况 问题 时候 现在 听说 请问 比如 如果 要是 的话 时 后 前 里 上 下 "
    "吗？ 么？ 呢？ 不 没 很 太 最 更 比较 已经 曾经 正在 一直 然后 所以 因为 但是 但 而且 并且 或者 以及 等 等等".split()
)


def _load_colloquial() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(colloquial triggers, official terms) rows of resources/colloquial.tsv."""
    rows = []
    text = (resources.files("assistant.resources") / "colloquial.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        official, triggers = line.split("\t")
        rows.append((tuple(triggers.split()), tuple(official.split())))
    return rows


def _load_dictionary(instance: jieba.Tokenizer, cache_dir: Path | None) -> None:
    """jieba's prefix dictionary from our cache file, read whole: 0.3 s, where jieba reading its own cache from
    the temporary directory takes 1.4 s (marshal.load on a file object reads it piece by piece) and building it
    2 s. Built by jieba and written there when missing or unreadable."""
    name = f"jieba-{jieba.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    path = cache_dir / name if cache_dir is not None and cache_dir.is_dir() else None
    if path is not None and path.is_file():
        try:
            freq, total = marshal.loads(path.read_bytes())
            if isinstance(freq, dict) and isinstance(total, int) and freq:
                instance.FREQ, instance.total, instance.initialized = freq, total, True
                return
        except (OSError, ValueError, EOFError, TypeError):  # damaged or foreign: build it again
            pass
    instance.initialize()
    if path is None:
        return
    with suppress(OSError):  # a read-only index: jieba's own cache still works, only slower
        write_atomically(path, marshal.dumps((instance.FREQ, instance.total)))


class Tokenizer:
    """A private jieba instance (no global state) with our user dictionary, loaded on first use (an
    unchanged re-ingest never needs it); `load()` loads it now (the API does, before it says it is ready)."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        """`cache_dir`: where jieba's prefix dictionary is cached (the index directory), when it exists."""
        self._cache_dir = cache_dir
        self._loaded: jieba.Tokenizer | None = None
        self._lock = threading.Lock()
        self._colloquial = _load_colloquial()
        self._term_tokens: dict[str, tuple[str, ...]] = {}  # an official term of the lexicon → its tokens

    @property
    def _jieba(self) -> jieba.Tokenizer:
        return self._loaded or self.load()

    def load(self) -> jieba.Tokenizer:
        """jieba with its dictionary and ours (once; later calls return it)."""
        with self._lock:
            if self._loaded is None:
                jieba.setLogLevel(logging.WARNING)
                instance = jieba.Tokenizer()
                _load_dictionary(instance, self._cache_dir)
                with resources.as_file(resources.files("assistant.resources") / "user_dict.txt") as path:
                    instance.load_userdict(str(path))
                self._loaded = instance
            return self._loaded

    def dictionary(self) -> tuple[dict, int]:
        """jieba's word frequencies and their total, for a reader that overlays its own words on them."""
        return self._jieba.FREQ, self._jieba.total

    def add_words(self, words: list[str]) -> None:
        """Keep names such as document titles whole."""
        for word in words:
            self._jieba.add_word(word, freq=20)
        self._term_tokens.clear()  # a new word may cut a term differently

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens of a passage (sub-words too), without punctuation."""
        return [t for t in self._jieba.cut_for_search(text) if _WORD.search(t)]

    def query_tokens(self, text: str) -> list[str]:
        """Tokens of a question: filler and stop words dropped, domain terms whole."""
        return [t for t in self.tokens(text) if t not in STOPWORDS]

    def expansion_tokens(self, text: str, query_tokens: list[str] | None = None) -> list[str]:
        """Official wording for the colloquial words of a question ("打麻将赌钱" → 赌博), as tokens
        the question does not already contain (`query_tokens`: the question's, when the caller has cut it)."""
        official = dict.fromkeys(term for triggers, terms in self._colloquial
                                 if any(t in text for t in triggers) for term in terms)
        present = set(self.query_tokens(text) if query_tokens is None else query_tokens)
        return [t for t in dict.fromkeys(t for term in official for t in self._tokens_of_term(term))
                if t not in present and t not in STOPWORDS]

    def _tokens_of_term(self, term: str) -> tuple[str, ...]:
        """A lexicon term's tokens, cut once: a question triggers a few of some 700 terms, and cutting them again
        for every question (twice per answer: retrieval and the extractive answer) was most of the expansion's
        cost."""
        found = self._term_tokens.get(term)
        if found is None:
            found = self._term_tokens[term] = tuple(self.tokens(term))
        return found
