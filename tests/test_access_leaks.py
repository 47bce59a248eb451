"""Who may read what (issue #25): a secret sentence in a collection readable by one group never
reaches anyone outside it — not its sentence, title, document id or a word only it uses — by any
way out: /ask, the chat page and its starters, the no-JavaScript form, /v1/chat/completions
(whole and streamed), the MCP ``ask`` and ``search`` tools, the document view, /api/documents,
related sections, feedback, the answer cache, /health and /metrics. A request naming it is
answered exactly as one naming a document that does not exist. Its readers get it as usual.

The matrix: every route x {anonymous, alice (reader of a), bob (editor of b), root (admin)},
property-based (hypothesis, derandomised) over the question's wording around the secret's words
(misspelled too: names are respelled the corpus's way), history turns that quote it, and
document scopes that name it.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import Embedder
from service.answering import Answer, Citation
from service.web.reading import within_scope
from tests.access_world import (
    ADMIN_TOKEN,
    CALLERS,
    SECRET_SENTENCES,
    SECRET_TITLE,
    World,
    build_world,
    call_mcp,
    mcp_bodies,
    serve_mcp,
)
from tests.conftest import settings_env

FAKE_ID = "no-such-document-0000"
NAMES = [
    # Misspelled: the answerer respells an unknown name the corpus's way, and shows it.
    "Kestral",
    "Varnhold",
    "Quelmark",
    "Orsolen",
    "Kestrel",
    "Project Kestrel",
    "Varnholt",
    "Quellmark",
    "Orsolan",
    "the Kestrel relocation memo",
]
TEMPLATES = [
    "Where will {0} move the archive?",
    "What is {0}?",
    "Who pays for {0}?",
    "When is the autumn audit of {0}?",
    "Tell me about {0} and {1}.",
    "What does the document about {0} say?",
    "Summarise {0}",
    "{0}?",
    "Why?",
    "And who pays for it?",
]
HISTORIES: list[list[dict[str, str]]] = [
    [],
    [
        {
            "question": "Where will Project Kestrel move the Varnholt archive?",
            "answer": f"{SECRET_SENTENCES[0]} [1]",
        }
    ],
    [{"question": "Who pays for the transfer?", "answer": f"{SECRET_SENTENCES[1]} [1]"}],
    [{"question": "What is in the Kestrel relocation memo?", "answer": ""}],
]
SCOPES = ["all", "secret", "secret+public", "public", "b"]
CANONICAL = "Where will Project Kestrel move the Varnholt archive?"

questions = st.builds(
    lambda template, a, b: template.format(a, b),
    st.sampled_from(TEMPLATES),
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
)
PROPERTY = settings(
    max_examples=24,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("access"), embedder, model_cache)


@pytest.fixture(scope="module")
def mcp_url(world: World) -> Iterator[str]:
    """The MCP tools over streamable HTTP, on the world's state, in a thread."""
    yield from serve_mcp(world.state)


def assert_no_leak(world: World, caller: str, body: str, asked: str, where: str) -> None:
    """No giveaway of a document ``caller`` may not read is in ``body``, unless the caller said
    it themselves (a question and its history are echoed back)."""
    lowered, said = body.lower(), asked.lower()
    for secret in world.unreadable(caller):
        for giveaway in secret.giveaways():
            word = giveaway.lower()
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", said):
                continue
            assert word not in lowered, f"{where}: {caller} was shown {giveaway!r}: {body[:600]}"


def scope_ids(world: World, scope: str) -> list[str] | None:
    secret, b_doc = world.secrets["a"].document_id, world.secrets["b"].document_id
    return {
        "all": None,
        "secret": [secret],
        "secret+public": [secret, world.public_id],
        "public": [world.public_id],
        "b": [b_doc],
    }[scope]


def form_history(history: list[dict[str, str]]) -> str:
    """The history as the no-JS form carries it (the turns as the page rendered them)."""
    turns = [
        {
            "question": t["question"],
            "standalone_question": t["question"],
            "answered": bool(t["answer"]),
            "answer": t["answer"],
            "citations": [],
            "index_version": "earlier",
            "took_ms": 1.0,
        }
        for t in history
    ]
    return json.dumps(turns)


def every_way(
    world: World, caller: str, question: str, history: list[dict[str, str]], docs: Any
) -> dict[str, str]:
    """The bodies of /ask, the form, and /v1 (whole and streamed) for one question."""
    client, api = world.pages[caller], world.api_headers(caller)
    asked: dict[str, Any] = {"question": question, "history": history}
    if docs is not None:
        asked["documents"] = docs
    bodies = {"/ask": client.post("/ask", json=asked, headers=api).text}
    form = {
        "question": question,
        "history": form_history(history),
        "csrf_token": world.csrf(caller),
    }
    if docs is not None:
        form["documents"] = docs
    bodies["form"] = client.post("/", data=form, headers={}).text
    messages: list[dict[str, str]] = []
    for turn in history:
        messages += [{"role": "user", "content": turn["question"]}]
        messages += [{"role": "assistant", "content": turn["answer"] or "…"}]
    chat: dict[str, Any] = {
        "model": "briefing-qa",
        "messages": [*messages, {"role": "user", "content": question}],
    }
    if docs is not None:
        chat["documents"] = docs
    bodies["/v1"] = client.post("/v1/chat/completions", json=chat, headers=api).text
    bodies["/v1 stream"] = client.post(
        "/v1/chat/completions", json={**chat, "stream": True}, headers=api
    ).text
    return bodies


