"""Knowledge bases in one store: each is the store's three collections under its own name.

`default` is the index as it always was — `<collection>`, `<collection>-sentences`, `<collection>-documents`
(ASSISTANT_COLLECTION, `policy_chunks`) — so indexes built before knowledge bases existed are the default one.
Another knowledge base NAME uses `<collection>.NAME` and the same two suffixes. A name may not itself end in
one of the suffixes: `a-sentences` would be the sentence collection of `a`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.errors import ConflictError, RejectedUploadError
from assistant.store.connection import store_errors
from assistant.validation import DEFAULT_KB, KbName, check

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

PARTS = ("", "-sentences", "-documents")  # chunks, sentence vectors, document records


def collection_name(base: str, kb: str) -> str:
    """The chunk collection of a knowledge base (its other two add a suffix)."""
    return base if kb == DEFAULT_KB else f"{base}.{kb}"


def check_new_name(name: str) -> str:
    """A name a new knowledge base may take, or RejectedUploadError in Chinese."""
    name = check(KbName, name, error=RejectedUploadError)
    if name == DEFAULT_KB:
        raise ConflictError(f"知识库 {DEFAULT_KB} 总是存在（首次 assistant ingest 时建立），不必创建")
    if name.endswith(PARTS[1:]):
        raise RejectedUploadError(f"知识库名称不能以 {' 或 '.join(PARTS[1:])} 结尾（这是存储内部使用的后缀）")
    return name


def names(client: ClientAPI, base: str, where: str) -> list[str]:
    """The knowledge bases the store holds, `default` first when it exists, then by name."""
    with store_errors(where):
        found = {c.name for c in client.list_collections()}
    others = sorted(n.removeprefix(f"{base}.") for n in found
                    if n.startswith(f"{base}.") and not n.endswith(PARTS[1:]))
    return ([DEFAULT_KB] if base in found else []) + others


def delete(client: ClientAPI, base: str, kb: str, where: str) -> None:
    """Drop a knowledge base's collections (documents first: without them nothing of it is visible)."""
    name = collection_name(base, kb)
    with store_errors(where):
        present = {c.name for c in client.list_collections()}
        for part in reversed(PARTS):
            if name + part in present:
                client.delete_collection(name + part)
