"""What kind of answer a question expects. A question asking 多久 / 多少 / 几年 wants a stated quantity
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


def asks_quantity(question: str) -> bool:
    return bool(_ASKS_QUANTITY.search(question))


def states_quantity(text: str) -> bool:
    return bool(_STATES_QUANTITY.search(text))
