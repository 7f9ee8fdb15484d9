"""The ASGI application: routes, error responses, security headers, static files and the API documentation."""

from __future__ import annotations

import ipaddress
import os
from contextlib import asynccontextmanager
from pathlib import Path

import swagger_ui_bundle
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import (
    ArticleNotFound,
    IndexNotFound,
    NewsearchError,
    QuerySyntaxError,
    QueryTimeout,
    WatchNotFound,
    __version__,
)
from ..printable import printable, printable_prose
from . import api, feeds, pages
from .served import ServedIndex
from .shedding import HEAVY_SLOTS, SearchSlots, heavy_slots
from .shown import without_folder

HERE = Path(__file__).parent
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_TIMEOUT = 5.0  # seconds a search may take before it is stopped (503)
SHUTDOWN_SECONDS = 2  # after SIGTERM, what requests still running are given to finish
# Pages load nothing but their own stylesheet and script files: markup that slipped through could run no
# script (nothing inline runs), and the script may fetch only from this server (the completions).
CONTENT_POLICY = ("default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
                  "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def create_app(index_dir: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT, heavy: int = HEAVY_SLOTS) -> FastAPI:
    """The web application over the index in ``index_dir`` (which need not exist yet); searches still
    running after ``timeout`` seconds stop and answer 503; ``heavy`` fuzzy or prefix searches run at once."""
    served = ServedIndex(index_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        served.close()

    app = FastAPI(title="newsearch", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Full-text search over a news archive. Each answer is the object that the "
                              "matching command prints with --json (`newsearch query --json`, `show --json`, ...).")
    # Swagger UI 4 (served from the swagger-ui-bundle package, no CDN) reads OpenAPI 3.0 documents.
    app.openapi_version = "3.0.3"
    app.state.index = served
    app.state.timeout = timeout
    app.state.slots = SearchSlots(heavy=heavy)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates.env.filters.update(printable=printable, printable_prose=printable_prose)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(feeds.router)

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="newsearch API",
                                   swagger_js_url="/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/swagger-ui/favicon-32x32.png")

    app.add_middleware(SecurityHeaders)

    def openapi() -> dict:
        """FastAPI's document, less the 422 answers it lists by default: invalid parameters get 400 here."""
        schema = app.openapi_schema
        if schema is None:
            schema = FastAPI.openapi(app)  # which keeps it as app.openapi_schema: edited once
            for operations in schema["paths"].values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to change its document

    for error_type, status in ((RequestValidationError, 400), (QuerySyntaxError, 400), (ArticleNotFound, 404),
                               (WatchNotFound, 404),
                               (IndexNotFound, 503), (QueryTimeout, 503), (NewsearchError, 500)):
        app.add_exception_handler(error_type, _error_handler(status, str(served.folder)))
    return app


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response.

    A plain ASGI wrapper, not FastAPI's ``@app.middleware``: that one re-streams a body and
    ends it cleanly even when the app stopped half-way, so a client could not tell an export
    cut short (see shedding.DeadlineStream) from a whole one.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        if scope["path"] != "/api/docs":  # Swagger UI starts itself with an inline script
            added.append((b"content-security-policy", CONTENT_POLICY.encode()))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in added}
                kept = [(name, value) for name, value in message.get("headers", ()) if name.lower() not in names]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await self.app(scope, receive, sending)


def _error_handler(status: int, folder: str):
    def handle(request: Request, error: Exception):
        message = without_folder(_message(error), folder)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"status": status, "message": message}, status_code=status)
        return pages.error_page(request, status, message)
    return handle


def _message(error: Exception) -> str:
    """One line for a person; for invalid parameters, which one and why."""
    if isinstance(error, RequestValidationError):
        problems = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "request"
            problems.append(f"{where}: {problem.get('msg', 'invalid')}")
        return "; ".join(problems) or "invalid request"
    return str(error)


def is_loopback(host: str) -> bool:
    """True when ``host`` lets only this machine connect (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name, which may resolve to any address
        return False


def app_from_environment() -> FastAPI:
    """The application of one ``serve --workers N`` process: :func:`create_app` over the folder in
    NEWSEARCH_INDEX with the deadline in NEWSEARCH_TIMEOUT and its share of the heavy-search slots among the
    NEWSEARCH_WORKERS processes, which :func:`serve` sets before it starts them."""
    processes = int(os.environ.get("NEWSEARCH_WORKERS", "1"))
    return create_app(os.environ["NEWSEARCH_INDEX"], float(os.environ.get("NEWSEARCH_TIMEOUT", DEFAULT_TIMEOUT)),
                      heavy=heavy_slots(processes))


def serve(index_dir: str | os.PathLike, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          timeout: float = DEFAULT_TIMEOUT, workers: int = 1) -> None:
    """Run the server until interrupted: in this process, or in ``workers`` processes sharing one listening
    socket, each with its own open index and search slots, under uvicorn's supervisor (which replaces a worker
    that dies or stops answering, and passes SIGTERM on to every worker)."""
    # On SIGTERM, requests still running after SHUTDOWN_SECONDS are cancelled, which stops their searches.
    settings: dict = {"host": host, "port": port, "log_level": "info", "timeout_graceful_shutdown": SHUTDOWN_SECONDS}
    if workers == 1:
        uvicorn.run(create_app(index_dir, timeout), **settings)
        return
    # A worker is a new interpreter (spawned) that imports its app by name: its settings travel in the environment.
    os.environ.update(NEWSEARCH_INDEX=str(index_dir), NEWSEARCH_TIMEOUT=repr(timeout), NEWSEARCH_WORKERS=str(workers))
    uvicorn.run(f"{__name__}:app_from_environment", factory=True, workers=workers, **settings)
