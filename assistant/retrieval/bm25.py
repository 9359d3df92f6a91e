"""BM25 over term counts kept as sparse postings, so documents can be added and removed without indexing the
rest again (a one-document change at 30× the corpus: bm25s re-indexes 57,000 chunks in 3.7 s; this keeps the
other rows and rebuilds the column index in a fraction of a second).

Scoring is Lucene's BM25 — idf = ln(1 + (N − df + 0.5) / (df + 0.5)), tf part = tf / (tf + k1·(1 − b +
b·dl/avgdl)) — computed at query time from the counts, so the corpus-wide statistics are always current.
A query token given twice counts twice, as in bm25s.

The counts are held twice as plain arrays, row-major (per document: what a change keeps) and column-major (per
term: what a query reads). scipy.sparse builds and changes them; a snapshot read from disk holds both already,
so a start never imports scipy (0.25 s of a 2 s start).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

K1, B = 1.5, 0.75


class Postings(NamedTuple):
    """A compressed sparse matrix's three arrays: `indptr[i]:indptr[i+1]` are line i's `indices` and `data`."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    def line_sums(self) -> np.ndarray:
        totals = np.concatenate(([0.0], np.cumsum(self.data, dtype=np.float64)))
        return (totals[self.indptr[1:]] - totals[self.indptr[:-1]]).astype(np.float32)


@dataclass
class BM25:
    vocab: dict[str, int]  # term → column
    rows: Postings  # per document: term columns and frequencies
    columns: Postings  # per term: documents and frequencies
    norm: np.ndarray  # per document: k1·(1 − b + b·dl/avgdl)

    @classmethod
    def build(cls, documents: Iterable[list[str]]) -> BM25:
        vocab: dict[str, int] = {}
        return cls.from_counts(vocab, _counts(documents, vocab))

    @classmethod
    def from_counts(cls, vocab: dict[str, int], counts: sparse.csr_matrix) -> BM25:
        counts = counts.astype(np.float32)
        counts.resize((counts.shape[0], len(vocab)))
        by_term = counts.tocsc()
        return cls.from_postings(vocab, Postings(counts.indptr, counts.indices, counts.data),
                                 Postings(by_term.indptr, by_term.indices, by_term.data))

    @classmethod
    def from_postings(cls, vocab: dict[str, int], rows: Postings, columns: Postings) -> BM25:
        lengths = rows.line_sums()
        norm = K1 * (1 - B + B * lengths / max(float(lengths.mean()) if len(lengths) else 0.0, 1e-9))
        return cls(vocab, rows, columns, norm.astype(np.float32))

    @property
    def size(self) -> int:
        return len(self.rows.indptr) - 1

    def changed(self, keep: np.ndarray, added: Iterable[list[str]]) -> BM25:
        """A new index: the rows where `keep` is true, in order, then the added documents (this one unchanged)."""
        from scipy import sparse

        vocab = dict(self.vocab)
        new = _counts(added, vocab)
        rows = self.rows
        kept = sparse.csr_matrix((rows.data, rows.indices, rows.indptr), shape=(self.size, len(self.vocab)))
        kept = kept[np.flatnonzero(keep)]
        kept.resize((kept.shape[0], len(vocab)))
        new.resize((new.shape[0], len(vocab)))
        return BM25.from_counts(vocab, sparse.vstack([kept, new], format="csr"))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """The BM25 score of every document for the query tokens (terms the corpus lacks add nothing)."""
        out = np.zeros(self.size, dtype=np.float32)
        columns = [self.vocab[t] for t in tokens if t in self.vocab]
        if not columns or not self.size:
            return out
        n, by_term = self.size, self.columns
        for column in columns:
            start, end = by_term.indptr[column], by_term.indptr[column + 1]
            rows, tf = by_term.indices[start:end], by_term.data[start:end]
            df = end - start
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
            out[rows] += idf * tf / (tf + self.norm[rows])
        return out

    def df(self, term: str) -> int:
        """Documents holding the term."""
        column = self.vocab.get(term)
        return 0 if column is None else int(self.columns.indptr[column + 1] - self.columns.indptr[column])

    def document_frequency(self) -> dict[str, int]:
        """term → documents holding it."""
        df = np.diff(self.columns.indptr)
        return {t: int(df[c]) for t, c in self.vocab.items() if df[c]}

    def arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays to save (with `terms()`), no pickle."""
        return {"bm25_data": self.rows.data, "bm25_indices": self.rows.indices, "bm25_indptr": self.rows.indptr,
                "bm25_term_data": self.columns.data, "bm25_term_indices": self.columns.indices,
                "bm25_term_indptr": self.columns.indptr}

    def terms(self) -> list[str]:
        return sorted(self.vocab, key=self.vocab.__getitem__)

    @classmethod
    def from_arrays(cls, terms: list[str], arrays) -> BM25:
        rows = Postings(arrays["bm25_indptr"], arrays["bm25_indices"], arrays["bm25_data"])
        columns = Postings(arrays["bm25_term_indptr"], arrays["bm25_term_indices"], arrays["bm25_term_data"])
        if len(columns.indptr) != len(terms) + 1 or len(rows.data) != len(columns.data):
            raise ValueError("BM25 terms do not match its counts")
        return cls.from_postings({t: i for i, t in enumerate(terms)}, rows, columns)


def _counts(documents: Iterable[list[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
    """Term-frequency rows of the documents; new terms get the next columns of `vocab`."""
    from scipy import sparse

    indptr, indices = [0], []
    for tokens in documents:
        for token in tokens:
            column = vocab.get(token)
            if column is None:
                column = vocab[token] = len(vocab)
            indices.append(column)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix((data, np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
                               shape=(len(indptr) - 1, max(len(vocab), 1)))
    matrix.sum_duplicates()  # repeated tokens of a document become its term frequency
    return matrix
