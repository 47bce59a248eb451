"""A restricted document shapes nothing that others see (issue #31).

Two servers in local mode on the same public corpus (the briefing); one also holds a memo in a
collection that only group ``compact`` reads. The memo has names of its own, defines an acronym
of its own (JWOB) and one the briefing uses (OSCE, differently), and shares words with the
briefing (press freedom, Nazarbayev's ruling party, Zhanaozen), so that any corpus-wide
statistic — BM25's document frequencies and normalisation, name frequencies, acronyms, the
names a refusal calls unknown, the respelling of names — would show it.

For every question and every way out, what an anonymous caller and a signed-in reader outside
the group get is byte-identical on both servers, once what names the index version, a time or
a per-request token is taken out. The group's reader gets the memo answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import html
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index import Embedder
from service.state import AppState
from service.web.app import create_app
from tests.access_world import (
    ADMIN_TOKEN,
    PASSWORD,
    call_mcp,
    mcp_bodies,
    serve_mcp,
    sign_in,
    upload,
)
from tests.conftest import library_state

MEMO_TITLE = "Brennmoor water compact memo"
MEMO_FILE = f"""# {MEMO_TITLE}

## Summary

The Brennmoor water compact commits Kazakhstan and Kyrgyzstan to share the Tessaly reservoir
from 2016. The Joint Water Oversight Board (JWOB) will allocate the reservoir's water each
spring. The compact is chaired by Halvard Ostrem, who praised press freedom in Almaty.

## Costs

