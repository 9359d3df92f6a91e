"""Answering: history-aware retrieval, a confidence check, then an extractive or LLM answer with citations."""

from assistant.answer.service import Answerer
from assistant.answer.types import Answer, Event, Turn

__all__ = ["Answer", "Answerer", "Event", "Turn"]
