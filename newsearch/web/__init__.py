"""`newsearch serve`: the HTTP API and the search page (templates, static files)."""

from .app import create_app, is_loopback, serve

__all__ = ["create_app", "is_loopback", "serve"]
