"""Dependencies shared by the routers."""

from __future__ import annotations

from fastapi import Request

from assistant.errors import IndexMissingError


def get_retriever(request: Request):
    """The loaded retriever, or the reason there is none (→ 503 telling the operator what to run)."""
    retriever = request.app.state.retriever
    if retriever is None:
        err = request.app.state.load_error
        raise err if err else IndexMissingError("索引尚未加载：请先运行 assistant ingest")
    return retriever


def get_chat(request: Request):
    """The chat service (built with the retriever in the lifespan), or why there is none."""
    chat = getattr(request.app.state, "chat", None)
    if chat is None:
        get_retriever(request)
        raise IndexMissingError("索引尚未加载：请先运行 assistant ingest")
    return chat
