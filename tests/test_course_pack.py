"""Course packs: structure, exact quotations, Markdown and Word output, bad input over real HTTP, the CLI,
the optional LLM introduction; over ../shared (slow): the 容错纠错 and 党纪处分影响期 packs, every
quotation checked against its source file, and the Word file rendered by LibreOffice when installed."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import docx
import httpx
import pytest
from docx.oxml.ns import qn
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.components import Components
from assistant.course import CoursePack, CoursePackBuilder
from assistant.course.cases import case_questions, summarize_case
from assistant.course.docx import render_docx
from assistant.course.llm import UNAVAILABLE, parse
from assistant.course.markdown import render_markdown
from assistant.course.terms import find_definition, load_terms
from assistant.errors import TopicNotCoveredError
from assistant.ingest.cleaning import clean_lines, cleaned_text
from assistant.loaders import load_text
from assistant.retrieval.hybrid import Filters
from assistant.types import Chunk, Hit
from tests.llm_stub import closed_url, running_stub
from tests.servers import running_app

SEED_TOPIC = "被问责处分干部"
OFF_TOPIC = "住房公积金提取"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NEW, OLD = "regulations/jilv-chufen-tiaoli-2023.md", "regulations/jilv-chufen-tiaoli-2018.md"
THREE_DISTINCTIONS = "同明知故犯的违纪违法行为区分开来"


def chunk(cid: str, text: str, **fields) -> Chunk:
    base = dict(id=cid, doc_id=f"{cid}.md", title="某规定", doc_title="某规定", kind="regulation",
                status="in_force", section="", text=text, start=0, end=len(text))
    return Chunk(**{**base, **fields})


def check_quotes(pack: CoursePack, by_id: dict[str, Chunk]) -> None:
    """Every quotation is an exact slice of the chunk its source number points at; numbers run 1..N."""
    assert [s.n for s in pack.sources] == list(range(1, len(pack.sources) + 1))
    for quote in pack.quotes():
        source = pack.source(quote.source)
        assert quote.text and quote.text in by_id[source.chunk_id].text
    for question in pack.questions:
        assert question.sources and all(1 <= n <= len(pack.sources) for n in question.sources)


# --- over the seed corpus with the fake embedder ---------------------------------------------------------


@pytest.fixture(scope="module")
def seed_builder(seed_fake_settings) -> CoursePackBuilder:
    return Components.load(seed_fake_settings).course()


@pytest.fixture(scope="module")
def seed_pack(seed_builder) -> CoursePack:
    return seed_builder.build(SEED_TOPIC)


def test_seed_pack_quotes_in_force_provisions_exactly(seed_builder, seed_pack):
    assert seed_pack.groups and seed_pack.provision_count <= 20
    assert all(g.status == "in_force" and g.provisions for g in seed_pack.groups)
    assert seed_pack.groups[0].doc_number == "陕组发〔2020〕1号"
    check_quotes(seed_pack, {c.id: c for c in seed_builder.retriever.chunks})
    assert seed_pack.questions  # without cases: one question on the provisions
    assert seed_pack.introduction == [] and seed_pack.notice is None  # no LLM configured


def test_max_provisions_and_refusal(seed_builder):
    assert seed_builder.build(SEED_TOPIC, max_provisions=1).provision_count == 1
    with pytest.raises(TopicNotCoveredError, match="住房公积金提取"):
        seed_builder.build(OFF_TOPIC)


def test_markdown_has_numbered_sections_quotes_and_sources(seed_pack):
    text = render_markdown(seed_pack)
    assert text.startswith(f"# 课程讲义：{SEED_TOPIC}")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[0].startswith("一、重点条文") and headings[-1].endswith("、资料来源")
    for quote in seed_pack.quotes():
        for line in quote.text.split("\n"):
            assert f"> {line}" in text
        assert f"[{quote.source}]" in text
    for source in seed_pack.sources:
        assert f"- [{source.n}] 《{source.title}》" in text


def _east_asia(style) -> str:
    return style.element.rPr.rFonts.get(qn("w:eastAsia"))


def test_docx_opens_with_chinese_styles(seed_pack):
    document = docx.Document(io.BytesIO(render_docx(seed_pack)))
    styles = document.styles
    assert _east_asia(styles["Normal"]) == "仿宋" and styles["Normal"].font.name == "仿宋"
    assert _east_asia(styles["Heading 1"]) == "黑体" and styles["Heading 2"].font.name == "黑体"
    assert styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsiaTheme")) is None  # no theme font overriding
    assert _east_asia(styles["引文"]) == "楷体" and styles["引文"].paragraph_format.left_indent > 0
    assert document.core_properties.title == f"课程讲义：{SEED_TOPIC}"
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == f"课程讲义：{SEED_TOPIC}"
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "一、重点条文" and headings[-1].endswith("、资料来源")
    quoted = "\n".join(p.text for p in document.paragraphs if p.style.name == "引文")
    for quote in seed_pack.quotes():
        assert all(line in quoted for line in quote.text.split("\n"))
    table = document.tables[-1]
    assert len(table.rows) == len(seed_pack.sources) + 1 and table.rows[1].cells[0].text == "[1]"


@pytest.mark.skipif(not shutil.which("soffice"), reason="需要 LibreOffice（.ci/run 会安装 libreoffice-writer-nogui）")
def test_libreoffice_renders_the_docx(seed_pack, tmp_path):
    from pypdf import PdfReader

    source = tmp_path / "讲义.docx"
    source.write_bytes(render_docx(seed_pack))
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "讲义.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 1
    assert "课程讲义" in reader.pages[0].extract_text().replace(" ", "")


# --- parts on hand-made passages -------------------------------------------------------------------------


def _case_chunks() -> list[Chunk]:
    facts = ("【基本案情及处理结果】\n李某，中共党员，某县副县长。2020年，李某为加快项目进度，经集体研究采用抽签方式"
             "确定施工单位。2021年，有群众举报。考虑到李某没有谋取私利，县纪委监委决定对李某进行谈话提醒。李某随后废止了上述做法。")
    meaning = "【指导意义】\n1.精准把握容错纠错\n从本案来看，李某的错误属于为推动发展的无意过失，可予以容错。容错纠错侧重激励。"
    common = dict(title="对李某予以容错免责案", doc_title="某案例汇编", kind="case", case_no="第1号", doc_id="cases.txt")
    return [chunk("c1", facts, part_label="基本案情及处理结果", **common),
            chunk("c2", meaning, part_label="指导意义", **{**common, "start": 500})]


def test_case_summary_quotes_facts_outcome_and_reasons():
    numbers: dict[str, int] = {}
    case = summarize_case("对李某予以容错免责案", _case_chunks(), lambda c: numbers.setdefault(c.id, len(numbers) + 1))
    assert [q.text for q in case.facts] == ["李某，中共党员，某县副县长。2020年，李某为加快项目进度，经集体研究采用抽签方式"
                                            "确定施工单位。2021年，有群众举报。"]
    assert [q.text for q in case.outcome] == ["考虑到李某没有谋取私利，县纪委监委决定对李某进行谈话提醒。"]
    assert [q.text for q in case.reasons] == ["从本案来看，李某的错误属于为推动发展的无意过失，可予以容错。"]
    assert case.sources == [1, 2]
    questions = case_questions(case, "容错纠错", [7])
    assert questions[0].text == "李某案中，哪些因素使李某的错误属于可以容错的情形？" and questions[0].sources == (1, 2)
    assert 7 in questions[1].sources


def test_term_definition_prefers_in_force_regulation_that_says_what_it_is():
    spec = next(s for s in load_terms() if s.term == "主动交代")
    old = chunk("old", "第三十八条　本条例所称主动交代，是指旧的说法。", status="superseded")
    case = chunk("case", "本案中，王某主动交代了问题。", kind="case")
    new = chunk("new", "第四十条 本条例所称主动交代，是指涉嫌违纪的党员在初步核实前交代自己的问题。另一句。")
    found, start, end = find_definition(spec, [old, case, new], {}, set())
    assert found.id == "new" and new.text[start:end] == "第四十条 本条例所称主动交代，是指涉嫌违纪的党员在初步核实前交代自己的问题。"
    enumeration = chunk("enum", "第八条 对党员的纪律处分种类：\n（一）警告；\n（二）严重警告。\n第九条 另一条。")
    spec = next(s for s in load_terms() if s.term == "党纪处分")
    found, start, end = find_definition(spec, [enumeration], {}, set())
    assert enumeration.text[start:end] == "第八条 对党员的纪律处分种类：\n（一）警告；\n（二）严重警告。"


class _StubRetriever:
    """Search by shared words, in list order: enough to drive the builder over hand-made passages."""

    def __init__(self, chunks: list[Chunk], tokenizer):
        self.chunks, self.tokenizer = chunks, tokenizer

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        words = [w for w in self.tokenizer.query_tokens(query) if len(w) >= 2]
        found = [c for c in self.chunks if (filters or Filters()).allows(c) and any(w in c.text for w in words)]
        return [Hit(c, 1.0 / n, 0.0, 1.0, n, n) for n, c in enumerate(found[:k], 1)]


def test_superseded_text_only_when_no_in_force_text_says_the_same(shared_tokenizer, seed_fake_settings):
    same = "党员在党纪处分影响期内又受到党纪处分的，其影响期为原处分尚未执行的影响期与新处分影响期之和。"
    new = chunk("new", f"第二十一条 {same}", doc_id="new.md", title="纪律处分条例", article="第二十一条")
    old = chunk("old", f"第二十条　{same}", doc_id="old.md", title="纪律处分条例（旧）", article="第二十条",
                status="superseded", superseded_by="new.md", start=100, end=100 + len(same) + 4)
    only_old = chunk("only", "第三十条　受处分党员在党纪处分影响期满后，由党组织作出评价。", doc_id="old.md",
                     title="纪律处分条例（旧）", article="第三十条", status="superseded", superseded_by="new.md",
                     start=300)
    retriever = _StubRetriever([old, only_old, new], shared_tokenizer)
    pack = CoursePackBuilder(retriever, shared_tokenizer, seed_fake_settings.answer_top_k,
                             seed_fake_settings.refuse_threshold).build("党纪处分影响期")
    assert [g.doc_id for g in pack.groups] == ["new.md", "old.md"]  # in force first
    assert [p.quote.text for p in pack.groups[1].provisions] == [only_old.text]
    assert pack.groups[1].superseded and pack.groups[1].successor == "纪律处分条例"
    text = render_markdown(pack)
    assert "《纪律处分条例（旧）》【已被替代】" in text and "已被《纪律处分条例》替代" in text
    assert old.text not in text


# --- the optional LLM introduction -----------------------------------------------------------------------


def test_llm_reply_keeps_only_cited_sentences():
    intro, points, dropped = parse("【引言】\n容错纠错重在激励[1][2]。没有依据的一句话。\n【学习要点】\n"
                                   "1. 把握容错的条件[3]。\n2. 编造的编号[99]。", limit=5)
    assert [(p.text, p.sources) for p in intro] == [("容错纠错重在激励。", (1, 2))]
    assert [(p.text, p.sources) for p in points] == [("把握容错的条件。", (3,))]
    assert dropped == 2


def test_llm_introduction_over_http_and_fallback(seed_fake_settings):
    with running_stub("ok") as (url, state):
        settings = seed_fake_settings.model_copy(update={"llm_base_url": url, "llm_model": "stub", "llm_timeout": 5})
        pack = Components.load(settings).course().build(SEED_TOPIC)
    assert state.requests and pack.introduction and all(p.sources == (1,) for p in pack.introduction)
    assert "1 句没有有效引用" in pack.notice
    assert "## 一、引言与学习要点" in render_markdown(pack) and "[1]" in render_markdown(pack).split("## 二、")[0]
    document = docx.Document(io.BytesIO(render_docx(pack)))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"][0] == "一、引言与学习要点"
    settings = seed_fake_settings.model_copy(update={"llm_base_url": closed_url(), "llm_timeout": 2})
    fallback = Components.load(settings).course().build(SEED_TOPIC)
    assert fallback.notice == UNAVAILABLE and fallback.introduction == [] and fallback.groups


# --- HTTP and CLI ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_url(seed_fake_settings):
    with running_app(seed_fake_settings) as url:
        yield url


def test_api_markdown_and_docx(seed_url):
    body = httpx.post(f"{seed_url}/api/course-pack", json={"topic": SEED_TOPIC}, timeout=60).json()
    assert set(body) == {"topic", "markdown", "pack"} and body["topic"] == SEED_TOPIC
    assert body["markdown"].startswith(f"# 课程讲义：{SEED_TOPIC}")
    assert body["pack"]["groups"][0]["provisions"][0]["quote"]["source"] == 1
    assert body["pack"]["sources"][0]["label"].startswith("《")
    r = httpx.post(f"{seed_url}/api/course-pack", json={"topic": SEED_TOPIC, "format": "docx",
                                                         "include_cases": False, "max_provisions": 3}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == DOCX_TYPE
    assert "filename*=UTF-8''%E8%A2%AB%E9%97%AE%E8%B4%A3" in r.headers["content-disposition"]
    document = docx.Document(io.BytesIO(r.content))
    assert document.paragraphs[0].text == f"课程讲义：{SEED_TOPIC}"


@pytest.mark.parametrize(("payload", "status", "message"), [
    ({"topic": "   "}, 422, "主题不能为空"),
    ({"topic": "容" * 201}, 422, "主题过长"),
    ({"topic": SEED_TOPIC, "format": "pdf"}, 422, "只支持 markdown 或 docx"),
    ({"topic": SEED_TOPIC, "max_provisions": 0}, 422, "max_provisions：应在 1 到 60 之间"),
    ({"topic": SEED_TOPIC, "max_provisions": 61}, 422, "max_provisions：应在 1 到 60 之间"),
    ({}, 422, "缺少必填字段"),
    ({"topic": OFF_TOPIC}, 404, "知识库中没有找到与「住房公积金提取」直接相关"),
])
def test_api_bad_input_gets_a_chinese_message(seed_url, payload, status, message):
    r = httpx.post(f"{seed_url}/api/course-pack", json=payload, timeout=60)
    assert r.status_code == status and message in r.json()["detail"]


def test_cli_writes_the_file(seed_fake_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(seed_fake_settings.embedding_cache))
    monkeypatch.setenv("ASSISTANT_REFUSE_THRESHOLD", "0.3")
    monkeypatch.chdir(tmp_path)
    index = str(seed_fake_settings.index_dir)
    runner = CliRunner()
    result = runner.invoke(cli, ["course-pack", SEED_TOPIC, "--format", "docx", "-o", "讲义.docx", "--index-dir", index])
    assert result.exit_code == 0, result.output
    assert "已生成讲义 讲义.docx" in result.output.replace("\n", "")
    assert docx.Document(str(tmp_path / "讲义.docx")).core_properties.title == f"课程讲义：{SEED_TOPIC}"
    default = runner.invoke(cli, ["course-pack", SEED_TOPIC, "--no-cases", "--index-dir", index])
    assert default.exit_code == 0 and (tmp_path / f"{SEED_TOPIC}.md").read_text(encoding="utf-8").startswith("# 课程讲义")
    refused = runner.invoke(cli, ["course-pack", OFF_TOPIC, "--index-dir", index])
    assert refused.exit_code == 1 and "知识库中没有找到" in refused.output
    wrong = runner.invoke(cli, ["course-pack", SEED_TOPIC, "--format", "pdf", "--index-dir", index])
    assert wrong.exit_code == 1 and "只支持 markdown 或 docx" in wrong.output


# --- over ../shared/corpus with the real embedder --------------------------------------------------------


@pytest.fixture(scope="module")
def shared_builder(shared_index) -> CoursePackBuilder:
    return Components.load(shared_index).course()


@pytest.fixture(scope="module")
def tolerance_pack(shared_builder) -> CoursePack:
    return shared_builder.build("容错纠错")


@pytest.fixture(scope="module")
def influence_pack(shared_builder) -> CoursePack:
    return shared_builder.build("党纪处分影响期")


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
@pytest.mark.shared
def test_every_quotation_is_verbatim_in_its_source_file(tolerance_pack, influence_pack, shared_corpus):
    """Each quotation is an exact slice of the cleaned source at the chunk's offsets, and (whitespace aside)
    a passage of the file as published."""
    for pack in (tolerance_pack, influence_pack):
        assert len(pack.quotes()) >= 8
        for quote in pack.quotes():
            source = pack.source(quote.source)
            raw = load_text(shared_corpus / source.doc_id)
            cleaned = cleaned_text(clean_lines(raw))
            assert quote.text in cleaned[source.start:source.end], (source.doc_id, quote.text[:40])
            assert _plain(quote.text) in _plain(raw), (source.doc_id, quote.text[:40])


@pytest.mark.slow
@pytest.mark.shared
def test_tolerance_pack_has_the_three_distinctions_and_the_lin_case(tolerance_pack):
    pack = tolerance_pack
    assert any(THREE_DISTINCTIONS in q.text for q in pack.quotes())
    term = next(t for t in pack.terms if t.term == "三个区分开来")
    assert THREE_DISTINCTIONS in term.definition.text and "三个区分开来" in term.definition.text
    lin = next(c for c in pack.cases if "林某" in c.title)
    assert lin.facts and lin.outcome and lin.reasons
    assert "谈话提醒" in "".join(q.text for q in lin.outcome)
    assert "可予以容错" in "".join(q.text for q in lin.reasons)
    question = next(q for q in pack.questions if q.text.startswith("林某案中"))
    assert set(lin.sources) <= set(question.sources)
    assert all(g.status == "in_force" for g in pack.groups)


@pytest.mark.slow
@pytest.mark.shared
def test_influence_period_pack_quotes_the_2023_articles_not_the_2018_text(influence_pack):
    pack = influence_pack
    current = next(g for g in pack.groups if g.doc_id == NEW)
    articles = {pack.source(p.quote.source).article for p in current.provisions if "影响期" in p.quote.text}
    assert {"第二十一条", "第四十六条"} <= articles
    assert pack.groups[0].doc_id == NEW
    for group in pack.groups:
        if group.doc_id == OLD:
            assert group.superseded and group.successor == "中国共产党纪律处分条例"
    assert all(s.status == "superseded" for s in pack.sources if s.doc_id == OLD)
    text = render_markdown(pack)
    assert "《中国共产党纪律处分条例（2018年修订）》" not in text or "【已被替代】" in text


@pytest.mark.slow
@pytest.mark.shared
def test_shared_docx_opens(tolerance_pack, shared_builder):
    document = docx.Document(io.BytesIO(render_docx(tolerance_pack)))
    full = "\n".join(p.text for p in document.paragraphs)
    assert "对林某予以容错免责案" in full and THREE_DISTINCTIONS in full
    with pytest.raises(TopicNotCoveredError):
        shared_builder.build(OFF_TOPIC)
