"""How the store reaches Chroma — embedded in this process, or a `chroma run` server shared by every
API worker — and what a lost server turns into on every collection call (StoreUnavailableError → 503).

Measured with chromadb 1.5.9: `HttpClient()` checks the server at once (ValueError when down); a call on a
client or collection whose server is down raises httpx.ConnectError at once; the same client and
collection objects work again when the server comes back on the same path. Collection objects address
the collection by id, so one deleted and created again (an index rebuilt from scratch) answers
NotFoundError until the store is opened afresh.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from assistant.errors import IndexMissingError, StoreUnavailableError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.config import Settings as ChromaSettings

# chromadb is imported when a store is first opened, not with this module: its import takes ~0.7 s of a
# 2 s start, and a server that starts from its snapshot (retrieval/snapshot_cache.py) opens the store after
# it is ready.

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=5.0)  # per call to the server; a timeout → StoreUnavailableError


def _settings() -> ChromaSettings:
    from chromadb.config import Settings as ChromaSettings

    # a new object each time: HttpClient and PersistentClient write host, port and path into the one given
    return ChromaSettings(anonymized_telemetry=False)


def open_client(index_dir: Path, url: str, create: bool) -> tuple[ClientAPI, str]:
    """A client on the server at `url`, or on `index_dir/chroma` when `url` is empty; and where that is
    (for messages)."""
    import chromadb

    where = describe(index_dir, url)
    if url:
        parts = urlsplit(url)
        ssl = parts.scheme == "https"
        try:  # the heartbeat first, with our timeout: the client's own check has none (a hung server)
            httpx.get(f"{url}/api/v2/heartbeat", timeout=HTTP_TIMEOUT).raise_for_status()
            client = chromadb.HttpClient(host=parts.hostname, port=parts.port or (443 if ssl else 80), ssl=ssl,
                                         settings=_settings())
        except Exception as err:  # refused, timed out, not a Chroma server (404), or chromadb's own ValueError
            raise StoreUnavailableError(_unreachable(where, err)) from err
        # chromadb's HTTP session has no timeout: a hung server would hold request threads forever (private
        # attributes, checked: without them the client keeps its own behaviour)
        session = getattr(getattr(client, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):
            session.timeout = HTTP_TIMEOUT
        return client, where
    chroma_dir = index_dir / "chroma"
    check_writable(index_dir, create)
    if not create and not chroma_dir.exists():
        raise IndexMissingError(f"索引不存在（{index_dir}）：请先运行 assistant ingest 构建索引")
    try:
        return chromadb.PersistentClient(path=str(chroma_dir), settings=_settings()), where
    except Exception as err:  # chromadb raises several kinds for an unusable directory
        raise StoreUnavailableError(f"无法打开索引目录 {chroma_dir}：{err}") from err


def describe(index_dir: Path, url: str) -> str:
    """Where a store is, for messages: the server's URL or the embedded index's directory."""
    return f"向量库服务 {url}" if url else f"索引目录 {index_dir / 'chroma'}"


def check_writable(index_dir: Path, create: bool = False) -> None:
    """Refuse plainly an index the embedded Chroma cannot write: it writes to its directory even to search
    (SQLite journal, its log), and otherwise fails with "attempt to write a readonly database"."""
    import os

    if index_dir.exists() and not index_dir.is_dir():
        raise StoreUnavailableError(f"索引目录 {index_dir} 是一个文件，不是目录：请检查 ASSISTANT_INDEX_DIR 或 --index-dir")
    chroma_dir = index_dir / "chroma"
    paths = [p for p in (chroma_dir, chroma_dir / "chroma.sqlite3") if p.exists()]
    if not paths and create:  # where the index will be made
        paths = [next(p for p in (index_dir, *index_dir.parents) if p.exists())]
    blocked = next((p for p in paths if not os.access(p, os.W_OK)), None)  # EACCES and EROFS alike
    if blocked is not None:
        raise StoreUnavailableError(
            f"索引目录不可写：{blocked}（只读挂载或权限不足）。嵌入式向量库即使只做检索也要写这个目录；"
            f"请让运行服务的用户对 {index_dir} 有写权限（如 chown -R <用户> {index_dir}），"
            "或设置 ASSISTANT_CHROMA_URL 改用 Chroma 服务")


@contextmanager
def store_errors(where: str):
    """Turn a lost or failing Chroma into our errors; anything else (our own bugs) passes unchanged."""
    from chromadb.errors import InternalError, NotFoundError

    try:
        yield
    except (httpx.TransportError, ConnectionError) as err:
        raise StoreUnavailableError(_unreachable(where, err)) from err
    except InternalError as err:  # Chroma failed on its side (a 500 from the server, a storage error)
        raise StoreUnavailableError(f"向量库出错（{where}）：{err}") from err
    except NotFoundError as err:
        raise IndexMissingError(f"{where} 中的集合已不存在（索引被删除或重建）：请运行 assistant ingest；"
                                f"服务会自动重新加载（{err}）") from err


class GuardedCollection:
    """A Chroma collection whose every call goes through `store_errors`; attributes pass through."""

    def __init__(self, collection, where: str):
        self._collection = collection
        self._where = where

    def __getattr__(self, name: str):
        value = getattr(self._collection, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args, **kwargs):
            with store_errors(self._where):
                return value(*args, **kwargs)

        return call


def _unreachable(where: str, err: Exception) -> str:
    # chromadb's own ValueError hides the reason (refused, unknown host…) in its context
    reason = err.__context__ if isinstance(err, ValueError) and err.__context__ else err
    text = "请求超时" if isinstance(reason, httpx.TimeoutException) else str(reason) or type(reason).__name__
    return f"无法连接{where}：{text}；请确认 chroma run 已启动"
