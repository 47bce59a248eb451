"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from index import IndexProblem

from . import api, pages
from .errors import error_response
from .settings import PROJECT_ROOT, Settings
from .state import AppState, IndexHolder, load_embedder

log = logging.getLogger("briefing_qa")


def create_app(settings: Settings | None = None, state: AppState | None = None) -> FastAPI:
    """Build the application.

    Args:
        settings: configuration (default: from the environment).
        state: a ready state to serve (tests share one model this way); default: the lifespan
            loads the model and the index, building the index first if there is none.
    """
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app_state = state if state is not None else await asyncio.to_thread(_start, settings)
        app.state.qa = app_state
        watcher = asyncio.create_task(_watch_index(app_state))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    app = FastAPI(
        title="briefing-qa",
        version="0.1.0",
        summary="Questions answered with sentences quoted from policy briefings, each cited.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "web" / "static"), name="static")
    _install_error_handlers(app)
    return app


def _start(settings: Settings) -> AppState:
    """Load the model and the index (building it first when there is none)."""
    embedder = load_embedder(settings)
    holder = IndexHolder(settings, embedder)
    holder.load(build_if_missing=settings.build_on_start)
    # One query through the whole path so the first user does not pay for warm-up.
    app_state = AppState(settings, embedder, holder)
    app_state.answerer.ask("warm-up question about the briefing")
    return app_state


async def _watch_index(app_state: AppState) -> None:
    """Switch to a version published by another process (a CLI build, another replica)."""
    interval = app_state.settings.reload_check_seconds
    if interval <= 0:
        return
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(app_state.holder.refresh_if_changed)
        except IndexProblem as exc:
            log.error("new index version not loaded, still serving the previous one: %s", exc)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for error in exc.errors():
            location = [str(part) for part in error.get("loc", ()) if part != "body"]
            details.append({"field": ".".join(location) or None, "message": error.get("msg", "")})
        summary = "; ".join(
            f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details
        )
        return error_response(422, "invalid_request", summary or "invalid request", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            429: "rate_limited",
            503: "unavailable",
        }
        response = error_response(
            exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail)
        )
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(IndexProblem)
    async def index_problem(_: Request, exc: IndexProblem) -> JSONResponse:
        return error_response(503, "index_unavailable", str(exc))


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether or not Content-Length is declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "too_large", f"request body is larger than {self.max_bytes} bytes"
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
