"""An OpenAI-compatible chat endpoint: chat front ends (open-webui, LibreChat, an IDE) and agents
that speak the OpenAI API get the same quoted, cited answers as ``/ask``. No LLM is behind it.

The last user message is the question; earlier user/assistant pairs are the history, folded as
``/ask`` folds it (the same parser and limits). The reply's content is the answer with its
``[n]`` markers and a short list of sources whose links open the cited passages; the structured
citations travel in an extra ``citations`` field. Errors use OpenAI's error shape. What the
product says itself (a refusal, the sources heading, an error) is in the ``Accept-Language``
language, as on ``/ask``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..answering import Answer, WaitedTooLong
from .api import State, busy_phrase, rate_limit
from .callers import CallerDep
from .language_choice import WordsDep
from .languages import Words
from .phrases import Phrase
from .reading import ReadableDep, ask_within
from .text_input import (
    InputProblem,
    clean_question,
    unknown_document,
    validate_history,
    validate_language,
)

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
MODEL_ID = "briefing-qa"
SOURCES_HEADING = Phrase("Sources:")
# Words per streamed chunk: small enough to look live, few enough events to stay cheap.
STREAM_WORDS = 6


class ChatMessage(BaseModel):
    """One message; ``content`` may be text or OpenAI's list of typed parts."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat request; sampling options are accepted and have no meaning here."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False
    documents: list[str] | None = None
    # The question's language (ISO 639-1), as on /ask; detected when absent.
    language: str | None = None


def openai_error(
    status: int,
    message: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    code = {404: "model_not_found", 429: "rate_limit_exceeded", 503: "overloaded"}.get(status)
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


@router.get("/models")
async def list_models() -> dict[str, Any]:
    """The one model this server offers."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "briefing-qa"}],
    }


@router.post("/chat/completions", dependencies=[Depends(rate_limit)], response_model=None)
async def chat_completions(
    request: Request, state: State, caller: CallerDep, readable: ReadableDep, words: WordsDep
) -> Response:
    """Answer the last user message, the earlier turns being the conversation."""
    try:
        body = ChatRequest.model_validate(json.loads(await request.body()))
    except (ValueError, RecursionError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        param = ".".join(str(p) for p in errors[0]["loc"]) if errors else None
        invalid = Phrase(
            "the request is not a valid chat request: %(problem)s", problem=_first(exc)
        )
        return openai_error(400, words.say(invalid), param)
    if body.model != MODEL_ID:
        missing = Phrase(
            "the model %(model)s does not exist; use %(ours)s",
            model=repr(body.model),
            ours=repr(MODEL_ID),
        )
        return openai_error(404, words.say(missing))
    # An id the caller may not read is refused exactly as an id that does not exist.
    unknown = [d for d in body.documents or [] if d not in readable.documents]
    if unknown:
        return openai_error(400, words.say(unknown_document(unknown[0])), "documents")
    try:
        question, history = conversation(body.messages, state, words)
        language = validate_language(body.language)
    except InputProblem as problem:
        return openai_error(400, words.say(problem.message), problem.field)
    try:
        answer = await ask_within(
            state,
            caller,
            readable,
            question,
            history,
            state.settings.top_k,
            body.documents,
            language,
        )
    except WaitedTooLong as busy:
        retry = {"Retry-After": str(busy.retry_after)}
        return openai_error(503, words.say(busy_phrase(busy)), headers=retry)
    content = reply_text(answer, str(request.base_url), words)
    citations = [_absolute(vars(c), str(request.base_url)) for c in answer.citations]
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        events = _stream(completion_id, content, citations, answer)
        return StreamingResponse(events, media_type="text/event-stream")
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(body.messages, content),
            "citations": citations,
            "answered": answer.answered,
            "confidence": answer.confidence,
            "language": answer.language,
            "settles": vars(answer.settles) if answer.settles else None,
        }
    )


def conversation(
    messages: list[ChatMessage], state: Any, words: Words | None = None
) -> tuple[str, list[Any]]:
    """The question (the last user message) and the history (earlier user/assistant pairs),
    checked by the same parser and limits as ``/ask``."""
    said = [(m.role, _text(m.content)) for m in messages if m.role in ("user", "assistant")]
    if not said or said[-1][0] != "user":
        raise InputProblem("messages", Phrase("the last message must be the user's question"))
    headings = {str(SOURCES_HEADING), words.say(SOURCES_HEADING) if words else ""} - {""}
    turns: list[dict[str, str]] = []
    for role, text in said[:-1]:
        if role == "user":
            turns.append({"question": text, "answer": ""})
        elif turns:
            # The history carries only the quoted sentences: the sources list is ours (headed
            # in English or in this reader's language).
            for heading in headings:
                text = text.split(f"\n\n{heading}", 1)[0]
            turns[-1]["answer"] = text
    question = clean_question(said[-1][1], state.settings)
    return question, validate_history(turns, state.settings)


def reply_text(answer: Answer, base_url: str, words: Words | None = None) -> str:
    """The answer with its markers, then one line per citation it uses, linking the passage;
    a refusal and the heading in ``words``' language (default: English)."""
    if not answer.citations:
        return words.refusal(answer.refusal) if words and answer.refusal else answer.answer
    used = [c for c in answer.citations if f"[{c.n}]" in answer.answer]
    lines = [
        f"[{c.n}] {c.document_title} \u2014 {c.section}: {base_url.rstrip('/')}{c.url}"
        for c in used
    ]
    heading = words.say(SOURCES_HEADING) if words else str(SOURCES_HEADING)
    return f"{answer.answer}\n\n{heading}\n" + "\n".join(lines)


async def _stream(
    completion_id: str, content: str, citations: list[dict[str, Any]], answer: Answer
) -> AsyncIterator[str]:
    """OpenAI's chunk format: the role, the content a few words at a time, then the end."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    words = content.split(" ")
    for start in range(0, len(words), STREAM_WORDS):
        piece = " ".join(words[start : start + STREAM_WORDS])
        yield chunk({"content": piece if start == 0 else " " + piece})
    yield chunk(
        {},
        "stop",
        citations=citations,
        answered=answer.answered,
        confidence=answer.confidence,
        settles=vars(answer.settles) if answer.settles else None,
    )
    yield "data: [DONE]\n\n"


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return content or ""


def _absolute(citation: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**citation, "url": base_url.rstrip("/") + citation["url"]}


def _usage(messages: list[ChatMessage], content: str) -> dict[str, int]:
    """Word counts stand in for tokens (there is no generative model to count for)."""
    prompt = sum(len(_text(m.content).split()) for m in messages)
    completion = len(content.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _first(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        return f"{where}: {error['msg']}" if where else str(error["msg"])
    if isinstance(exc, RecursionError):
        return Phrase("the body is nested too deeply")
    return Phrase("the body is not JSON")
