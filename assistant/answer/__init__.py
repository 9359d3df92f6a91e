"""Answering: history-aware retrieval, a confidence check, then an extractive or LLM answer with citations."""

from assistant.answer.service import ChatService
from assistant.answer.types import Answer, Citation, Event, Turn

__all__ = ["Answer", "ChatService", "Citation", "Event", "Turn"]
