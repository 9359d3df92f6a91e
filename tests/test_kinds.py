"""Kind detection on formats nobody here wrote: laws and State Council regulations of ../shared/scale-corpus
(`# 标题`, an adoption line, `<!-- INFO END -->`, `## 第X章`, paragraphs `第X条 …`; a few without chapters,
some older ones numbered 一、 instead of 第X条), with the kinds of the shared corpus left as they were.

Parse only, no embedding: the sample of the scale corpus takes a few seconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.ingest.catalog import Catalog
from assistant.ingest.chunking import chunk_document
from assistant.ingest.cleaning import clean_lines
from assistant.ingest.markers import CN_DIGITS
from assistant.ingest.pipeline import discover
from assistant.ingest.structure import detect_kind, parse_document
from assistant.loaders import load_text

CAP = 600
# an article starts a line of the body: 第, a Chinese numeral, 条 (the corpus follows it with a space; any
# other character after 条 would still count here, so a reference like 第三条规定的 at a line start fails)
ARTICLE_LINE = re.compile(rf"^第[{CN_DIGITS}]+条")


def _kind(raw: str, name: str = "") -> str:
    return detect_kind(clean_lines(raw), name)


def test_articles_under_a_detailed_rules_title_are_a_regulation():
    raw = ("水路货物运输合同实施细则\n第一章 总则\n第一条 为了规范水路货物运输合同，制定本细则。\n"
           "第二条 本细则适用于沿海、江河的货物运输。\n第二章 附则\n第三条 本细则自发布之日起施行。")
    assert _kind(raw) == "regulation"
    assert _kind(raw.replace("第一章 总则\n", "").replace("第二章 附则\n", "")) == "regulation"  # no chapters


def test_mostly_articles_make_a_regulation_whatever_the_title():
    raw = ("某某单位工作要求\n为做好工作，提出如下要求。\n第一条 按时上报统计数据，不得迟报漏报。\n"
           "第二条 严格执行值班制度，保持通讯畅通。\n第三条 发现问题及时报告，不得隐瞒。\n第四条 本要求自印发之日起执行。")
    assert _kind(raw) == "regulation"


def test_a_few_articles_under_a_long_preamble_and_no_form_title_stay_a_policy():
    """The shape of 中国共产党廉洁自律准则 (a policy in the shared catalog): 8 one-line norms, 57 % of the text."""
    preamble = "全体党员和各级党员领导干部必须坚定理想信念，必须坚持全心全意为人民服务根本宗旨，继承发扬优良传统和作风，" * 2
    raw = f"某某自律准则\n{preamble}\n" + "\n".join(f"第{n}条 坚持公私分明，克己奉公。" for n in "一二三四")
    assert _kind(raw) == "policy"


@pytest.mark.parametrize("title", ["地方口岸管理机构职责范围暂行规定", "国务院关于开展全民义务植树运动的实施办法",
                                   "加强对外合作出版管理的暂行规定（试行）"])
def test_a_regulation_numbered_without_articles(title):
    """Older State Council regulations number their provisions 一、二、: still a regulation, and each provision
    is still a unit of its own (as a policy's measures are)."""
    raw = (f"{title}\n为了加强管理，现作如下规定：\n一、各地区应当设立管理机构，负责日常工作。\n"
           "二、管理机构应当制定工作计划，报上级备案。\n（一）年度计划于每年一月报送。\n三、本规定自发布之日起施行。")
    assert _kind(raw) == "regulation"
    sections = [c.section for c in chunk_document(parse_document(raw), "d.md", "", CAP)]
    assert sections == [c.section for c in chunk_document(parse_document(raw, kind="policy"), "d.md", "", CAP)]
    assert len(sections) == 5 and sections[1].startswith("一、各地区应当设立管理机构")


@pytest.mark.parametrize("title", ["关于做好口岸开放工作的通知", "重新组建仲裁机构方案", "中共中央关于加强党的建设的决定"])
def test_notices_plans_and_decisions_without_articles_stay_policies(title):
    raw = f"{title}\n一、统一思想认识，加强组织领导。\n二、明确工作任务，落实工作责任。\n三、加强督促检查，确保取得实效。"
    assert _kind(raw) == "policy"


def test_shared_corpus_kinds_unchanged_without_the_catalog(shared_corpus: Path):
    """detect_kind alone gives every file of ../shared/corpus the kind its catalog states."""
    catalog = Catalog.load(shared_corpus)
    sources, _ = discover([shared_corpus])
    got = {s.doc_id: _kind(load_text(s.path), s.path.stem) for s in sources}
    assert got == {s.doc_id: catalog.get(s.doc_id).kind for s in sources}


def _scale_sample(shared_dir: Path) -> list[Path]:
    root = shared_dir / "scale-corpus"
    if not root.is_dir():
        pytest.skip(f"需要 {root}")
    files = sorted((p for p in root.rglob("*.md") if p.name != "README.md"), key=lambda p: p.relative_to(root).as_posix())
    assert len(files) == 801
    return files[::10]  # 81 files, the same every run


def test_scale_corpus_sample_articles_and_kinds(shared_dir: Path):
    """Every 10th file of the scale corpus: the kind is `regulation`, and article coverage is 100 %: the
    body's lines that start with 第X条 (after `<!-- INFO END -->`), in order, are exactly the starts of the
    article chunks (piece 0, `article` = that 第X条, text beginning with that line: its first 30 characters,
    or all of it when shorter)."""
    kinds, missed, articles = {}, {}, 0
    for path in _scale_sample(shared_dir):
        raw = load_text(path)
        body = raw.split("<!-- INFO END -->", 1)[1]
        starts = [line.strip() for line in body.splitlines() if ARTICLE_LINE.match(line.strip())]
        parsed = parse_document(raw, name=path.stem)
        kinds[path.name] = parsed.kind
        heads = [c for c in chunk_document(parsed, path.name, "", CAP) if c.article and c.piece == 0]
        want = [(ARTICLE_LINE.match(line).group(0), line[:30]) for line in starts]
        got = [(c.article, c.text[:len(w[1])]) for c, w in zip(heads, want)] + [(c.article, c.text[:30]) for c in heads[len(want):]]
        articles += len(want)
        if got != want:
            missed[path.name] = (len(want), len(got), next((w, g) for w, g in zip(want + [None], got + [None]) if w != g))
    assert not missed, missed
    assert articles > 3000  # the sample holds articles to cover (3,253 in 81 files)
    assert {name: kind for name, kind in kinds.items() if kind != "regulation"} == {}
