"""Property tests over hostile input: loaders (encodings, HTML, arbitrary bytes), the cleaner, the structure
parser and the chunker, fed generated documents shaped like the corpus — 编/章/节/条, 一、/（一）/1.,
【labelled parts】, markdown and bold headings, 目录 collections, 文头, blank lines, full-width spaces, very long
lines. Known parser bugs (strict xfails in test_structure.py) are kept out of the generators: no long first
line holding a title word, 目录 titles that reappear verbatim, no '案例' without 目录, no 《…》 sentence in
【相关条款】. Each test is derandomized, so CI runs the same examples every time."""

from __future__ import annotations

import html
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.errors import UnreadableFileError
from assistant.ingest.chunking import chunk_document
from assistant.ingest.cleaning import clean_lines, cleaned_text
from assistant.ingest.markers import BIAN, JIE, L1, L2, TIAO, ZHANG, bracket_label, is_heading_like
from assistant.ingest.structure import parse_document
from assistant.ingest.structure.cases import case_title
from assistant.ingest.structure.collection import toc_titles
from assistant.loaders import load_text

PROPS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KINDS = ["", "policy", "regulation", "regulation_collection", "case_collection", "interpretation"]

# --- strategies: corpus-shaped documents ------------------------------------------------------------------
# Words hold no title word (法/规定/办法/条例/意见/通知/措施/准则/规则/决定/关于), 文件/号/目录/案例/作者.
WORDS = ["党员", "干部", "应当", "严格", "遵守", "纪律", "工作", "组织", "处分", "监督", "容错", "纠错", "激励", "担当",
         "作为", "基层", "补贴", "培训", "考核", "问责", "情形", "追究", "责任", "单位", "领导", "集体", "研究", "决策",
         "程序", "落实", "改革", "探索", "失误", "免责", "从轻", "给予", "警告", "撤销", "职务", "开除", "党籍", "一年",
         "百分之二十", "2020年", "3月", "12", "乡镇", "县直", "机关", "群众", "利益", "损失", "及时", "纠正", "挽回"]
INNER = ["，", "、", "；", "：", "“", "”", "《", "》", "（", "）", " ", "\u3000"]
CN = "一二三四五六七八九"
NUM = st.integers(1, 39).map(lambda n: (CN[n // 10 - 1] if n >= 20 else "") + ("十" if n >= 10 else "")
                                        + (CN[n % 10 - 1] if n % 10 else ""))
LABELS = ["基本案情及处理结果", "关键词", "执纪执法要点", "指导意义", "相关条款"]


def _words(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(INNER)), min_size=lo, max_size=hi).map("".join)


SENTENCE = st.tuples(st.sampled_from(WORDS), _words(0, 25), st.sampled_from(["。", "。", "；", "！", "？", "：", ""])
                     ).map("".join)  # opens with a word: never a 《…》 line
PARA = st.lists(SENTENCE, min_size=1, max_size=6).map("".join)
LONG = st.lists(SENTENCE, min_size=20, max_size=80).map("".join)  # 300–2,500 characters on one line
NAME = _words(1, 5).map(lambda s: s.strip() or "总则")
LINE = st.one_of(
    st.tuples(st.just("第"), NUM, st.sampled_from("编章节"), st.sampled_from([" ", "\u3000", ""]), NAME).map("".join),
    st.tuples(st.just("第"), NUM, st.just("条"), st.sampled_from([" ", "\u3000"]), PARA).map("".join),
    st.tuples(NUM, st.sampled_from(["、", "．"]), st.one_of(NAME, PARA)).map("".join),
    st.tuples(st.sampled_from("（("), NUM, st.sampled_from("）)"), st.one_of(NAME, PARA)).map("".join),
    st.tuples(st.integers(1, 20).map(str), st.just("."), st.one_of(NAME, PARA)).map("".join),
    st.sampled_from(LABELS).map(lambda label: f"【{label}】"),
    st.tuples(st.sampled_from(["# ", "## ", "### "]), NAME).map("".join),
    NAME.map(lambda n: f"**{n}**"),
    PARA, PARA, PARA, LONG,
    st.sampled_from(["", "", "— 3 —", "(此页无正文)", "12", "---"]),
)
DOCUMENT = st.tuples(
    st.sampled_from([[], ["中共某某省委组织部文件", "某组发〔2020〕1号"], ["某组发〔2021〕12号"]]),
    st.sampled_from(["", "某某工作规定", "关于加强干部管理的意见", "某某措施", "某某工作条例", "干部管理办法"]),
    st.lists(st.tuples(st.sampled_from(["", "", "\u3000\u3000", "  ", "\t"]), LINE,
                       st.sampled_from(["", " ", "\u3000"])).map("".join), max_size=30),
    st.sampled_from(["\n", "\r\n", "\n\n"]),
    st.sampled_from(["", "2020年3月1日", "特此通知"]),
).map(lambda t: t[3].join(t[0] + ([t[1]] if t[1] else []) + t[2] + ([t[4]] if t[4] else [])))


@st.composite
def case_collections(draw) -> str:
    """目录 listing each case as its body title line reads, then 【labelled parts】 per case."""
    titles = [f"{'张王李赵'[i]}某{draw(st.sampled_from(['违规发放补贴', '失职失责', '违反工作纪律']))}问题案"
              + draw(st.sampled_from(["", f"（中央纪委国家监委指导性案例2021年第{i + 1}号，总第{i + 1}号）"]))
              for i in range(draw(st.integers(1, 4)))]
    lines = [draw(st.sampled_from(["典型案例汇编", "指导性案例选编"])), "目录"] + [f"{i + 1}．{t}" for i, t in enumerate(titles)]
    for i, title in enumerate(titles):
        lines += [title] + ([f"2021年第{i + 1}号，总第{i + 1}号"] if draw(st.booleans()) else [])
        for label in draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=5, unique=True)):
            lines.append(f"【{label}】")
            if label == "相关条款":
                for _ in range(draw(st.integers(0, 2))):
                    lines.append(draw(st.sampled_from(["《中国共产党纪律处分条例》", "《中华人民共和国监察法》"])))
                    lines += [f"第{draw(NUM)}条 {draw(PARA)}" for _ in range(draw(st.integers(1, 3)))]
            else:
                sub = st.tuples(st.integers(1, 5).map(str), st.just("."), NAME).map("".join)
                lines += [draw(st.one_of(PARA, sub, LONG)) for _ in range(draw(st.integers(1, 4)))]
    return draw(st.sampled_from(["\n", "\n\n"])).join(lines)


