"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from swagger_ui_bundle import swagger_ui_path

from index import IndexProblem

from ..settings import PROJECT_ROOT, Settings
from ..state import AppState, IndexHolder, load_embedder
from . import api, language_choice, library_api, library_pages, openai_compat, pages, signin
from .errors import error_response
from .language_choice import words_for
from .languages import Languages
from .metrics import Metrics
from .middleware import (
    BodySizeLimit,
    RateLimiter,
    RequestLog,
    SecurityHeaders,
    SharedRateLimiter,
)
from .phrases import Phrase

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
        metrics: Metrics = app.state.metrics
        app_state.holder.on_switch.append(metrics.show)
        app_state.audit.on_failure.append(metrics.audit_failures.inc)
        metrics.show(app_state.holder.current())
        app_state.jobs.start()  # carries out builds queued by any replica, even a dead one
        watcher = asyncio.create_task(_watch_index(app_state))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            app_state.holder.on_switch.remove(metrics.show)
            app_state.audit.on_failure.remove(metrics.audit_failures.inc)
            await asyncio.to_thread(app_state.jobs.stop)
            if state is None:  # a state handed in is the caller's to close
                app_state.turns.close()
            metrics.close()

    app = FastAPI(
        title="briefing-qa",
        version="0.1.0",
        summary="Questions answered with sentences quoted from policy briefings, each cited.",
        lifespan=lifespan,
        docs_url=None,  # served below from local files: no CDN
        redoc_url=None,
    )
    app.state.metrics = Metrics()
    app.state.languages = Languages(settings.languages, settings.default_language)
    app.state.rate_limiter = rate_limiter(settings)
    app.state.signin_limits = signin.SignInLimits(settings)
    app.state.trusted_proxies = settings.trusted_proxies
    # Outermost first: every response, even a 413, gets an id, a log line and the headers.
    # Innermost: the signed, HttpOnly, SameSite=Strict sign-in cookie of /login.
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="briefing_qa_session",
        same_site="strict",
        max_age=8 * 3600,
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={"/api/documents": settings.max_upload_bytes},
    )
    app.add_middleware(RequestLog, metrics=app.state.metrics)
    app.add_middleware(SecurityHeaders)
    app.include_router(api.router)
    app.include_router(openai_compat.router)
    app.include_router(library_api.router)
    app.include_router(library_pages.router)
    app.include_router(signin.router)
    app.include_router(language_choice.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "web" / "static"), name="static")
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    _install_error_handlers(app)
    return app


def rate_limiter(settings: Settings) -> RateLimiter | SharedRateLimiter:
    """Per process in memory by default; in Redis, shared by every replica, when configured."""
    if settings.redis_url:
        return SharedRateLimiter(
            settings.redis_url,
            settings.redis_prefix,
            settings.rate_limit_per_minute,
            settings.rate_limit_burst,
        )
    return RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)


def session_secret(settings: Settings) -> str:
    """The cookie-signing key: the setting, or one derived from the admin token (so workers
    and replicas that share the token accept each other's cookies), or a random one."""
    if settings.session_secret:
        return settings.session_secret
    if settings.admin_token:
        return hashlib.sha256(b"briefing-qa session:" + settings.admin_token.encode()).hexdigest()
    return secrets.token_hex(32)  # nobody can sign in without a token anyway


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


_BODY_SHAPE_ERRORS = {"model_attributes_type", "dict_type", "json_invalid", "missing"}
_NOT_AN_OBJECT = Phrase('the request body must be a JSON object, like {"question": "..."}')
# Starlette's own words for a route or method that does not exist, said in the reader's.
_STARLETTE_WORDS = {
    404: Phrase("Not Found"),
    405: Phrase("Method Not Allowed"),
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        words = words_for(request)
        details = []
        for error in exc.errors():
            location = [str(part) for part in error.get("loc", ()) if part != "body"]
            message = error.get("msg", "")  # pydantic's own words stay as pydantic wrote them
            if not location and error.get("type") in _BODY_SHAPE_ERRORS:
                message = words.say(_NOT_AN_OBJECT)
            details.append({"field": ".".join(location) or None, "message": message})
        summary = "; ".join(
            f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details
        )
        message = summary or words.say(Phrase("invalid request"))
        return error_response(422, "invalid_request", message, details, words)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, Phrase) else str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in detail:
            detail = Phrase("the request body could not be read as JSON text (it must be UTF-8)")
        elif exc.status_code in _STARLETTE_WORDS and detail == _STARLETTE_WORDS[exc.status_code]:
            detail = Phrase(_STARLETTE_WORDS[exc.status_code])
        codes = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            429: "rate_limited",
            503: "unavailable",
        }
        code = codes.get(exc.status_code, "error")
        response = error_response(exc.status_code, code, detail, words=words_for(request))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(IndexProblem)
    async def index_problem(request: Request, exc: IndexProblem) -> JSONResponse:
        return error_response(503, "index_unavailable", str(exc), words=words_for(request))