def _normalised(body: str, document_id: str) -> str:
    body = body.replace(document_id, "<ID>")
    return re.sub(r'"(took_ms|created|id)": ?("[^"]*"|[\d.]+)', r'"\1": 0', body)


@PROPERTY
@given(question=questions, history=st.sampled_from(HISTORIES), scope=st.sampled_from(SCOPES))
def test_access_secret_reaches_no_outsider_by_any_answer_route(
    world: World, question: str, history: list[dict[str, str]], scope: str
) -> None:
    docs = scope_ids(world, scope)
    asked = json.dumps({"question": question, "history": history, "documents": docs})
    for caller in ("alice", "root", "anonymous", "bob"):  # readers first: their answers cached
        real = every_way(world, caller, question, history, docs)
        for route, body in real.items():
            assert_no_leak(world, caller, body, asked, route)
        hidden = [s.document_id for s in world.unreadable(caller) if s.document_id in (docs or [])]
        for document_id in hidden:  # answered exactly as if it named no document at all
            fake = [FAKE_ID if d == document_id else d for d in docs or []]
            made_up = every_way(world, caller, question, history, fake)
            for route in ("/ask", "form", "/v1"):
                assert _normalised(real[route], document_id) == _normalised(
                    made_up[route], FAKE_ID
                ), route


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(question=questions, history=st.sampled_from(HISTORIES), scope=st.sampled_from(SCOPES))
def test_access_secret_reaches_no_outsider_through_mcp(
    world: World, mcp_url: str, question: str, history: list[dict[str, str]], scope: str
) -> None:
    docs = scope_ids(world, scope)
    arguments: dict[str, Any] = {"question": question, "history": history}
    if docs is not None:
        arguments["documents"] = docs
    asked = json.dumps(arguments)
    for caller in CALLERS:
        secret = world.secrets["a"]
        calls = [("ask", arguments), ("search", {"query": question, "top_k": 10})]
        named = docs is not None and secret.document_id in docs
        if named:
            fake = [FAKE_ID if d == secret.document_id else d for d in docs or []]
            calls.append(("ask", {**arguments, "documents": fake}))
        bodies = mcp_bodies(asyncio.run(call_mcp(mcp_url, world.keys.get(caller), calls)))
        for where, body in zip(("ask", "search"), bodies, strict=False):
            assert_no_leak(world, caller, body, asked, f"mcp {where}")
        if named and caller not in secret.readers:  # the error of an id that does not exist
            assert bodies[0].replace(secret.document_id, "<ID>") == bodies[2].replace(
                FAKE_ID, "<ID>"
            )


@pytest.mark.parametrize("caller", ["alice", "root"])
def test_access_readers_get_the_secret_answered_by_every_route(world: World, caller: str) -> None:
    bodies = every_way(world, caller, CANONICAL, [], None)
    for route, body in bodies.items():
        assert "Varnholt archive to Quellmark" in body, f"{route}: {body[:300]}"
    assert world.secrets["a"].document_id in json.loads(bodies["/ask"])["citations"][0]["url"]


@pytest.mark.parametrize("caller", ["alice", "root"])
def test_access_readers_get_the_secret_through_mcp(world: World, mcp_url: str, caller: str) -> None:
    results = asyncio.run(
        call_mcp(
            mcp_url,
            world.keys[caller],
            [("ask", {"question": CANONICAL}), ("search", {"query": "Varnholt archive"})],
        )
    )
    ask, search = mcp_bodies(results)
    assert "Varnholt archive to Quellmark" in ask
    assert world.secrets["a"].document_id in search


def test_access_the_answer_cache_is_keyed_by_what_the_caller_may_read(world: World) -> None:
    first = world.pages["alice"].post(
        "/ask", json={"question": CANONICAL}, headers=world.api_headers("alice")
    )
    assert "Quellmark" in first.text  # now remembered for alice's readable set
    again = world.pages["anonymous"].post("/ask", json={"question": CANONICAL})
    assert again.json()["answered"] is False
    assert_no_leak(world, "anonymous", again.text, CANONICAL, "/ask after a reader's answer")