@st.composite
def regulation_collections(draw) -> str:
    names = draw(st.lists(st.sampled_from(["某某工作规定", "干部管理办法", "问责条例", "考核规则"]), min_size=1,
                          max_size=3, unique=True))
    lines = ["党内法规汇编", "目录"] + names
    for name in names:
        lines.append(name)
        for _ in range(draw(st.integers(0, 2))):
            lines += [f"第{draw(NUM)}章 {draw(NAME)}"] if draw(st.booleans()) else []
            lines += [f"第{draw(NUM)}条 {draw(st.one_of(PARA, LONG))}" for _ in range(draw(st.integers(1, 3)))]
    return "\n".join(lines)


# --- parse + chunk: nothing lost, exact slices, under the cap, unique ids ---------------------------------

def _flat(text: str) -> str:
    return re.sub(r"\s", "", bracket_label(text))


def _level(text: str, heading: bool) -> int:
    """Outline depth of a line: a heading keeps what lies below it (deeper), not what follows at its level."""
    for depth, pattern in enumerate((BIAN, ZHANG, JIE)):
        if pattern.match(text):
            return depth
    if TIAO.match(text):
        return 9
    return 4 if L1.match(text) else 5 if L2.match(text) else 3 if heading else 8


def check_chunks(raw: str, kind: str, cap: int) -> None:
    """Chunks are exact, stripped, disjoint slices of the cleaned text, 1..cap long, with unique stable ids; a
    body line is quoted whole; a title, 文号, heading or 目录 entry not quoted is carried by the chunks
    (title, section path); a heading directly above text is in that text's path. The one loss allowed: a
    heading-like line with nothing under it (pinned for list items in test_structure.py)."""
    parsed = parse_document(raw, kind=kind, name="synthetic")
    source = parsed.text
    chunks = chunk_document(parsed, "doc.md", "", cap)
    owner: list = [None] * len(source)
    for c in chunks:
        assert c.text == source[c.start:c.end] and c.text == c.text.strip()
        assert 0 < len(c.text) <= cap
        for i in range(c.start, c.end):
            assert owner[i] is None, "two chunks quote the same character"
            owner[i] = c
    ids = [c.id for c in chunks]
    assert len(set(ids)) == len(ids)
    assert ids == [c.id for c in chunk_document(parse_document(raw, kind=kind, name="synthetic"), "doc.md", "", cap)]

    def meta(c) -> set[str]:
        return {_flat(x) for x in c.section.split(" > ") + [c.title, c.doc_title, c.doc_number, c.issuer]}

    def covered(line) -> bool:
        return all(owner[line.start + i] is not None for i, ch in enumerate(line.text) if not ch.isspace())

    lines = parsed.lines
    _, toc_lo, toc_hi = toc_titles(lines)
    everywhere = set().union(*map(meta, chunks))
    for i, line in enumerate(lines):
        if covered(line):
            continue
        sentence = line.text.endswith(("。", "；", "！", "？"))  # never a title, heading or 目录 entry
        if not sentence and (toc_lo <= i < toc_hi or {_flat(line.text), _flat(case_title(line.text))} & everywhere):
            continue  # a 目录 entry, or a title / heading / 文号 the chunks carry
        if parsed.kind == "case_collection" and len(line.text) <= 40 and re.search(r"\d{4}年第\d+号[，,]总第", line.text):
            continue  # the case number line, read into case_no
        assert line.heading or is_heading_like(line.text), f"body text in no chunk: {line.text!r}"
        below = lines[i + 1] if i + 1 < len(lines) else None
        if below is not None and covered(below) and _level(below.text, below.heading) > _level(line.text, line.heading):
            first = next(owner[below.start + k] for k, ch in enumerate(below.text) if not ch.isspace())
            assert _flat(line.text) in meta(first), f"heading {line.text!r} not in the path of the text below it"


