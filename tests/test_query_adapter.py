"""`python -m bench query-adapter`: the adapter's fit learns a distortion between how questions and passages are
embedded, the adapted snapshot ranks as the adapted question would, and the command scores each set with an
adapter fitted on the others."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from bench.__main__ import main
from bench.query_adapter import adapted, fit_adapter
from tests.conftest import ROOT


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _questions(passages: np.ndarray, distortion: np.ndarray, rng, n: int) -> tuple[np.ndarray, list[list[int]]]:
    """Questions embedded through a fixed distortion of their gold passage, plus noise."""
    gold = rng.integers(0, len(passages), n)
    noise = 0.3 * rng.standard_normal((n, passages.shape[1]))
    return _unit(passages[gold] @ distortion + noise).astype(np.float32), [[int(g)] for g in gold]


def _r1(questions: np.ndarray, gold: list[list[int]], passages: np.ndarray) -> float:
    return float(np.mean([int(np.argmax(passages @ q)) in g for q, g in zip(questions, gold)]))


def test_the_fit_undoes_a_distortion_on_questions_it_never_saw():
    rng = np.random.default_rng(0)
    dim = 16
    passages = _unit(rng.standard_normal((60, dim))).astype(np.float32)
    distortion = np.eye(dim) + 0.8 * rng.standard_normal((dim, dim))
    train, train_gold = _questions(passages, distortion, rng, 400)
    test, test_gold = _questions(passages, distortion, rng, 200)
    a = fit_adapter(train, train_gold, passages, l2=0.001, scale=20.0, epochs=400, rate=1e-2)
    before = _r1(test, test_gold, passages)
    after = _r1(_unit(test + test @ a), test_gold, passages)
    assert after >= before + 0.2, (before, after)
    # a strong pull to the identity leaves the vectors as they were
    still = fit_adapter(train, train_gold, passages, l2=1e4, scale=20.0, epochs=50, rate=1e-2)
    assert np.abs(still).max() < 1e-3


def test_the_adapted_snapshot_ranks_as_the_adapted_question_would():
    rng = np.random.default_rng(1)
    snap = SimpleNamespace(vectors=rng.standard_normal((30, 8)).astype(np.float32),
                           sentence_vectors=rng.standard_normal((50, 8)).astype(np.float32))
    a = 0.5 * rng.standard_normal((8, 8))
    q = rng.standard_normal(8)
    changed = adapted(snap, a)
    assert changed.vectors is not snap.vectors and snap.vectors.shape == changed.vectors.shape
    assert list(np.argsort(-(changed.vectors @ q))) == list(np.argsort(-(snap.vectors @ (q + q @ a))))
    assert list(np.argsort(-(changed.sentence_vectors @ q))) == list(np.argsort(-(snap.sentence_vectors @ (q + q @ a))))


def test_one_question_set_or_a_missing_index_is_a_message(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["query-adapter", "--index-dir", str(tmp_path), "--questions", str(ROOT / "eval" / "public-qa-3.jsonl")])
    assert stop.value.code == 2 and "至少需要两个问题集" in capsys.readouterr().err
    assert main(["query-adapter", "--index-dir", str(tmp_path / "none"),
                 "--questions", str(ROOT / "eval" / "public-qa-3.jsonl"),
                 "--questions", str(ROOT / "eval" / "public-qa-4.jsonl")]) == 1
    assert "错误：索引不存在" in capsys.readouterr().err
    two = ["--questions", str(ROOT / "eval" / "public-qa-3.jsonl"), "--questions", str(ROOT / "eval" / "public-qa-4.jsonl")]
    for bad, said in ((["--bm25-factors", "1,半"], "应为逗号分隔的数字"), (["--epochs", "0"], "--epochs 至少为 1"),
                      (["--questions", str(ROOT / "eval" / "public-qa-unanswerable-5.jsonl")], "public-qa-unanswerable-5")):
        with pytest.raises(SystemExit) as stop:
            main(["query-adapter", "--index-dir", str(tmp_path), *two, *bad])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and said in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.shared
def test_each_set_is_searched_with_an_adapter_fitted_on_the_others(shared_index, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(shared_index.embedding_cache))
    files = [ROOT / "eval" / "real-heldout.jsonl", ROOT / "eval" / "public-qa-2.jsonl"]
    args = ["query-adapter", "--index-dir", str(shared_index.index_dir), "--epochs", "100", "--json"]
    assert main(args + [a for f in files for a in ("--questions", str(f))]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["set"] for r in rows] == ["real-heldout", "public-qa-2"]
    for r in rows:
        for pair in (*r["dense"].values(), *r["fused"].values()):
            assert 0 <= pair[0] <= pair[1] <= r["questions"]
        assert r["fused"]["adapted"] == r["fused"][str(r["factor"])]
