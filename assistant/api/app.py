"""App factory: the embedder, Chroma and BM25 load once in the lifespan and live on app.state."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager


from fastapi import FastAPI, Request

from assistant import widget
from assistant.api import errors, observability
from assistant.api.chat_router import router as chat_router
from assistant.api.course_router import router as course_router
from assistant.api.openai_router import router as openai_router
from assistant.api.search_router import router as search_router
from assistant.api.tolerance_router import router as tolerance_router
from assistant.errors import AssistantError
from assistant.settings import Settings

log = logging.getLogger("assistant.api")


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app over the index the settings point at (503 until an index exists)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.retriever = None
        app.state.chat = None
        app.state.load_error = None
        try:
            from assistant.answer import ChatService
            from assistant.components import Components

            app.state.retriever = Components.load(settings).retriever()
            app.state.chat = ChatService.from_settings(settings, app.state.retriever)
            from assistant.tolerance.service import ToleranceService

            app.state.tolerance = ToleranceService.from_settings(settings, app.state.retriever)
            app.state.chat.tolerance = app.state.tolerance  # one screening service for /api/tolerance and chat
        except AssistantError as err:  # keep serving: /healthz answers, the rest says what to do
            app.state.load_error = err
            log.warning("index not loaded: %s", err)
        yield

    app = FastAPI(title="政策知识助手", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    observability.install(app)  # request ids, /metrics, /readyz
    app.include_router(search_router)
    app.include_router(chat_router)
    app.include_router(openai_router)
    app.include_router(tolerance_router)
    app.include_router(course_router)
    widget.install(app, settings)  # /widget.js, /demo; key/origin checks, CORS, rate limit on the chat API

    @app.get("/healthz", tags=["运维"])
    def healthz(request: Request) -> dict:
        return {"status": "ok", "index_loaded": request.app.state.retriever is not None}

    return app
