"""The JSON API: /ask, /health, /admin/reindex."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from index import BuildInProgress, BuildReport

from ..answering import Answer, WaitedTooLong
from ..state import AppState
from .auth import require_admin, require_admin_when_local
from .callers import CallerDep, State, client_address
from .errors import error_response
from .language_choice import WordsDep
from .languages import Words
from .metrics import Metrics
from .middleware import retry_after_header
from .phrases import Phrase
from .reading import ReadableDep, ask_within
from .schemas import (
    AskRequest,
    AskResponse,
    ErrorResponse,
    HealthResponse,
    MultilingualProgress,
    ReindexResponse,
)
from .text_input import InputProblem, validate_ask, validate_language, validate_scope

router = APIRouter()
_JSON = "application/json"

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "Body is not readable JSON text"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
    429: {"model": ErrorResponse, "description": "Too many requests from this client"},
    422: {"model": ErrorResponse, "description": "Invalid request"},
    503: {
        "model": ErrorResponse,
        "description": "Index not available, or the question waited too long for its turn "
        "(Retry-After says when to ask again)",
    },
}


def rate_limit(request: Request) -> None:
    """Refuse a client that asks faster than the configured rate (429 with Retry-After)."""
    client = client_address(request, request.app.state.trusted_proxies)
    wait = request.app.state.rate_limiter.check(client)
    if wait > 0:
        raise HTTPException(
            429, Phrase("too many requests from this address; slow down"), retry_after_header(wait)
        )


@router.post(
    "/ask",
    response_model=AskResponse,
    responses=_ERRORS,
    tags=["questions"],
    dependencies=[Depends(rate_limit)],
)
async def ask(
    body: AskRequest, state: State, caller: CallerDep, readable: ReadableDep, words: WordsDep
) -> Response:
    """Answer a question with sentences quoted from the corpus, each cited; what the product
    says itself (a refusal, an error) is in the ``Accept-Language`` language."""
    try:
        question, history, top_k = validate_ask(body, state.settings)
        language = validate_language(body.language)
        # An id the caller may not read is refused exactly as an id that does not exist.
        scope = validate_scope(body.documents, readable.documents)
    except InputProblem as problem:
        return error_response(
            422,
            "invalid_request",
            problem.message,
            [{"field": problem.field, "message": problem.message}],
            words,
        )
    try:
        answer = await ask_within(
            state, caller, readable, question, history, top_k, scope, language
        )
    except WaitedTooLong as busy:
        raise HTTPException(
            503, busy_phrase(busy), {"Retry-After": str(busy.retry_after)}
        ) from None
    # Serialised directly: the answerer's dataclasses already have the response's shape (the
    # schema tests hold it to AskResponse), and validating them again costs ~1 ms a request.
    content = json.dumps(answer_body(answer, words), ensure_ascii=False)
    headers = {"Content-Language": words.tag, "Vary": "Accept-Language, Cookie"}
    return Response(content, media_type=_JSON, headers=headers)


def busy_phrase(busy: WaitedTooLong) -> Phrase:
    """Why a question that waited too long for its turn was not answered."""
    return Phrase(
        "the server is busy: the question waited %(waited)s s for its turn; "
        "ask again in %(retry)s s",
        waited=f"{busy.waited:.1f}",
        retry=busy.retry_after,
    )


def answer_body(answer: Answer, words: Words | None = None) -> dict[str, Any]:
    """An answer as the JSON object of the /ask contract; a refusal is said in ``words``'
    language (default: English) and its reason given as data too."""
    refusal = answer.refusal
    return {
        "question": answer.question,
        "standalone_question": answer.standalone_question,
        "answered": answer.answered,
        "answer": words.refusal(refusal) if refusal and words else answer.answer,
        "citations": [vars(c) for c in answer.citations],
        "related": [vars(r) for r in answer.related],
        "confidence": answer.confidence,
        "refusal": {"code": refusal.code, "params": refusal.params} if refusal else None,
        "language": answer.language,
        "settles": vars(answer.settles) if answer.settles else None,
        "index_version": answer.index_version,
        "took_ms": answer.took_ms,
    }


def answer_response(answer: Answer, words: Words | None = None) -> AskResponse:
    """The API model of an answer (for the pages and the CLI), in ``words``' language."""
    return AskResponse.model_validate(answer_body(answer, words))


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_admin_when_local)])
async def metrics(request: Request, state: State) -> Response:
    """Prometheus metrics: requests by route and status, latency, the index being served, audit
    records that could not be written. In local mode admins only: the counts are the whole
    index's, which a reader of some collections may not know (issue #31)."""
    index = state.holder.current()
    exported: Metrics = request.app.state.metrics
    exported.show(index)
    return Response(exported.exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get("/health", response_model=HealthResponse, tags=["operations"])
async def health(readable: ReadableDep, state: State) -> HealthResponse:
    """Report the index version being served and its size (what the caller may read)."""
    index = readable.index
    phase = state.second_phase
    return HealthResponse(
        status="ok",
        index_version=index.version,
        documents=len(readable.documents),
        passages=readable.passages,
        sentences=readable.sentences,
        model=str(index.manifest.get("model", "")),
        built_at=str(index.manifest.get("created_at", "")),
        multilingual=None if phase is None else MultilingualProgress(**phase.progress_of(index)),
    )


@router.post(
    "/admin/reindex",
    response_model=ReindexResponse,
    responses={
        401: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
    },
    tags=["operations"],
    dependencies=[Depends(require_admin)],
)
async def reindex(state: State) -> ReindexResponse:
    """Rebuild the index from the corpus (incrementally) and switch to it without a restart."""
    try:
        report = await asyncio.to_thread(_rebuild_as_the_one_builder, state)
    except BuildInProgress as exc:
        raise HTTPException(409, exc.args[0] if exc.args else str(exc)) from exc
    return ReindexResponse(
        index_version=report.version,
        documents=report.documents,
        passages=report.passages,
        added=report.added,
        changed=report.changed,
        removed=report.removed,
        embedded=report.embedded,
        reused=report.reused,
        skipped_files=report.skipped_files,
        seconds=round(report.seconds, 3),
    )


def _rebuild_as_the_one_builder(state: AppState) -> BuildReport:
    """Rebuild under the replicas' shared build lock (the folder's own lock is taken too)."""
    with state.registry.build_lock() as mine:
        if not mine:
            raise BuildInProgress(
                Phrase("another replica is building the index; try again shortly")
            )
        return state.holder.rebuild()
