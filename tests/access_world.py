"""A deployment in local mode for the access tests (issue #25): a secret document in
collection ``a`` (readable by group ``ateam`` only), a document in ``b`` (read and written by
group ``bteam``), the public briefing in ``default``; four callers — nobody, alice (a reader in
``ateam``), bob (an editor in ``bteam``), root (an admin) — each with a client of their own:
signed in by a session cookie for the pages, by an API key for the JSON routes."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi.testclient import TestClient
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from index import Embedder
from service.state import AppState
from service.web.app import create_app
from service.web.mcp_server import build_server
from tests.conftest import library_state

ADMIN_TOKEN = "test-token"
PASSWORD = "correct horse battery"
SECRET_TITLE = "Kestrel relocation memo"
SECRET_SENTENCES = (
    "Project Kestrel will move the Varnholt archive to Quellmark before the autumn audit.",
    "The transfer is paid for by the Orsolan trust.",
)
# Words of the secret that no public document has: a body that holds one learned it here.
SECRET_WORDS = ("Kestrel", "Varnholt", "Quellmark", "Orsolan")
SECRET_FILE = f"# {SECRET_TITLE}\n\n{' '.join(SECRET_SENTENCES)}\n"
B_TITLE = "Tarnwick harbour tariffs"
B_SENTENCES = ("The Tarnwick harbour tariff rose by four percent in 2021.",)
B_FILE = f"# {B_TITLE}\n\n{B_SENTENCES[0]}\n"
CALLERS = ("anonymous", "alice", "bob", "root")
# Who may read collection a (the secret) and collection b.
READS_A = {"alice", "root"}
READS_B = {"bob", "root"}


@dataclass
class Secret:
    """A document some callers may not read, and what would give it away."""

    document_id: str
    title: str
    sentences: tuple[str, ...]
    words: tuple[str, ...]
    readers: set[str]

    def giveaways(self) -> list[str]:
        """The strings that must not reach a caller outside ``readers``."""
        return [self.document_id, self.title, *self.sentences, *self.words]


@dataclass
class World:
    """The state, one client per caller, their keys, and the documents."""

    state: AppState
    pages: dict[str, TestClient]  # signed in by cookie (anonymous: no cookie)
    keys: dict[str, str]  # API keys (anonymous: none)
    secrets: dict[str, Secret] = field(default_factory=dict)
    public_id: str = "kazakhstan-human-rights-situation"

    def api_headers(self, caller: str) -> dict[str, str]:
        """The Bearer header of ``caller``'s API key (none for the anonymous caller)."""
        key = self.keys.get(caller)
        return {"Authorization": f"Bearer {key}"} if key else {}

    def csrf(self, caller: str) -> str:
        """The CSRF token ``caller``'s pages carry."""
        page = self.pages[caller].get("/")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found, "the chat page carries no CSRF token"
        return found.group(1)

    def unreadable(self, caller: str) -> list[Secret]:
        """The documents ``caller`` may not read."""
        return [s for s in self.secrets.values() if caller not in s.readers]


def set_up_accounts(state: AppState) -> dict[str, str]:
    """Users, groups and collections of the world; returns each named caller's API key."""
    accounts, credentials = state.accounts, state.credentials
    for name, role in (("alice", "reader"), ("bob", "editor"), ("root", "admin")):
        accounts.add_user(name, role, PASSWORD)
    accounts.add_group("ateam", ["alice"])
    accounts.add_group("bteam", ["bob"])
    state.collections.set_collection("a", False, ["ateam"], [])
    state.collections.set_collection("b", False, ["bteam"], ["bteam"])
    return {name: credentials.add_key(name)[1] for name in ("alice", "bob", "root")}


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    """Sign ``client`` in through the login form (with its CSRF token); returns the status."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "the login form carries no CSRF token"
    response = client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    return response.status_code


def upload(client: TestClient, headers: dict[str, str], name: str, text: str, shelf: str) -> str:
    """Upload one file into collection ``shelf``; returns its document id."""
    response = client.post(
        "/api/documents",
        files=[("file", (name, text.encode()))],
        data={"collection": shelf},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    accepted = response.json()["accepted"]
    assert accepted, response.text
    return str(accepted[0]["id"])


def build_world(
    root: Path, embedder: Embedder, model_cache: Path, **settings: Any
) -> Iterator[World]:
    """The world, ready: documents uploaded and indexed, every named caller signed in."""
    state = library_state(root, embedder, model_cache, auth="local", **settings)
    keys = set_up_accounts(state)
    with ExitStack() as stack:
        pages = {
            caller: stack.enter_context(TestClient(create_app(state.settings, state=state)))
            for caller in CALLERS
        }
        world = World(state, pages, keys)
        for caller in ("alice", "bob", "root"):
            assert sign_in(pages[caller], caller) == 303
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        secret = upload(pages["anonymous"], admin, "kestrel.md", SECRET_FILE, "a")
        b_doc = upload(pages["anonymous"], world.api_headers("bob"), "tarnwick.md", B_FILE, "b")
        assert state.jobs.wait_idle(180), "indexing did not finish"
        deadline = time.monotonic() + 30
        while not {secret, b_doc} <= set(state.holder.current().documents):
            assert time.monotonic() < deadline, "the uploads were not indexed"
            time.sleep(0.2)
        world.secrets = {
            "a": Secret(secret, SECRET_TITLE, SECRET_SENTENCES, SECRET_WORDS, READS_A),
            "b": Secret(b_doc, B_TITLE, B_SENTENCES, ("Tarnwick",), READS_B),
        }
        yield world


def serve_mcp(state: AppState) -> Iterator[str]:
    """The MCP tools over streamable HTTP, on ``state``, in a thread; yields their URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = build_server(state.settings, state).streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the MCP server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=10)


async def call_mcp(url: str, key: str | None, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """The results of ``calls`` (tool, arguments) in one MCP session, as ``key``'s holder."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return [await session.call_tool(name, arguments) for name, arguments in calls]


def mcp_bodies(results: list[Any]) -> list[str]:
    """Each MCP result as one string: its structured content and its text."""
    return [
        json.dumps(r.structuredContent, ensure_ascii=False)
        + " ".join(getattr(c, "text", "") for c in r.content)
        for r in results
    ]
