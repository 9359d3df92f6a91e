"""Fixtures shared by the test files: the ../shared corpus, fast settings, built components."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

import assistant.components
from assistant.components import Components
from assistant.embeddings.pack import PACK_FILE, VectorPack
from assistant.settings import Settings
from assistant.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parents[1]  # the project
SHARED_DIR = ROOT.parent / "shared"
SEED_CORPUS = ROOT / "tests" / "data" / "seed-corpus"  # one document: fast to index (eval/seed.jsonl asks about it)
BUNDLED_CORPUS = ROOT / "corpus"  # the public knowledge base the project ships


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared read-only data next to the project (../shared); tests that need it skip without it."""
    if not (SHARED_DIR / "corpus").is_dir():
        pytest.skip(f"需要 ../shared（共享语料不在 {SHARED_DIR}）")
    return SHARED_DIR


@pytest.fixture(scope="session")
def shared_corpus(shared_dir: Path) -> Path:
    return shared_dir / "corpus"


@pytest.fixture(scope="session")
def shared_index(shared_dir: Path, tmp_path_factory, embedding_cache) -> Settings:
    """Settings on ONE index of ../shared/corpus with the real embedder, built once per test session
    (a minute with a cold embedding cache — the vectors of all documents but one come from corpus/embeddings.npz —
    seconds with a warm one); every test over the shared corpus uses it."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("shared") / "index", embedding_cache=embedding_cache)
    parts = Components.load(settings, create=True)
    # the bundled corpus/ holds the same texts but one: its shipped vectors spare a cold cache 16 minutes of model
    parts.embeddings.use_pack(VectorPack.load(BUNDLED_CORPUS / PACK_FILE))
    report = parts.ingestor().run([shared_dir / "corpus"])
    assert report.documents == 21 and not report.skipped
    return settings


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Settings on a fresh index in tmp_path with the deterministic fake embedder (no model download)."""
    return Settings(index_dir=tmp_path / "index", embedder="fake", embedding_cache=tmp_path / "cache.sqlite")


def load_components(settings: Settings, create: bool = True) -> Components:
    """Components for the given settings; `create=True` makes the index when it does not exist yet."""
    return Components.load(settings, create=create)


@pytest.fixture
def make_components() -> Callable[..., Components]:
    """`make_components(settings, create=True)`: a fixture handle on `load_components`."""
    return load_components


@pytest.fixture
def components(fake_settings: Settings) -> Components:
    """Components on a new, empty index under tmp_path (fake embedder)."""
    return load_components(fake_settings)


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory) -> Path:
    """One embedding cache for the whole session (and across runs when ASSISTANT_TEST_CACHE is set):
    the real embedder sees each passage once, so rebuilding indexes in tests is fast."""
    import os

    folder = os.environ.get("ASSISTANT_TEST_CACHE")
    root = Path(folder) if folder else tmp_path_factory.mktemp("embedding-cache")
    root.mkdir(parents=True, exist_ok=True)
    return root / "embeddings.sqlite"


@cache
def _session_tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.fixture
def shared_tokenizer(monkeypatch) -> Tokenizer:
    """Opt-in: `Components.load` reuses one jieba tokenizer (about 1.5 s to build) instead of a new one.

    The instance is shared by every test that asks for it; `add_words` on it is visible to the others.
    """
    tokenizer = _session_tokenizer()
    monkeypatch.setattr(assistant.components, "Tokenizer", lambda *args: tokenizer)
    return tokenizer




@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory) -> Settings:
    """Settings on an index of the bundled corpus/ with the real embedder, built once per session as a new
    installation builds it: empty embedding cache, every vector from corpus/embeddings.npz (no model call)."""
    root = tmp_path_factory.mktemp("bundled")
    settings = Settings(index_dir=root / "index", embedding_cache=root / "cache.sqlite")
    report = Components.load(settings, create=True).ingestor().run([BUNDLED_CORPUS])
    assert report.documents == 20 and not report.skipped, report
    assert report.embedded <= 0.01 * (report.chunks + report.sentences), report  # as tests/test_bundled_corpus.py
    return settings


@pytest.fixture(scope="session")
def seed_fake_settings(tmp_path_factory) -> Settings:
    """An index of the sample corpus/ built once per session with the fake embedder.

    The fake embedder's cosines sit far below an e5 model's, so confidence rests on the BM25 agreement
    and word coverage signals alone: the refusal threshold is set to 0.3 here (see answer/confidence.py).
    """
    root = tmp_path_factory.mktemp("seed-fake")
    settings = Settings(index_dir=root / "index", embedder="fake", embedding_cache=root / "cache.sqlite",
                        refuse_threshold=0.3)
    Components.load(settings, create=True).ingestor().run([SEED_CORPUS])
    return settings
