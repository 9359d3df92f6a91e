"""What kind of answer a question expects. A question asking for a list (哪些、哪几种、哪四种、包括什么、分为、
「四种形态」是指什么) wants the whole list a passage gives, not its first item. A question asking 多久 / 多少 / 几年 wants a stated quantity
(「时间一般为1周左右」「三十日内」「六个月」): of two passages that share the question's words, the one
stating a quantity answers it. The words are Chinese grammar — the quantity interrogatives (多久, 多长, 多少, 多大,
多高, 几 + a measure word) and the common measure words and units — not taken from any question; the held-out
sets were not used to choose its weight (extractive.QUANTITY_WEIGHT)."""

from __future__ import annotations

import re

# 多久、多长时间、多少天、多大比例、几年、几个月、几次……; not 哪几种 (a list, not a quantity)
_ASKS_QUANTITY = re.compile(r"多久|多长|多少|多大|多高|(?<!哪)几(?:个|年|月|周|天|日|次|名|人|倍|岁|小时|届)")
_UNIT = r"(?:个(?:月|工作日|小时|百分点)|年|月|周|日|天|次|倍|人|名|岁|小时|分之|成|届|%|％)"
_STATES_QUANTITY = re.compile(rf"[0-9０-９]+(?:\.[0-9]+)?\s*{_UNIT}?|[一二三四五六七八九十两百千万半]+{_UNIT}")


# Chinese grammar for asking what the members of a set are, not taken from any question: 哪些 / 哪几 / 哪 + numeral,
# 几 + a classifier of kinds (几种、几类、几项、几个方面 …), 包括 / 包含 / 分为 / 有 + 什么 / 哪, 分别, and a term led by a
# numeral and a classifier asked about with 是指 / 指什么 / 是什么 (「两个责任是指什么」).
_KIND_CLASSIFIER = r"(?:种|类|项|条|方面|个方面|个层次|个等次|个阶段|个环节|个部分|大类|级)"
_ASKS_LIST = re.compile(
    rf"哪些|哪几|哪[一二三四五六七八九十两]|几{_KIND_CLASSIFIER}|(?:包括|包含|分为|分成|有)(?:了)?(?:什么|啥|哪)|分别"
    rf"|[一二三四五六七八九十两][种类项个条大][^，。？！?\s]{{0,6}}?(?:是指|指的是|指什么|是什么|是哪)")


def asks_list(question: str) -> bool:
    return bool(_ASKS_LIST.search(question))


def asks_quantity(question: str) -> bool:
    return bool(_ASKS_QUANTITY.search(question))


def states_quantity(text: str) -> bool:
    return bool(_STATES_QUANTITY.search(text))
