"""jieba tokens for BM25, with the domain dictionary kept whole and filler dropped."""

from __future__ import annotations

import logging
import re
from importlib import resources

import jieba

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


class Tokenizer:
    """A private jieba instance (no global state), loaded once with our user dictionary."""

    def __init__(self) -> None:
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        with resources.as_file(resources.files("assistant.resources") / "user_dict.txt") as path:
            self._jieba.load_userdict(str(path))
        self._jieba.initialize()
        self._colloquial = _load_colloquial()

    def dictionary(self) -> tuple[dict, int]:
        """jieba's word frequencies and their total, for a reader that overlays its own words on them."""
        return self._jieba.FREQ, self._jieba.total

    def add_words(self, words: list[str]) -> None:
        """Keep names such as document titles whole."""
        for word in words:
            self._jieba.add_word(word, freq=20)

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens of a passage (sub-words too), without punctuation."""
        return [t for t in self._jieba.cut_for_search(text) if _WORD.search(t)]

    def words(self, text: str) -> list[str]:
        """Accurate-mode words (no sub-words), without punctuation: for counting what a text names."""
        return [t for t in self._jieba.lcut(text) if _WORD.search(t)]

    def query_tokens(self, text: str) -> list[str]:
        """Tokens of a question: filler and stop words dropped, domain terms whole."""
        return [t for t in self.tokens(text) if t not in STOPWORDS]

    def expansion_tokens(self, text: str) -> list[str]:
        """Official wording for the colloquial words of a question ("打麻将赌钱" → 赌博), as tokens
        the question does not already contain."""
        official = dict.fromkeys(term for triggers, terms in self._colloquial
                                 if any(t in text for t in triggers) for term in terms)
        present = set(self.tokens(text))
        return [t for t in dict.fromkeys(self.tokens(" ".join(official)))
                if t not in present and t not in STOPWORDS]
