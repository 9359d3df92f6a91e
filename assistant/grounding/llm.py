"""The chat model (LangChain's ChatOpenAI against any OpenAI-compatible server) and what answering, tolerance
screening and course packs share around it: when a failure means "unavailable, fall back", and how the
numbered passages are shown to the model."""

from __future__ import annotations

from assistant.errors import ConfigError
from assistant.grounding.in_force import superseded_note
from assistant.grounding.passage import Passage
from assistant.settings import Settings

LLM_UNAVAILABLE = "大模型服务暂不可用，以下为摘录式回答"


def build_chat_model(settings: Settings):
    """ChatOpenAI for the configured server, or None when no LLM is configured (extractive mode)."""
    if not settings.llm_base_url:
        return None
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as err:  # pragma: no cover - a base dependency
        raise ConfigError("大模型模式需要 langchain-openai：pip install langchain-openai") from err
    return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                      api_key=settings.llm_api_key.get_secret_value() or "none",
                      timeout=settings.llm_timeout, max_retries=0, temperature=0)


def is_unavailable(err: BaseException) -> bool:
    """Timeouts, refused connections, 5xx and transport errors: fall back instead of failing."""
    import httpx
    import openai

    if isinstance(err, openai.APIStatusError):
        return err.status_code >= 500
    if isinstance(err, (openai.APIConnectionError, httpx.TransportError, TimeoutError, ConnectionError)):
        return True
    try:
        import httpx2

        return isinstance(err, httpx2.TransportError)
    except ImportError:  # pragma: no cover - older openai clients use httpx only
        return False


def passages_block(passages: list[Passage], titles: dict[str, str]) -> str:
    """The numbered passages as the model reads them."""
    parts = []
    for c in passages:
        meta = "；".join(x for x in (c.doc_number, c.issuer, c.date) if x)
        parts.append(f"[{c.n}] {c.where}{superseded_note(c, titles)}" + (f"（{meta}）" if meta else "")
                     + f"\n{c.text.strip()}")
    return "\n\n".join(parts)
