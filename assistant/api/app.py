"""App factory: the embedder, Chroma and BM25 load once in the lifespan and live on app.state."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from assistant import question_log, widget
from assistant.api import errors, home, observability, refresher
from assistant.api.chat_router import router as chat_router
from assistant.api.course_router import router as course_router
from assistant.api.documents_router import router as documents_router
from assistant.api.kb_router import router as kb_router
from assistant.api.openai_router import router as openai_router
from assistant.api.search_router import router as search_router
from assistant.api.tolerance_router import router as tolerance_router
from assistant.errors import AssistantError
from assistant.settings import Settings, load_settings

log = logging.getLogger("assistant.api")


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app over the index the settings point at (503 until an index exists)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.components = app.state.retriever = app.state.chat = None
        app.state.load_error = app.state.store_check = None
        refresher.registry(app, settings)  # app.state.kbs: every knowledge base, opened on first use
        try:
            refresher.load_services(app, settings, from_snapshot=True)
        except AssistantError as err:  # keep serving: /healthz answers, the rest says what to do
            app.state.load_error = err
            log.warning("index not loaded: %s", err)
        async with refresher.running(app, settings):  # follows index changes; loads a missing index later
            yield

    # /docs and /redoc are home.py's: their files come from the installation, not a CDN (intranets)
    app = FastAPI(title="政策知识助手", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    errors.install(app)
    observability.install(app)  # request ids, /metrics, /readyz
    app.state.question_log = question_log.build(settings)  # a no-op unless ASSISTANT_QUESTION_LOG_DIR is set
    app.include_router(search_router)
    app.include_router(chat_router)
    app.include_router(openai_router)
    app.include_router(tolerance_router)
    app.include_router(course_router)
    app.include_router(documents_router)
    app.include_router(kb_router)
    home.install(app)  # /: links to the demo portal and the API docs; /docs, /redoc
    widget.install(app, settings)  # /widget.js, /demo; key/origin checks, CORS, rate limit on the chat API

    @app.get("/healthz", tags=["运维"])
    def healthz(request: Request) -> dict:
        # pid: tells the workers of one `uvicorn --workers N` apart (operators, the multi-worker test)
        return {"status": "ok", "index_loaded": request.app.state.retriever is not None, "pid": os.getpid()}

    return app


def app_from_env() -> FastAPI:
    """The app on settings from the environment: `uvicorn --factory assistant.api.app:app_from_env --workers N`."""
    return create_app(load_settings())