CAPS = st.one_of(st.integers(100, 600), st.integers(8, 99))  # settings allow >= 100; the chunker any cap


@PROPS
@given(raw=DOCUMENT, kind=st.sampled_from(KINDS[:3] + ["interpretation"]), cap=CAPS)
@example(raw="某某工作条例\n第一章 总则\n第一条\u3000" + "党员应当严格遵守纪律。" * 120, kind="", cap=600)
def test_outlined_documents_lose_nothing(raw, kind, cap):
    check_chunks(raw, kind, cap)


@settings(PROPS, max_examples=60)
@given(raw=st.one_of(case_collections(), regulation_collections()), kind=st.sampled_from(["", "auto"]), cap=CAPS)
def test_collections_lose_nothing(raw, kind, cap):
    auto = "case_collection" if raw.startswith(("典型", "指导性")) else "regulation_collection"
    check_chunks(raw, auto if kind == "auto" else "", cap)


NOISE = st.sampled_from(["\n", "目录", "【关键词】", "第一条 ", "一、", "（一）", "《条例》", "# ", "**", "案", "（作者：某）",
                         "〔2020〕1号", "文件", "\u3000", "\r", "\ufeff", "\x00", "\u2028", "\x0b", "\x1c", "\x85"])


@PROPS
@given(raw=st.lists(st.one_of(st.text(max_size=20), NOISE), max_size=40).map("".join),
       kind=st.sampled_from(KINDS), cap=st.integers(1, 300))
def test_any_text_parses_into_exact_slices(raw, kind, cap):
    """Arbitrary Unicode with markers and control characters: no exception, every chunk an exact slice."""
    parsed = parse_document(raw, kind=kind, name="x")
    chunks = chunk_document(parsed, "doc.md", "", cap)
    assert all(c.text == parsed.text[c.start:c.end] and 0 < len(c.text) <= cap for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)


@pytest.mark.parametrize("raw", [
    "为了加强管理，根据有关规定，依法制定本办法。这是第一段正文。\n第二段正文，说明适用范围。",
    "某某制度汇编\n目录\n甲规定\n乙规定\n第一条 这是正文内容。\n第二条 这也是正文内容。",
    "关于加强典型案例宣传工作的通知\n各单位：\n为发挥典型案例的警示教育作用，现就有关事项通知如下。",
    "某某案例汇编\n目录\n甲某问题案\n甲某问题案\n【相关条款】\n《条例》规定的情形，应当给予处分。\n第一条 正文。",
], ids=["title-swallows-body", "toc-never-repeated", "cases-mentioned-without-toc", "law-name-sentence"])
def test_the_check_catches_the_pinned_bugs(raw):
    """The generators avoid the parser bugs pinned in test_structure.py; fed them, the check fails.
    (Not caught: a heading-like item with nothing under it — the one loss the check allows.)"""
    with pytest.raises(AssertionError, match="body text in no chunk"):
        check_chunks(raw, "", 600)


