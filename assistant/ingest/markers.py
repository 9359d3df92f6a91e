"""Chinese numerals and the line markers of policy and regulation structure."""

import re

CN_DIGITS = "〇零一二三四五六七八九十百千两"
_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}


def cn_to_int(text: str) -> int:
    """'一百二十一' → 121, '十' → 10; 0 when the text is not a Chinese numeral."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _DIGIT:
            current = _DIGIT[char]
        elif char in _UNIT:
            total += (current or 1) * _UNIT[char]
            current = 0
        else:
            return 0
    return total + current


_N = f"[{CN_DIGITS}]+"
BIAN = re.compile(rf"^第({_N})编")
ZHANG = re.compile(rf"^第({_N})章")
JIE = re.compile(rf"^第({_N})节")
TIAO = re.compile(rf"^第({_N})条(?=[\s\u3000]|$)")
L1 = re.compile(rf"^({_N})[、．.]")  # 一、
L2 = re.compile(rf"^[（(]({_N})[）)]")  # （一）
L3 = re.compile(r"^(\d{1,3})[.．、](?!\d)")  # 1.
L4 = re.compile(r"^[（(](\d{1,3})[）)]")  # （1）
PART_LABEL = re.compile(r"^【([^】]{1,20})】$")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号|国务院令第\d+号|[\u4e00-\u9fff]{2,10}令第\d+号")
DATE_LINE = re.compile(r"^[（(]?\s*\d{4}(年|\.)")
TERMINAL = "。！？；：!?;:…”’」』）)】》"
STRUCTURAL = (BIAN, ZHANG, JIE, TIAO, L1, L2, L3, L4, PART_LABEL)


def is_structural(line: str) -> bool:
    """Whether a line opens a structural unit (and so never continues the line before)."""
    return any(p.match(line) for p in STRUCTURAL)


def is_heading_like(line: str, limit: int = 40) -> bool:
    """A short line that does not read as a sentence: a heading."""
    return len(line) <= limit and not line.endswith(("。", "；", "：", ";", ":"))


def bracket_label(text: str) -> str:
    """Full-width brackets in a path label: '(六)' → '（六）' (labels only, never quoted text)."""
    return text.replace("(", "（").replace(")", "）")


def squeeze(text: str) -> str:
    """Drop whitespace between CJK characters (typesetting spaces in titles)."""
    return re.sub(r"(?<=[\u3000-\u9fff《》“”（）])[\s\u3000]+(?=[\u3000-\u9fff《》“”（）])", "", text).strip()
