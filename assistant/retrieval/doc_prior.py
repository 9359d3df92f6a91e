"""Which document a question is about, learned from the questions already answered (question_bank.py).

A multinomial logistic regression over the question's vector says how likely each document of the knowledge
base is to hold the answer: fitted on the banked questions this index answers (labelled with the documents of
their passages) and, with a small weight, on every passage's own vector (labelled with its document), so a
document no banked question asked about still has a class and new documents join at the next snapshot.
Classes are balanced: the prior says what a question is about, not how often people ask about a document (an
unbalanced fit demoted the rarely asked documents: dev R@1 35 → 33).

A fused score is multiplied by (p + floor) ** weight: a document the question is unlikely to be about ranks
lower, never out. Measured leave-set-out on seven question sets (each scored with a prior fitted without its own
questions; docs/benchmarks.md): R@1 summed 282 → 287 of 456, R@5 378 → 385, no set lower.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PASSAGE_WEIGHT = 0.1  # a passage's vector against a banked question's, in the fit
C = 10.0  # inverse regularisation of the fit (10 and 30 read alike; 3 a little lower)


@dataclass(frozen=True)
class DocPrior:
    """The fitted model (scikit-learn's LogisticRegression: classes are the document ids)."""

    model: Any

    @classmethod
    def fit(cls, question_vectors: np.ndarray, question_docs: Sequence[Sequence[str]],
            passage_vectors: np.ndarray, passage_docs: Sequence[str]) -> DocPrior | None:
        """From the banked questions (each with the documents of its passages, weighed 1/n each) and the
        passages; None with fewer than two documents."""
        from sklearn.linear_model import LogisticRegression  # ~1 s to import: only when a bank applies

        rows = [i for i, docs in enumerate(question_docs) for _ in docs]
        labels = [d for docs in question_docs for d in docs]
        weights = [1.0 / len(docs) for docs in question_docs for _ in docs]
        x = np.vstack([question_vectors[rows].reshape(len(rows), -1), passage_vectors]) if rows else passage_vectors
        y = np.array(labels + list(passage_docs), dtype=object)
        if len(set(y.tolist())) < 2:
            return None
        w = np.array(weights + [PASSAGE_WEIGHT] * len(passage_docs))
        return cls(LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(x, y, sample_weight=w))

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        """Document → the probability that the question is about it."""
        p = self.model.predict_proba(np.asarray(vector, dtype=np.float64).reshape(1, -1))[0]
        return dict(zip(self.model.classes_.tolist(), p.tolist()))
