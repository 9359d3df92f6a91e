"""HTTP API: an app factory, thin routers, our own response models."""

from assistant.api.app import create_app

__all__ = ["create_app"]
