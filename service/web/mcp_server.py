"""briefing-qa as a Model Context Protocol server (the official ``mcp`` SDK): agents and IDEs
call ``ask`` (a quoted, cited answer or an honest refusal) and ``search`` (ranked passages).

``briefing-qa mcp`` speaks over stdio; ``briefing-qa mcp --http`` serves the same tools over
streamable HTTP. The model and the index load once, when the server starts.
"""

from __future__ import annotations

from typing import Any

from mcp.server.fastmcp import FastMCP

from index import search as search_passages
from index.acronyms import expand_acronyms

from ..answering import Turn
from ..settings import Settings
from ..state import AppState, IndexHolder, load_embedder
from .text_input import clean_question, validate_history


def build_server(settings: Settings, state: AppState | None = None) -> FastMCP:
    """The MCP server with its two tools, over the index ``settings`` name."""
    if state is None:
        embedder = load_embedder(settings)
        holder = IndexHolder(settings, embedder)
        holder.load(build_if_missing=settings.build_on_start)
        state = AppState(settings, embedder, holder)
    app_state = state
    # Links open the cited passage in the web app that serves the same index.
    base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    server = FastMCP(
        "briefing-qa",
        instructions="Answers questions about the indexed policy briefings with sentences "
        "quoted from them, each cited; says so when the documents do not answer.",
        host=settings.host,
        port=settings.mcp_port,
    )

    @server.tool()
    def ask(
        question: str,
        history: list[dict[str, str]] | None = None,
        documents: list[str] | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the documents with quoted, cited sentences.

        Args:
            question: the question.
            history: earlier turns, oldest first: [{"question": ..., "answer": ...}].
            documents: document ids to answer from (all when omitted).
        """
        index = app_state.holder.current()
        unknown = [d for d in documents or [] if d not in index.documents]
        if unknown:
            raise ValueError(f"unknown document id {unknown[0]!r}")
        turns: list[Turn] = validate_history(history or [], app_state.settings)
        answer = app_state.answerer.ask(
            clean_question(question, app_state.settings),
            turns,
            app_state.settings.top_k,
            "hybrid",
            documents or None,
        )
        return {
            "answered": answer.answered,
            "answer": answer.answer,
            "confidence": answer.confidence,
            "standalone_question": answer.standalone_question,
            "citations": [{**vars(c), "url": base + c.url} for c in answer.citations],
        }

    @server.tool()
    def search(query: str, top_k: int = 5) -> list[dict[str, Any]]:
        """Passages ranked by hybrid search (dense + BM25), with their document, section and
        character offsets.

        Args:
            query: what to look for.
            top_k: how many passages (1 to 20).
        """
        index = app_state.holder.current()
        text = expand_acronyms(clean_question(query, app_state.settings), index.acronyms)
        vector = app_state.embedder.encode_one(text)
        hits = search_passages(index, text, vector, k=max(1, min(top_k, 20)))
        results = []
        for hit in hits:
            passage = index.passages[hit.passage_id]
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
                    "score": round(hit.score, 4),
                    "url": url,
                }
            )
        return results

    return server
