"""briefing-qa as a Model Context Protocol server (the official ``mcp`` SDK): agents and IDEs
call ``ask`` (a quoted, cited answer or an honest refusal) and ``search`` (ranked passages).

``briefing-qa mcp`` speaks over stdio; ``briefing-qa mcp --http`` serves the same tools over
streamable HTTP. The model and the index load once, when the server starts.

In local mode (issue #25) each call answers from what its caller may read: over HTTP the caller
is the ``Authorization: Bearer`` API key (or the admin token) of the request, none meaning an
anonymous caller; over stdio, the key in ``BRIEFING_QA_API_KEY``. ``search`` ranks only the
caller's documents, and ``ask`` answers only from them.

A refusal (and an error of ours) is in the language of the request's ``Accept-Language`` over
HTTP, in ``BRIEFING_QA_DEFAULT_LANGUAGE`` over stdio.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from mcp.server.fastmcp import Context, FastMCP

from index import search as search_passages
from index.acronyms import expand_acronyms

from ..answering import Turn, pages_spanned
from ..settings import Settings
from ..state import AppState, IndexHolder, load_embedder
from .callers import OPEN, Caller, bearer_caller, client_address
from .languages import Languages, Words
from .reading import Readable, ask_within, readable_for
from .text_input import (
    InputProblem,
    clean_question,
    unknown_document,
    validate_history,
    validate_language,
)


def build_server(settings: Settings, state: AppState | None = None) -> FastMCP:
    """The MCP server with its two tools, over the index ``settings`` name."""
    if state is None:
        embedder = load_embedder(settings)
        holder = IndexHolder(settings, embedder)
        holder.load(build_if_missing=settings.build_on_start)
        state = AppState(settings, embedder, holder)
    app_state = state
    languages = Languages(settings.languages, settings.default_language)
    # Links open the cited passage in the web app that serves the same index.
    base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    server = FastMCP(
        "briefing-qa",
        instructions="Answers questions about the indexed policy briefings with sentences "
        "quoted from them, each cited; says so when the documents do not answer.",
        host=settings.host,
        port=settings.mcp_port,
    )

    def reading(ctx: Context[Any, Any, Any], tool: str) -> Readable:
        """What the caller of this tool call may read (in the index served now)."""
        return readable_for(app_state, _caller(app_state, ctx, tool))

    @server.tool()
    async def ask(
        question: str,
        ctx: Context[Any, Any, Any],
        history: list[dict[str, str]] | None = None,
        documents: list[str] | None = None,
        language: str | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the documents with quoted, cited sentences.

        Args:
            question: the question.
            history: earlier turns, oldest first: [{"question": ..., "answer": ...}].
            documents: document ids to answer from (all when omitted).
            language: the question's language, ISO 639-1 (detected when omitted).
        """
        caller = _caller(app_state, ctx, "ask")
        words = _words(languages, ctx)
        readable = readable_for(app_state, caller)
        # An id the caller may not read is refused exactly as an id that does not exist.
        unknown = [d for d in documents or [] if d not in readable.documents]
        if unknown:
            raise ValueError(words.say(unknown_document(unknown[0])))
        turns: list[Turn] = validate_history(history or [], app_state.settings)
        cleaned = clean_question(question, app_state.settings)
        try:
            asked_in = validate_language(language)
        except InputProblem as problem:
            raise ValueError(words.say(problem.message)) from None
        answer = await ask_within(
            app_state,
            caller,
            readable,
            cleaned,
            turns,
            app_state.settings.top_k,
            documents or None,
            asked_in,
        )
        refusal = answer.refusal
        return {
            "answered": answer.answered,
            "answer": words.refusal(refusal) if refusal else answer.answer,
            "refusal": {"code": refusal.code, "params": refusal.params} if refusal else None,
            "confidence": answer.confidence,
            "standalone_question": answer.standalone_question,
            "language": answer.language,
            "settles": vars(answer.settles) if answer.settles else None,
            "citations": [{**vars(c), "url": base + c.url} for c in answer.citations],
        }

    @server.tool()
    def search(query: str, ctx: Context[Any, Any, Any], top_k: int = 5) -> list[dict[str, Any]]:
        """Passages ranked by hybrid search (dense + BM25), with their document, section and
        character offsets.

        Args:
            query: what to look for.
            top_k: how many passages (1 to 20).
        """
        readable = reading(ctx, "search")
        index = readable.view  # only the caller's documents are ranked, with their statistics
        text = expand_acronyms(clean_question(query, app_state.settings), index.acronyms)
        vector = app_state.embedder.encode_one(text)
        scope = readable.corpus()
        hits = search_passages(index, text, vector, k=max(1, min(top_k, 20)))
        results = []
        for hit in hits:
            passage = index.passages[hit.passage_id]
            if scope is not None and passage.document_id not in scope:
                continue  # never by design (the search ranks only the scope): a last guard
            document = index.documents[passage.document_id]
            url = f"{base}/documents/{document.id}?start={passage.start}&end={passage.end}#cited"
            results.append(
                {
                    "document_id": document.id,
                    "document_title": document.title,
                    "section": passage.section,
                    "text": passage.text,
                    "start": passage.start,
                    "end": passage.end,
                    "page": passage.page,
                    "pages": pages_spanned(document, passage.start, passage.end),
                    "score": round(hit.score, 4),
                    "url": url,
                }
            )
        return results

    return server


def _words(languages: Languages, ctx: Context[Any, Any, Any]) -> Words:
    """The caller's language: the HTTP request's ``Accept-Language``, or the default."""
    request = ctx.request_context.request
    header = request.headers.get("accept-language") if request is not None else None
    return languages.words(languages.negotiate(header))


def _caller(state: AppState, ctx: Context[Any, Any, Any], tool: str) -> Caller:
    """Who calls: the request's Bearer header over HTTP, ``BRIEFING_QA_API_KEY`` over stdio,
    else an anonymous caller (public collections only)."""
    if state.settings.auth != "local":
        return OPEN
    request = ctx.request_context.request
    if request is not None:
        header = request.headers.get("authorization")
        address = client_address(request, state.settings.trusted_proxies)
    else:
        key = state.settings.api_key
        header, address = (f"Bearer {key}" if key else None), "stdio"
    if header is None:
        return Caller("anonymous")
    try:
        return bearer_caller(state, header, f"mcp {tool}", address)
    except HTTPException as refused:
        raise ValueError(str(refused.detail)) from None
