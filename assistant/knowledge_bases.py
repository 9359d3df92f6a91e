"""The knowledge bases a process serves: listed from the store, each opened on first use as its own
`Components`, all sharing one embedding model, jieba and chat model (`Components.sibling`).

A knowledge base nobody has asked for costs a process nothing; once asked for, its snapshot stays in memory
and the API's refresher keeps it fresh (assistant/api/refresher.py). Knowledge bases are created and deleted
by `assistant kb …` or the admin API; a process notices the change at its next request or refresh.
"""

from __future__ import annotations

import shutil
import threading

from assistant.components import Components, SharedParts, snapshot_folder
from assistant.errors import ConflictError, IndexMissingError, UnknownKnowledgeBaseError
from assistant.settings import Settings
from assistant.store import knowledge_bases
from assistant.store.connection import open_client
from assistant.validation import DEFAULT_KB


class KnowledgeBases:
    """One per process (the API's app.state.kbs, or a CLI command)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._open: dict[str, Components] = {}
        self._shared: SharedParts | None = None  # model, jieba…: loaded once, kept when their KB goes
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """The knowledge bases the store holds now (`default` first when it exists)."""
        try:
            client, where = self._client()
        except IndexMissingError:  # no index directory yet: no knowledge base either
            return []
        return knowledge_bases.names(client, self.settings.collection, where)

    def _client(self):
        """An open store's Chroma client (one per process is enough), or a new one."""
        some = next(iter(self._open.values()), None)
        if some is not None:
            return some.store.client, some.store.where
        return open_client(self.settings.index_dir, self.settings.chroma_url, create=False)

    def loaded(self) -> dict[str, Components]:
        """The knowledge bases this process has opened, by name."""
        return dict(self._open)

    def get(self, kb: str, from_snapshot: bool = False) -> Components:
        """The parts of knowledge base `kb`, opened now if this process has not yet (UnknownKnowledgeBaseError
        when the store lacks it). `from_snapshot`: see `Components.load`."""
        parts = self._open.get(kb)
        if parts is not None:
            return parts
        with self._lock:  # one opening per knowledge base, however many requests ask at once
            if kb not in self._open:
                self._open[kb] = self._build(kb, from_snapshot=from_snapshot)
            return self._open[kb]

    def opened(self, kb: str) -> Components | None:
        """The parts of `kb` if this process has opened it, else None (nothing is opened)."""
        return self._open.get(kb)

    def forget(self, kb: str) -> None:
        """Drop a knowledge base from memory (deleted from the store): its next request opens it again or 404s."""
        with self._lock:
            self._open.pop(kb, None)

    def create(self, kb: str) -> Components:
        """A new, empty knowledge base (ConflictError when it exists)."""
        with self._lock:
            if kb in self.names():
                raise ConflictError(f"知识库「{kb}」已存在")
            self._open[kb] = self._build(kb, create=True)
            return self._open[kb]

    def delete(self, kb: str) -> None:
        """Delete a knowledge base and everything in it (not `default`: that is the index itself)."""
        if kb == DEFAULT_KB:
            raise ConflictError(f"不能删除知识库 {DEFAULT_KB}：要重建请删除索引目录（或 Chroma 中的集合）后重新入库")
        with self._lock:
            if kb not in self.names():
                raise UnknownKnowledgeBaseError(f"没有名为「{kb}」的知识库")
            client, where = self._client()
            knowledge_bases.delete(client, self.settings.collection, kb, where)
            self._open.pop(kb, None)
        shutil.rmtree(snapshot_folder(self.settings, kb), ignore_errors=True)

    def _build(self, kb: str, create: bool = False, from_snapshot: bool = False) -> Components:
        parts = Components.load(self.settings, create=create, kb=kb, shared=self._shared, from_snapshot=from_snapshot)
        if self._shared is None:
            self._shared = parts.shared_parts()
        return parts
