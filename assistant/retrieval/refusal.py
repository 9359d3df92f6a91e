"""Whether the knowledge base answers a question: a fitted decision where the embedder has one, the plain
rule of confidence.py otherwise.

The fitted decision is a logistic regression over question-level signals (below), fitted on real questions
— answerable ones with gold passages and near-domain ones the corpus has no rule on (pay, leave, housing
fund, titles, elections …) — by `python -m bench fit-refusal`, which also chooses the threshold on
out-of-fold predictions and prints the precision/recall curve. Its weights and threshold are data
(resources/refusal-<model>.json) and hold only for the embedder they were fitted with: cosines of another
model live on another scale.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources

import numpy as np

from assistant.retrieval.confidence import confidence, names_unknown_document
from assistant.retrieval.hybrid import Retrieval
from assistant.types import Hit

SIGNALS = ("top_sentence", "top_chunk", "chunk_spread", "covered_by_first", "covered_by_three",
           "uncovered_rarity", "words", "unknown_document", "bank_margin")
RULE_THRESHOLD = 0.40  # the rule's calibration (confidence.py)
TOP = 3


def signals(found: Retrieval, hits: list[Hit], known_aliases: Collection[str]) -> dict[str, float | None]:
    """The question-level signals: how close the best sentence and chunk of the whole index come, how flat
    the top is, how much of the question (rarer words weighing more) the first and the first three passages
    say, how rare the rarest word they do not say is, how many content words it has, whether it names a
    document the index lacks, and whether it comes closer to banked questions answered here or to ones known
    to have no rule (question_bank.py; None where the bank does not apply)."""
    words = found.query.words
    total = sum(words.values()) or 1.0
    first = _text(hits[:1])
    three = _text(hits[:TOP])
    uncovered = [w for w in words if w not in three]
    return {"top_sentence": found.top_sentence, "top_chunk": found.top_chunk, "chunk_spread": found.chunk_spread,
            "covered_by_first": sum(v for w, v in words.items() if w in first) / total,
            "covered_by_three": sum(v for w, v in words.items() if w in three) / total,
            "uncovered_rarity": max((words[w] for w in uncovered), default=0.0),
            "words": float(len(words)),
            "unknown_document": float(names_unknown_document(found.query.text, known_aliases)),
            "bank_margin": found.bank_margin}


def _text(hits: list[Hit]) -> str:
    return "".join(f"{h.chunk.title}{h.chunk.section}{h.chunk.text}" for h in hits)


@dataclass(frozen=True)
class RefusalModel:
    embedder: str
    means: np.ndarray
    scales: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float  # refuse below this confidence (1 − the probability of "unanswerable")

    @classmethod
    def load(cls, embedder: str) -> RefusalModel | None:
        """The model fitted for this embedder, or None when there is none."""
        path = resources.files("assistant.resources") / resource_name(embedder)
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        absent = {"mean": 0.0, "scale": 1.0, "weight": 0.0}  # a signal the model was fitted without counts for nothing
        rows = [data["signals"].get(name, absent) for name in SIGNALS]
        return cls(data["embedder"], *(np.array([r[key] for r in rows], dtype=np.float64)
                                       for key in ("mean", "scale", "weight")), float(data["bias"]),
                   float(data["threshold"]))

    def confidence(self, values: dict[str, float | None]) -> float:
        """1 − the fitted probability of "unanswerable"; a signal not available (None) counts as its mean,
        evidence neither way."""
        raw = np.array([self.means[i] if values[n] is None else values[n] for i, n in enumerate(SIGNALS)])
        x = (raw - self.means) / self.scales
        return 1.0 - 1.0 / (1.0 + math.exp(-(float(x @ self.weights) + self.bias)))


def resource_name(embedder: str) -> str:
    return "refusal-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder) + ".json"


class RefusalJudge:
    """Decides refusal for one embedder: the fitted model when there is one, the rule otherwise; an explicit
    threshold (ASSISTANT_REFUSE_THRESHOLD) overrides the calibrated one."""

    def __init__(self, embedder: str, tokenizer, threshold: float | None = None):
        self.model = RefusalModel.load(embedder)
        self.tokenizer = tokenizer
        default = self.model.threshold if self.model else RULE_THRESHOLD
        self.threshold = default if threshold is None else threshold

    def confidence(self, found: Retrieval, hits: list[Hit], known_aliases: Collection[str]) -> float:
        """How sure retrieval is that the passages answer, in [0, 1]."""
        if not hits:
            return 0.0
        if self.model is None:
            return confidence(found.query.text, hits, self.tokenizer, known_aliases)
        return round(self.model.confidence(signals(found, hits, known_aliases)), 4)

    def refuses(self, conf: float) -> bool:
        return conf < self.threshold