PAGES = ["/", "/library", "/login", "/api/documents", "/health", "/docs"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", PAGES)
def test_access_pages_and_lists_show_outsiders_nothing_of_the_secret(
    world: World, caller: str, path: str
) -> None:
    response = world.pages[caller].get(path, headers=world.api_headers(caller))
    assert response.status_code == 200, response.text
    assert_no_leak(world, caller, response.text, "", path)


@pytest.mark.parametrize("caller", CALLERS)
def test_access_the_secret_is_listed_and_counted_only_for_its_readers(
    world: World, caller: str
) -> None:
    client, api = world.pages[caller], world.api_headers(caller)
    listed = {d["id"]: d for d in client.get("/api/documents", headers=api).json()}
    secret = world.secrets["a"]
    assert (secret.document_id in listed) == (caller in secret.readers)
    if caller in secret.readers:
        assert listed[secret.document_id]["collection"] == "a"
    readable = 1 + sum(caller in s.readers for s in world.secrets.values())
    assert client.get("/health").json()["documents"] == readable
    assert f"{readable} document" in client.get("/").text  # the footer counts the same


@pytest.mark.parametrize("caller", CALLERS)
def test_access_document_view_of_the_secret_is_a_404_like_no_document(
    world: World, caller: str
) -> None:
    client, secret = world.pages[caller], world.secrets["a"]
    shown = client.get(f"/documents/{secret.document_id}")
    if caller in secret.readers:
        assert shown.status_code == 200 and SECRET_TITLE in shown.text
        return
    missing = client.get(f"/documents/{FAKE_ID}")
    assert shown.status_code == missing.status_code == 404
    assert _normalised(shown.text, secret.document_id) == _normalised(missing.text, FAKE_ID)


def test_access_feedback_is_seen_by_its_author_and_admins_only(world: World) -> None:
    alice = world.pages["alice"]
    rated = alice.post(
        "/feedback",
        json={"question": CANONICAL, "answer": SECRET_SENTENCES[0], "rating": "up"},
        headers=world.api_headers("alice"),
    )
    assert rated.status_code == 201
    mine = alice.get("/api/feedback", headers=world.api_headers("alice")).json()
    assert any(SECRET_SENTENCES[0] in row["answer"] for row in mine)
    assert all(row["user_name"] == "alice" for row in mine)
    bob = world.pages["bob"].get("/api/feedback", headers=world.api_headers("bob"))
    assert bob.status_code == 200 and SECRET_SENTENCES[0] not in bob.text
    assert world.pages["anonymous"].get("/api/feedback").status_code == 401
    every = world.pages["root"].get("/api/feedback", headers=world.api_headers("root")).json()
    assert any(row["user_name"] == "alice" for row in every)


@pytest.mark.parametrize(
    ("caller", "status"), [("anonymous", 401), ("alice", 403), ("bob", 403), ("root", 200)]
)
def test_access_metrics_are_for_admins_only(world: World, caller: str, status: int) -> None:
    # They count the whole index, which a reader of some collections may not know (#31).
    by_key = world.pages["anonymous"].get("/metrics", headers=world.api_headers(caller))
    by_session = world.pages[caller].get("/metrics")
    assert by_key.status_code == by_session.status_code == status, by_key.text
    if status == 200:
        assert "briefing_qa_index_documents 3.0" in by_key.text
    else:
        assert "briefing_qa_" not in by_key.text and "admin" in by_key.json()["error"]["message"]
    token = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert world.pages["anonymous"].get("/metrics", headers=token).status_code == 200


def test_access_metrics_carry_no_title_or_text(world: World) -> None:
    world.pages["alice"].get(f"/documents/{world.secrets['a'].document_id}")
    scraped = world.pages["root"].get("/metrics").text
    for secret in world.secrets.values():
        for giveaway in secret.giveaways():
            assert giveaway.lower() not in scraped.lower()


def test_access_an_answer_citing_outside_its_scope_is_refused_instead() -> None:
    cited = Citation(
        1, "elsewhere", "Other", "", "A sentence.", 0, 11, None, 0.9, [], "/documents/x"
    )
    leaky = Answer("q", "q", True, "A sentence. [1]", [cited], "v1", 1.0)
    guarded = within_scope(leaky, ["mine"])
    assert guarded.answered is False and guarded.citations == []
    assert "A sentence" not in guarded.answer
    assert within_scope(leaky, ["elsewhere"]) is leaky


def test_access_mcp_over_stdio_acts_for_its_api_key(world: World) -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def ask(key: str | None) -> str:
        env = settings_env(world.state.settings, auth="local", **({"api_key": key} if key else {}))
        server = StdioServerParameters(
            command=sys.executable, args=["-m", "service.cli", "mcp"], env=env
        )
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("ask", {"question": CANONICAL})
            return json.dumps(result.structuredContent)

    assert "Quellmark" in asyncio.run(asyncio.wait_for(ask(world.keys["alice"]), 120))
    anonymous = asyncio.run(asyncio.wait_for(ask(None), 120))
    assert_no_leak(world, "anonymous", anonymous, CANONICAL, "mcp over stdio")
