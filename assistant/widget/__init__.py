"""The portal chat widget: /widget.js and /demo, plus the key/origin checks, CORS and rate limits in front
of the API the widget calls."""

from __future__ import annotations

from fastapi import FastAPI

from assistant.settings import Settings
from assistant.widget.access import WidgetAccess, WidgetGuard
from assistant.widget.ratelimit import RateLimiter
from assistant.widget.router import router

__all__ = ["install"]


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the widget and guard the widget-facing API routes (see access.py for the rules)."""
    app.include_router(router)
    # also read by the API's dependencies: which knowledge bases a key may ask
    app.state.widget_access = access = WidgetAccess(settings.widget_keys, settings.open_kbs)
    app.add_middleware(WidgetGuard, access=access, limiter=RateLimiter(settings.widget_rate_per_minute))
