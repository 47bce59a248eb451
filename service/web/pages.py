"""HTML pages: the chat (works without JavaScript through a form POST) and the document view."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from markupsafe import Markup, escape
from pydantic import ValidationError

from ..answering import Turn, WaitedTooLong
from ..answering.tunables import LOW_CONFIDENCE
from ..settings import PROJECT_ROOT, Settings
from .api import State, answer_response, busy_phrase, rate_limit
from .callers import CallerDep
from .document_view import document_groups, parse_spans
from .language_choice import WordsDep
from .phrases import Phrase
from .reading import ReadableDep, ask_within
from .rendering import render, templates
from .schemas import AskResponse
from .starters import corpus_naming, starter_questions
from .text_input import (
    InputProblem,
    clean_question,
    decode_history_json,
    no_document,
    validate_history,
    validate_scope,
)

router = APIRouter(include_in_schema=False)
# The chat marks answers below this confidence "may not answer your question".
templates.env.globals["low_confidence"] = LOW_CONFIDENCE
_MARKER = re.compile(r"\[(\d+)\]")
_NOT_READ_BACK = Phrase("the conversation could not be read back")


def highlight(text: str, spans: list[Any]) -> Markup:
    """``text`` escaped, with the ``spans`` (answer sentences) wrapped in <mark>."""
    out: list[str] = []
    position = 0
    for a, b in sorted((int(a), int(b)) for a, b in spans):
        if a < position or b > len(text):
            continue
        out.append(str(escape(text[position:a])))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        position = b
    out.append(str(escape(text[position:])))
    return Markup("".join(out))


def answer_segments(turn: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    """An answer as (text, marker number, citation url) runs, to render markers as links."""
    answer = str(turn.get("answer", ""))
    urls = {c.get("n"): c.get("url") for c in turn.get("citations") or [] if isinstance(c, dict)}
    segments: list[tuple[str, int | None, str | None]] = []
    position = 0
    for match in _MARKER.finditer(answer):
        n = int(match.group(1))
        if n not in urls:
            continue
        if match.start() > position:
            segments.append((answer[position : match.start()], None, None))
        segments.append((match.group(0), n, urls[n]))
        position = match.end()
    if position < len(answer):
        segments.append((answer[position:], None, None))
    return segments


def _form_turns(raw: str, settings: Settings) -> tuple[list[dict[str, Any]], list[Turn]]:
    """The conversation the form carried back: the turns to show again, and the same turns as
    the answerer's history. Parsed by the one history path the API uses (same limits, same
    errors); a turn this page could not have rendered is refused, not shown."""
    items = decode_history_json(raw)
    previous = validate_history(items, settings)
    shown = []
    for i, item in enumerate(items):
        try:
            turn = AskResponse.model_validate(item)
        except ValidationError:
            raise InputProblem(f"history.{i}", _NOT_READ_BACK) from None
        # Links are the server's own: a carried-back turn may not point elsewhere.
        if any(not c.url.startswith("/documents/") for c in turn.citations):
            raise InputProblem(f"history.{i}", _NOT_READ_BACK)
        shown.append(turn.model_dump())
    return shown, previous


def quoted_numbers(turn: dict[str, Any]) -> list[int]:
    """The citation numbers an answer's text uses."""
    return sorted({int(n) for n in _MARKER.findall(str(turn.get("answer", "")))})


templates.env.globals.update(
    segments=answer_segments, highlight=highlight, quoted_numbers=quoted_numbers
)


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request, words: WordsDep) -> HTMLResponse:
    """The interactive API explorer (Swagger UI, served from local files)."""
    return templates.TemplateResponse(request, "docs.html", {"words": words})


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    """The icon, for clients that ask for it at the conventional place."""
    return FileResponse(PROJECT_ROOT / "web" / "static" / "favicon.svg", media_type="image/svg+xml")


@router.get("/", response_class=HTMLResponse)
async def chat_page(
    request: Request, caller: CallerDep, readable: ReadableDep, words: WordsDep
) -> HTMLResponse:
    """The chat."""
    index, documents = readable.index, readable.documents
    context = {
        "turns": [],
        "history_json": "[]",
        "starters": starter_questions(index, documents=documents, words=words),
        "naming": corpus_naming(index, documents=documents, words=words),
        "error": None,
    }
    return render(request, "chat.html", context, caller, readable)


@router.post("/", response_class=HTMLResponse, dependencies=[Depends(rate_limit)])
async def chat_form(
    request: Request,
    state: State,
    caller: CallerDep,
    readable: ReadableDep,
    words: WordsDep,
    question: Annotated[str, Form(max_length=20_000)] = "",
    history: Annotated[str, Form(max_length=200_000)] = "[]",
    documents: Annotated[list[str] | None, Form(max_length=200)] = None,
) -> HTMLResponse:
    """The chat without JavaScript: the form posts here and the page comes back answered."""
    index, readable_documents = readable.index, readable.documents
    error, status = None, 200
    scope = None
    try:
        turns, previous = _form_turns(history, state.settings)
        cleaned = clean_question(question, state.settings)
        scope = validate_scope(documents, readable_documents)
    except InputProblem as problem:
        turns, error, status = [], problem.message, 422
    else:
        try:
            answer = await ask_within(
                state, caller, readable, cleaned, previous, state.settings.top_k, scope
            )
        except WaitedTooLong as busy:
            error, status = busy_phrase(busy), 503
        else:
            turns.append(answer_response(answer, words).model_dump())
    context = {
        "turns": turns,
        "history_json": json.dumps(turns),
        "starters": starter_questions(index, documents=readable_documents, words=words),
        "naming": corpus_naming(index, documents=readable_documents, words=words),
        "error": error,
        "scope": scope,
    }
    return render(request, "chat.html", context, caller, readable, status)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
async def document_page(
    request: Request,
    document_id: str,
    caller: CallerDep,
    readable: ReadableDep,
    start: Annotated[int | None, Query(ge=0)] = None,
    end: Annotated[int | None, Query(ge=0)] = None,
    hl: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    """A document, with the cited passage highlighted and scrolled into view."""
    document = readable.documents.get(document_id)
    if document is None:  # one not readable is one that does not exist: the same answer
        raise HTTPException(404, no_document(document_id))
    cited = None
    if start is not None and end is not None and start < end <= len(document.text):
        cited = (start, end)
    answer_spans = parse_spans(hl, len(document.text))
    context = {
        "document": document,
        "groups": document_groups(document, cited, answer_spans),
        "cited": cited,
    }
    return render(request, "document.html", context, caller, readable)