@pytest.mark.xfail(strict=True, reason="BUG interpretation: the closing （作者：…） line is read into Part.author, "
                                       "which no Chunk field or index record carries: the author is lost")
def test_interpretation_author_is_kept():
    chunks = chunk_document(parse_document("纪律审查中的权利保障\n审理工作应当保障党员权利。\n（作者：某某审理室）",
                                           kind="interpretation"), "doc.md", "", 600)
    assert chunks and any("某某审理室" in str(v) for c in chunks for v in (c.text, *c.metadata().values()))


# --- cleaning: drops artefacts and markup, never adds, reorders or rewords ---------------------------------

def _is_subsequence(small: str, big: str) -> bool:
    rest = iter(big)
    return all(ch in rest for ch in small)


@settings(PROPS, max_examples=60)
@given(raw=st.one_of(DOCUMENT, case_collections(), st.text(max_size=200)))
def test_cleaning_only_removes(raw):
    lines = clean_lines(raw)
    text = cleaned_text(lines)
    for line in lines:
        assert line.text and line.text == line.text.strip() and "\n" not in line.text
        assert text[line.start:line.start + len(line.text)] == line.text
    assert _is_subsequence(re.sub(r"\s", "", text), re.sub(r"\s", "", raw))
    for sentence in (s.strip() for s in raw.replace("\r", "\n").split("\n")):
        if sentence.endswith("。") and not sentence.startswith(("#", "*", "<!--")):
            assert _flat(sentence) in _flat(text)  # a sentence line survives, word for word


# --- loaders ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@PROPS
@given(text=DOCUMENT.filter(str.strip), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"]),
       suffix=st.sampled_from([".txt", ".md"]))
@example(text="某某措施\n2020年3月1日", encoding="gb18030", suffix=".txt")  # was decoded as Korean: 캐캐대嘉
@example(text="某某工作规定\n\u3000\u3000**（：**\n\t【相关条款】", encoding="gbk", suffix=".md")  # was Thai
def test_text_files_decode_in_every_encoding(scratch, text, encoding, suffix):
    path = scratch / f"doc{suffix}"
    path.write_bytes(text.encode(encoding))
    assert load_text(path) == text.replace("\r\n", "\n").replace("\r", "\n")


@PROPS
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=100).map(str.encode)),
       suffix=st.sampled_from([".txt", ".md", ".html", ".htm", ".docx", ".pdf"]))
def test_any_bytes_are_text_or_unreadable(scratch, data, suffix):
    path = scratch / f"noise{suffix}"
    path.write_bytes(data)
    try:
        text = load_text(path)
    except UnreadableFileError as err:
        assert path.name in str(err)
    else:
        assert isinstance(text, str) and text.strip() and "\x00" not in text


PRINTABLE = st.characters(categories=("L", "N", "P", "S", "Zs"))
TAGS = st.sampled_from(["p", "div", "li", "td", "span", "b", "h2", "pre", "blockquote"])


@st.composite
def pages(draw) -> tuple[list[tuple[str, str]], str, bool]:
    """Blocks of text in an encoding, declared or not. Undeclared GB18030 holds Chinese prose: random letters
    from all of Unicode (rare hanzi, Latin-1 signs) are not what a GBK page holds, and no detector reads them."""
    encoding, declared = draw(st.sampled_from(["utf-8", "gb18030"])), draw(st.booleans())
    words = st.one_of(PARA, NAME) if encoding == "gb18030" and not declared else \
        st.one_of(PARA, NAME, st.text(PRINTABLE, min_size=1, max_size=30))
    return draw(st.lists(st.tuples(TAGS, words), min_size=1, max_size=12)), encoding, declared


@settings(PROPS, max_examples=120)
@given(page=pages())
def test_html_keeps_every_block_and_drops_scripts(scratch, page):
    blocks, encoding, declared = page
    body = "".join(f"<{tag}>{html.escape(words)}</{tag}>" for tag, words in blocks)
    meta = f'<meta charset="{encoding}">' if declared else ""
    page = f"<html><head>{meta}<title>页面</title></head><body>{body}<script>alert('忽略我')</script></body></html>"
    path = scratch / "page.html"
    try:
        path.write_bytes(page.encode(encoding))
    except UnicodeEncodeError:  # characters the encoding cannot hold
        return
    try:
        text = load_text(path)
    except UnreadableFileError:
        assert not "".join(w for _, w in blocks).strip()  # only when nothing is there to read
        return
    for _, words in blocks:
        assert _flat(words) in _flat(text)
    assert "忽略我" not in text

