"""The MCP server, started as users start it (``briefing-qa mcp`` over stdio) and driven by the
official ``mcp`` client."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from service.state import AppState
from tests.conftest import free_port, settings_env


def call(
    app_state: AppState, steps: list[tuple[str, dict[str, Any]]], **extra_env: str
) -> list[Any]:
    """Start ``briefing-qa mcp`` on the session's index, list its tools, call ``steps``."""
    env = {**settings_env(app_state.settings), **extra_env, "HF_HUB_OFFLINE": "1"}
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "service.cli", "mcp"], env=env
    )

    async def run() -> list[Any]:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            results: list[Any] = [await session.list_tools()]
            for name, arguments in steps:
                results.append(await session.call_tool(name, arguments))
            return results

    return asyncio.run(asyncio.wait_for(run(), timeout=120))


NEWSPAPER = "Which newspaper was closed down by a court in 2014?"


@pytest.fixture(scope="module")
def results(app_state: AppState) -> list[Any]:
    return call(
        app_state,
        [
            ("ask", {"question": "How many votes did Nazarbayev get in 2011?"}),
            ("search", {"query": "press freedom ranking", "top_k": 3}),
            (
                "ask",
                {
                    "question": "why?",
                    "history": [
                        # The history a client sends back: this server's own earlier answer.
                        {"question": NEWSPAPER, "answer": app_state.answerer.ask(NEWSPAPER).answer}
                    ],
                },
            ),
            ("ask", {"question": "How do I apply for a tourist visa?"}),
            ("ask", {"question": "Who?", "documents": ["no-such-document"]}),
        ],
    )


def test_mcp_lists_the_ask_and_search_tools(results: list[Any]) -> None:
    tools = {tool.name: tool for tool in results[0].tools}
    assert set(tools) == {"ask", "search"}
    assert "question" in tools["ask"].inputSchema["properties"]


def test_mcp_ask_gives_a_cited_answer_with_links(results: list[Any]) -> None:
    answer = results[1].structuredContent
    assert answer["answered"] is True and "95.55" in answer["answer"]
    assert 0 < answer["confidence"] <= 1
    assert answer["citations"][0]["url"].startswith("http://127.0.0.1:8000/documents/")
    assert answer["settles"] is None  # not a yes/no question (issue #33)


def test_mcp_links_use_the_public_url_behind_a_balancer(app_state: AppState) -> None:
    question = {"question": "How many votes did Nazarbayev get in 2011?"}
    public = "https://qa.example.org/briefings"
    _, reply = call(app_state, [("ask", question)], BRIEFING_QA_PUBLIC_URL=public + "/")
    answer = reply.structuredContent
    assert answer["citations"][0]["url"].startswith(public + "/documents/")
    assert public + "/documents/" in reply.content[0].text


def test_mcp_search_ranks_passages_with_offsets(results: list[Any]) -> None:
    passages = results[2].structuredContent["result"]
    assert len(passages) == 3
    assert "161 of 180" in " ".join(p["text"] for p in passages)
    assert all(p["end"] > p["start"] for p in passages)


def test_mcp_ask_follows_the_conversation(results: list[Any]) -> None:
    assert "technical" in results[3].structuredContent["answer"]


def test_mcp_ask_refuses_plainly(results: list[Any]) -> None:
    answer = results[4].structuredContent
    assert answer["answered"] is False and answer["citations"] == []
    assert answer["answer"].startswith("\u201cKazakhstan: human rights situation\u201d")
    assert answer["refusal"]["code"]


def test_mcp_over_stdio_speaks_the_default_language(app_state: AppState) -> None:
    question = {"question": "What did Human Rights Watch report?"}
    found = call(app_state, [("ask", question)], BRIEFING_QA_DEFAULT_LANGUAGE="fr")
    answer = found[1].structuredContent
    assert answer["answer"].startswith("\u00ab\u00a0Kazakhstan: human rights situation\u00a0\u00bb")
    assert "il n'y est fait aucune mention de Human Rights Watch" in answer["answer"]
    assert answer["refusal"]["code"] == "not_mentioned"


def test_mcp_unknown_document_is_a_tool_error(results: list[Any]) -> None:
    assert results[5].isError
    assert "unknown document id" in results[5].content[0].text


def test_mcp_over_streamable_http(app_state: AppState) -> None:
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    env = settings_env(app_state.settings)
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "mcp", "--http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    async def run() -> Any:
        for _ in range(300):  # the model and index load first
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                await asyncio.sleep(0.1)
        async with (
            streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await session.call_tool("search", {"query": "Zhanaozen", "top_k": 2})

    try:
        result = asyncio.run(asyncio.wait_for(run(), timeout=120))
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert len(result.structuredContent["result"]) == 2