The Tessaly dam will cost 480 million euros, paid by the Orvane fund. The Office for Shared
Catchment Equity (OSCE) audits the payments of the JWOB every year. Nazarbayev's ruling party
has not approved the compact. Opposition newspapers and human rights activists were not
consulted about the Zhanaozen pipeline.
"""
MEMO_ANSWER = "Tessaly dam will cost 480 million euros"
CALLERS = ("anonymous", "otto", "ines")  # otto reads only what is public; ines is in compact
OUTSIDERS = ("anonymous", "otto")
QUESTIONS = [
    # The memo's names, misspelled too (names are respelled the corpus's way).
    "What is the Brennmoor water compact?",
    "Who chairs the Brennmoor compact?",
    "What did Halvard Ostrem say about press freedom?",
    "Where is the Tessaly reservoir?",
    "Who pays for the Tessaly dam?",
    "What does the Orvane fund pay for?",
    "Tell me about Brennmor.",
    # Its acronyms: one of its own, one the briefing defines otherwise.
    "What does the JWOB do?",
    "What is the Joint Water Oversight Board?",
    "What does the OSCE audit?",
    # Its words.
    "How much will the dam cost?",
    "Which countries share the reservoir?",
    "Were activists consulted about the Zhanaozen pipeline?",
    # Ordinary questions about the public briefing.
    "What does the OSCE say about press freedom?",
    "What is Nazarbayev's ruling party called and when was it founded?",
    "What happened in Zhanaozen in December 2011?",
    "What did the European Parliament ask for in 2013?",
    "How did Reporters without Borders rank Kazakhstan?",
    "What is this document about?",
    "Which UN conventions has Kazakhstan not ratified?",
    "What did Human Rights Watch report about Kazakhstan?",
    "What did the EP resolution stress?",
    "Is Mongolia mentioned?",
    "What does section Press freedom say about newspapers?",
]
HISTORY = [{"question": "What does the OSCE say about press freedom?", "answer": ""}]
FOLLOW_UP = "And about women's rights?"
# The no-JavaScript form and the streamed /v1 render the same answers again: a few suffice.
FORM_QUESTIONS = QUESTIONS[::4]


@dataclass
class Server:
    """One server: its state, a client per caller, their API keys, its MCP URL."""

    state: AppState
    clients: dict[str, TestClient]
    keys: dict[str, str]
    mcp: str

    def api(self, caller: str) -> dict[str, str]:
        key = self.keys.get(caller)
        return {"Authorization": f"Bearer {key}"} if key else {}


def _server(root: Path, embedder: Embedder, model_cache: Path, memo: bool) -> Iterator[Server]:
    """A server in local mode on the briefing, with the same accounts, groups and collections
    either way; with ``memo``, the memo uploaded into collection ``memo`` and indexed."""
    state = library_state(root, embedder, model_cache, auth="local")
    state.accounts.add_user("otto", "reader", PASSWORD)
    state.accounts.add_user("ines", "reader", PASSWORD)
    state.accounts.add_group("compact", ["ines"])
    state.collections.set_collection("memo", False, ["compact"], [])
    keys = {name: state.credentials.add_key(name)[1] for name in ("otto", "ines")}
    with ExitStack() as stack:
        clients = {
            caller: stack.enter_context(TestClient(create_app(state.settings, state=state)))
            for caller in CALLERS
        }
        for caller in ("otto", "ines"):
            assert sign_in(clients[caller], caller) == 303
        if memo:
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            memo_id = upload(clients["anonymous"], admin, "brennmoor.md", MEMO_FILE, "memo")
            assert state.jobs.wait_idle(180), "indexing did not finish"
            assert memo_id in state.holder.current().documents
        mcp = stack.enter_context(contextlib.contextmanager(serve_mcp)(state))
        yield Server(state, clients, keys, mcp)


@pytest.fixture(scope="module")
def with_memo(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> Iterator[Server]:
    yield from _server(tmp_path_factory.mktemp("with-memo"), embedder, model_cache, memo=True)


@pytest.fixture(scope="module")
def without_memo(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> Iterator[Server]:
    yield from _server(tmp_path_factory.mktemp("without-memo"), embedder, model_cache, memo=False)


# What differs between any two requests or any two builds, however alike: the index version,
# times, per-request ids and CSRF tokens, the latency series of /metrics.
_VOLATILE_JSON = re.compile(
    r'"(index_version|took_ms|created|id|built_at|added_at|system_fingerprint)": ?'
    r'("(?:chatcmpl|20\d\d)[^"]*"|"\d{8}T[^"]*"|[\d.]+)'
)
_VERSION = re.compile(r"\b\d{8}T\d{12}-[0-9a-f]{6}\b")
_TOKEN = re.compile(r'((?:name="csrf_token" value|name="csrf-token" content)=")[^"]+')
_METRIC_TIMES = re.compile(r"^.*(_created|duration_seconds).*$\n?", re.MULTILINE)


def normalised(body: str) -> str:
    """``body`` without what differs between two requests whatever the corpus (a page's
    entities decoded first: it carries the conversation as JSON in an attribute)."""
    body = _VOLATILE_JSON.sub(r'"\1": 0', html.unescape(body))
    body = _VERSION.sub("<version>", body)
    body = _TOKEN.sub(r"\1<token>", body)
    return _METRIC_TIMES.sub("", body)


def views(server: Server, caller: str) -> dict[str, str]:
    """Everything ``caller`` gets from ``server``, by route and question."""
    client, api = server.clients[caller], server.api(caller)
    seen: dict[str, str] = {}
    for question in QUESTIONS:
        asked = {"question": question}
        seen[f"/ask {question}"] = client.post("/ask", json=asked, headers=api).text
        chat = {"model": "briefing-qa", "messages": [{"role": "user", "content": question}]}
        seen[f"/v1 {question}"] = client.post("/v1/chat/completions", json=chat, headers=api).text
    follow = {"question": FOLLOW_UP, "history": HISTORY}
    seen["/ask follow-up"] = client.post("/ask", json=follow, headers=api).text
    stream = {"model": "briefing-qa", "stream": True}
    for question in FORM_QUESTIONS:
        messages = [{"role": "user", "content": question}]
        seen[f"/v1 stream {question}"] = client.post(
            "/v1/chat/completions", json={**stream, "messages": messages}, headers=api
        ).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
        assert token, "the chat page carries no CSRF token"
        form = {"question": question, "history": "[]", "csrf_token": token.group(1)}
        seen[f"form {question}"] = client.post("/", data=form).text
    calls: list[tuple[str, dict[str, Any]]] = [("ask", {"question": q}) for q in QUESTIONS]
    calls += [("search", {"query": q, "top_k": 10}) for q in QUESTIONS]
    results = mcp_bodies(asyncio.run(call_mcp(server.mcp, server.keys.get(caller), calls)))
    for (tool, arguments), body in zip(calls, results, strict=True):
        seen[f"mcp {tool} {next(iter(arguments.values()))}"] = body
    for path in ("/", "/api/documents", "/health", "/metrics", "/library"):
        response = client.get(path, headers=api)
        seen[f"GET {path}"] = f"{response.status_code} {response.text}"
    return seen


@pytest.mark.parametrize("caller", OUTSIDERS)
def test_noninterference_outsiders_get_the_same_from_both_servers(
    with_memo: Server, without_memo: Server, caller: str
) -> None:
    got = {k: normalised(v) for k, v in views(with_memo, caller).items()}
    expected = {k: normalised(v) for k, v in views(without_memo, caller).items()}
    assert len(got) >= 50
    differing = [k for k in expected if got[k] != expected[k]]
    detail = "\n".join(
        "\n".join(difflib.unified_diff(got[k].splitlines(), expected[k].splitlines(), k, k, n=0))
        for k in differing[:5]
    )
    assert not differing, f"{len(differing)} of {len(got)} views differ: {differing}\n{detail}"


def test_noninterference_the_group_reader_gets_the_memo_answered(with_memo: Server) -> None:
    client, api = with_memo.clients["ines"], with_memo.api("ines")
    answer = client.post("/ask", json={"question": "Who pays for the Tessaly dam?"}, headers=api)
    body = answer.json()
    assert body["answered"] is True, body
    assert MEMO_ANSWER in body["answer"]
    assert "Orvane" in body["answer"]
    asked = client.post("/ask", json={"question": "What does the JWOB do?"}, headers=api).json()
    assert asked["answered"] is True and "allocate" in asked["answer"], asked
    assert MEMO_TITLE in client.get("/").text


def test_noninterference_outsiders_are_told_the_memo_names_are_unknown(
    with_memo: Server,
) -> None:
    for caller in OUTSIDERS:
        client, api = with_memo.clients[caller], with_memo.api(caller)
        asked = {"question": "What did Halvard Ostrem say about press freedom?"}
        body = client.post("/ask", json=asked, headers=api).json()
        assert body["answered"] is False, body
        assert "Halvard" in body["answer"] and "not mentioned" in body["answer"], body
        assert json.dumps(body).count("Brennmoor") == 0
