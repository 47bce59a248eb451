"""Accounts in local mode (issue #25): sessions that end on sign-out and on a password change,
CSRF tokens on every form and on cookie-authenticated JSON calls, sign-in failures limited per
account and per address across replicas (Redis), keys and passwords never stored in clear, who
may write which collection, revocations that count at the next request, and the audit log."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from index import Embedder
from service.library import Accounts, Collections, Credentials, Library, database_url
from service.library.access_tables import api_keys, sessions, users
from service.library.migrate import alembic_config
from service.settings import Settings
from service.web.app import create_app
from service.web.middleware import SharedRateLimiter
from tests.access_world import (
    ADMIN_TOKEN,
    PASSWORD,
    SECRET_SENTENCES,
    World,
    build_world,
    sign_in,
)
from tests.conftest import settings_env

REDIS = "redis://127.0.0.1:6379"
CANONICAL = "Where will Project Kestrel move the Varnholt archive?"


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("accounts"), embedder, model_cache)


@pytest.fixture()
def fresh_client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.state.settings, state=world.state)) as client:
        yield client


def new_user(world: World, role: str = "reader", group: str | None = "ateam") -> str:
    """A user of the test's own (tests that end sessions or revoke keys leave others alone)."""
    name = f"user{uuid.uuid4().hex[:8]}"
    world.state.accounts.add_user(name, role, PASSWORD)
    if group:
        world.state.accounts.add_group(group, [name])
    return name


def token_of(client: TestClient, path: str = "/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"{path} carries no CSRF token"
    return found.group(1)


def reads_secret(client: TestClient, headers: dict[str, str] | None = None) -> bool:
    body = client.post("/ask", json={"question": CANONICAL}, headers=headers or {}).text
    return "Varnholt archive to Quellmark" in body


# ---- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/", {"question": "Who is the president?", "history": "[]"}),
        ("/logout", {}),
        ("/account/password", {"current": PASSWORD, "new": "another password"}),
    ],
)
def test_csrf_form_post_without_the_token_is_refused(
    world: World, fresh_client: TestClient, path: str, data: dict[str, str]
) -> None:
    assert sign_in(fresh_client, new_user(world)) == 303
    assert fresh_client.post(path, data=data).status_code == 403
    assert fresh_client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    assert fresh_client.get("/account").status_code == 200  # still signed in: nothing changed


def test_csrf_login_form_needs_its_pre_session_token(fresh_client: TestClient) -> None:
    refused = fresh_client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert refused.status_code == 403
    assert sign_in(fresh_client, "alice") == 303


def test_csrf_form_post_with_the_token_is_answered(world: World, fresh_client: TestClient) -> None:
    assert sign_in(fresh_client, new_user(world)) == 303
    form = {"question": CANONICAL, "history": "[]", "csrf_token": token_of(fresh_client)}
    answered = fresh_client.post("/", data=form)
    assert answered.status_code == 200 and "Quellmark" in answered.text


def test_csrf_cookie_json_calls_need_the_header(world: World, fresh_client: TestClient) -> None:
    assert sign_in(fresh_client, new_user(world)) == 303
    asked = {"question": CANONICAL}
    assert fresh_client.post("/ask", json=asked).status_code == 403
    with_header = fresh_client.post(
        "/ask", json=asked, headers={"X-CSRF-Token": token_of(fresh_client)}
    )
    assert with_header.status_code == 200 and "Quellmark" in with_header.text


def test_csrf_upload_with_a_session_needs_the_header(world: World) -> None:
    bob = world.pages["bob"]
    files = [("file", ("notes.md", b"# Notes\n\nThe Tarnwick pier opened in 1990.\n"))]
    refused = bob.post("/api/documents", files=files, data={"collection": "b"})
    assert refused.status_code == 403
    assert bob.delete(f"/api/documents/{world.secrets['b'].document_id}").status_code == 403


# ---- sessions -----------------------------------------------------------------------------


def test_session_ends_on_sign_out(world: World, fresh_client: TestClient) -> None:
    assert sign_in(fresh_client, new_user(world)) == 303
    cookie = fresh_client.cookies["briefing_qa_sid"]
    assert reads_secret(fresh_client, {"X-CSRF-Token": token_of(fresh_client)})
    out = fresh_client.post("/logout", data={"csrf_token": token_of(fresh_client)})
    assert out.status_code == 200 and "Sign in" in out.text
    with TestClient(create_app(world.state.settings, state=world.state)) as replay:
        replay.cookies.set("briefing_qa_sid", cookie)
        assert "/account" not in replay.get("/").text  # the old cookie signs nobody in
        assert not reads_secret(replay)


def test_session_ends_on_password_change(world: World, fresh_client: TestClient) -> None:
    name = new_user(world)
    assert sign_in(fresh_client, name) == 303
    with TestClient(create_app(world.state.settings, state=world.state)) as other_browser:
        assert sign_in(other_browser, name) == 303
        changed = fresh_client.post(
            "/account/password",
            data={
                "current": PASSWORD,
                "new": "a new password",
                "csrf_token": token_of(fresh_client),
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303
        signed_out = other_browser.get("/account", follow_redirects=False)
        assert signed_out.status_code == 303  # to /login: signed out there too
    assert fresh_client.get("/account", follow_redirects=False).status_code == 303
    assert sign_in(fresh_client, name, "a new password") == 303


def test_session_is_an_http_only_lax_cookie_stored_hashed(
    world: World, fresh_client: TestClient
) -> None:
    name = new_user(world)
    form = fresh_client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    response = fresh_client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    value = fresh_client.cookies["briefing_qa_sid"]
    with world.state.library.engine.connect() as db:
        stored = db.execute(select(sessions.c.id_hash).where(sessions.c.user_name == name)).all()
    assert [row.id_hash for row in stored] == [hashlib.sha256(value.encode()).hexdigest()]


# ---- keys and passwords are never stored in clear ------------------------------------------


def test_keys_and_passwords_are_stored_only_hashed(world: World) -> None:
    with world.state.library.engine.connect() as db:
        keys = db.execute(select(api_keys)).mappings().all()
        hashes = db.execute(select(users.c.password_hash)).scalars().all()
    stored = json.dumps([dict(k) for k in keys], default=str)
    for key in world.keys.values():
        assert key not in stored
        assert hashlib.sha256(key.encode()).hexdigest() in stored
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


# ---- revocation counts at the next request -------------------------------------------------


def test_revoked_key_is_refused_at_the_next_request(world: World, fresh_client: TestClient) -> None:
    key_id, key = world.state.credentials.add_key(new_user(world))
    bearer = {"Authorization": f"Bearer {key}"}
    assert reads_secret(fresh_client, bearer)
    world.state.credentials.revoke_key(key_id)
    refused = fresh_client.post("/ask", json={"question": CANONICAL}, headers=bearer)
    assert refused.status_code == 401
    assert "Quellmark" not in refused.text


def test_removed_membership_hides_the_collection_at_the_next_request(
    world: World, fresh_client: TestClient
) -> None:
    name = new_user(world)
    bearer = {"Authorization": f"Bearer {world.state.credentials.add_key(name)[1]}"}
    assert reads_secret(fresh_client, bearer)
    world.state.accounts.remove_members("ateam", [name])
    assert not reads_secret(fresh_client, bearer)
    gone = fresh_client.get(f"/documents/{world.secrets['a'].document_id}", headers=bearer)
    assert gone.status_code == 404


# ---- who may write what -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "shelf", "status"),
    [
        ("bob", "a", 404),  # not readable: as if there were no such collection
        ("bob", "nosuch", 404),
        ("bob", "default", 403),  # readable, not writable
        ("alice", "a", 403),  # a reader writes nothing
        ("anonymous", "default", 401),
    ],
)
def test_upload_needs_an_editor_of_the_collection(
    world: World, caller: str, shelf: str, status: int
) -> None:
    client = world.pages["anonymous"]
    # Anonymous, as a browser: with the page's token, so the answer is about who may write.
    headers = world.api_headers(caller) or {"X-CSRF-Token": token_of(client, "/login")}
    response = client.post(
        "/api/documents",
        files=[("file", ("x.md", b"# X\n\nThe Tarnwick pier opened in 1990.\n"))],
        data={"collection": shelf},
        headers=headers,
    )
    assert response.status_code == status, response.text
    if status == 404:
        assert response.json()["error"]["message"] == f"no collection named {shelf!r}"


def test_delete_of_an_unreadable_document_is_a_404_like_no_document(world: World) -> None:
    bob, headers = world.pages["bob"], world.api_headers("bob")
    hidden = bob.delete(f"/api/documents/{world.secrets['a'].document_id}", headers=headers)
    missing = bob.delete("/api/documents/no-such-document", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    public = bob.delete(f"/api/documents/{world.public_id}", headers=headers)
    assert public.status_code == 403  # readable, not writable


def test_admin_token_acts_as_an_admin(world: World) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert world.pages["anonymous"].get("/api/index", headers=admin).status_code == 200
    assert reads_secret(world.pages["anonymous"], admin)
    assert world.pages["anonymous"].get("/api/index").status_code == 401


def test_a_made_up_bearer_key_is_refused_not_read_as_anonymous(world: World) -> None:
    response = world.pages["anonymous"].post(
        "/ask", json={"question": "Who?"}, headers={"Authorization": "Bearer bqa_knope_nope"}
    )
    assert response.status_code == 401


# ---- sign-in limits -----------------------------------------------------------------------


@pytest.fixture()
def prefix() -> Iterator[str]:
    name = f"briefing-qa-test-{uuid.uuid4().hex[:8]}"
    yield name
    SharedRateLimiter(REDIS, name, 60, 5).storage.reset()  # this test's keys only


def replicas(world: World, stack: ExitStack, prefix: str, address: str) -> list[TestClient]:
    """Two replicas of the app counting sign-in failures in one Redis, one client each."""
    config = world.state.settings.model_copy(update={"redis_url": REDIS, "redis_prefix": prefix})
    return [
        stack.enter_context(
            TestClient(create_app(config, state=world.state), client=(address, 50000))
        )
        for _ in range(2)
    ]


def test_signin_ten_wrong_passwords_lock_the_account_on_every_replica(
    world: World, prefix: str
) -> None:
    name = new_user(world)
    with ExitStack() as stack:
        statuses = []
        for i in range(10):  # from ten addresses: the account's count, not an address's
            client = replicas(world, stack, prefix, f"10.0.0.{i + 1}")[i % 2]
            statuses.append(sign_in(client, name, "wrong password"))
        fresh = replicas(world, stack, prefix, "10.0.1.1")
        locked = [sign_in(fresh[0], name), sign_in(fresh[1], name)]  # even the right password
        other = sign_in(fresh[1], "alice")  # another account from that address: fine
        form = {"username": name, "password": PASSWORD, "csrf_token": token_of(fresh[0], "/login")}
        retry = fresh[0].post("/login", data=form)
    assert statuses == [401] * 10
    assert locked == [429, 429]
    assert other == 303
    assert 1 <= int(retry.headers["retry-after"]) <= 60


def test_signin_ten_failures_from_one_address_lock_that_address(world: World, prefix: str) -> None:
    with ExitStack() as stack:
        one, two = replicas(world, stack, prefix, "10.0.2.1")
        statuses = [sign_in((one, two)[i % 2], f"nobody{i}", "wrong password") for i in range(10)]
        assert statuses == [401] * 10
        assert sign_in(two, "alice") == 429
        elsewhere = replicas(world, stack, prefix, "10.0.2.2")[0]
        assert sign_in(elsewhere, "alice") == 303


def test_wrong_current_passwords_count_against_the_sign_in_limit(
    world: World, fresh_client: TestClient
) -> None:
    name = new_user(world)
    assert sign_in(fresh_client, name) == 303

    def change(current: str) -> int:
        form = {"current": current, "new": "a new password", "csrf_token": token_of(fresh_client)}
        changed = fresh_client.post("/account/password", data=form, follow_redirects=False)
        return changed.status_code

    assert [change("wrong password") for _ in range(10)] == [401] * 10
    assert change(PASSWORD) == 429  # even the right one, as at /login
    assert world.state.accounts.verify(name, PASSWORD)  # unchanged
    with TestClient(create_app(world.state.settings, state=world.state)) as other:
        assert sign_in(other, name) == 303  # another server's limiter: its own count
    assert sign_in(fresh_client, name) == 429  # this one counted the guesses at sign-in too
    refused = [e for e in world.state.audit.entries() if e["actor"] == name]
    assert [e["action"] for e in refused].count("password-change-failed") == 10
    assert "password-change-refused" in {e["action"] for e in refused}


# ---- the audit log ------------------------------------------------------------------------


def test_audit_write_failure_is_logged_as_an_error_and_counted(
    world: World, fresh_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    audit = world.state.audit
    engine = audit.engine
    audit.engine = create_engine("sqlite://")  # a database without the table: every write fails
    try:
        with caplog.at_level("ERROR", logger="briefing_qa.audit"):
            assert sign_in(fresh_client, new_user(world), "wrong password") == 401
    finally:
        audit.engine = engine
    assert any(
        r.levelname == "ERROR" and "sign-in-failed" in r.getMessage() for r in caplog.records
    )
    scraped = fresh_client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert re.search(r"^briefing_qa_audit_write_failures_total 1\.0$", scraped.text, re.M)


def test_audit_log_records_who_did_what_from_where(world: World, fresh_client: TestClient) -> None:
    name = new_user(world)
    assert sign_in(fresh_client, name, "wrong password") == 401
    assert sign_in(fresh_client, name) == 303
    world.pages["alice"].post("/ask", json={"question": "Who?"}, headers=world.api_headers("alice"))
    entries = world.state.audit.entries()
    mine = [(e["action"], e["actor"], e["address"]) for e in entries if e["actor"] == name]
    assert ("sign-in-failed", name, "testclient") in mine
    assert ("sign-in", name, "testclient") in mine
    actions = {e["action"] for e in entries}
    assert {"upload", "key-use"} <= actions
    upload = next(e for e in entries if e["action"] == "upload" and e["actor"] == "bob")
    assert upload["target"] == world.secrets["b"].document_id
    assert upload["detail"]["collection"] == "b"
    used = [e for e in entries if e["action"] == "key-use" and e["actor"] == "alice"]
    assert used[-1]["target"] == "POST /ask" and used[-1]["at"]


def test_audit_export_prints_json_lines(world: World) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "audit", "export", "--action", "sign-in"],
        capture_output=True,
        text=True,
        env=settings_env(world.state.settings),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and {r["action"] for r in rows} == {"sign-in"}
    assert {"alice", "bob", "root"} <= {r["actor"] for r in rows}


# ---- the CLI, as a real process ------------------------------------------------------------


def cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=settings_env(settings),
        timeout=120,
        check=False,
    )


def test_cli_sets_up_users_groups_collections_and_keys(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    steps = [
        (("users", "add", "erin", "--role", "admin"), "first admin pass\n"),
        (("users", "add", "fred", "--role", "editor"), "fred's password\n"),
        (("groups", "add", "press", "--members", "erin,fred"), ""),
        (("collections", "add", "embargoed", "--readers", "press", "--writers", "press"), ""),
        (("collections", "add", "open", "--public"), ""),
        (("users", "passwd", "fred"), "fred's new password\n"),
    ]
    for args, stdin in steps:
        result = cli(settings, *args, stdin=stdin)
        assert result.returncode == 0, (args, result.stderr)
    made = cli(settings, "keys", "add", "fred")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    key_id = re.search(r"key (k[0-9a-f]+) for fred", made.stderr)
    assert key.startswith("bqa_") and key_id
    engine = Library(database_url(None, settings.index_dir)).engine
    accounts, credentials = Accounts(engine), Credentials(engine)
    assert accounts.verify("fred", "fred's new password")
    assert not accounts.verify("fred", "fred's password")
    member = credentials.key_member(key)
    assert member is not None and member.groups == frozenset({"press"})
    policy = Collections(engine).policy()
    assert policy.readable({"press"}) >= {"embargoed", "open", "default"}
    assert policy.readable(set()) == frozenset({"open", "default"})
    assert cli(settings, "keys", "revoke", key_id.group(1)).returncode == 0
    assert credentials.key_member(key) is None
    listed = cli(settings, "keys", "list").stdout
    assert key not in listed and "revoked_at" in listed


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("users", "add", "gina", "--role", "king"), "long enough\n", "role must be one of"),
        (("users", "add", "hal"), "short\n", "8 to 1000 characters"),
        (("groups", "add", "team", "--members", "nobody"), "", "no user 'nobody'"),
        (("collections", "add", "x", "--public", "--readers", "g"), "", "either --public"),
        (("collections", "add", "Bad-Name", "--public"), "", "letters and digits"),
        (("keys", "revoke", "k000"), "", "no key 'k000'"),
    ],
)
def test_cli_refuses_bad_requests_with_a_reason(
    tmp_path: Path, args: tuple[str, ...], stdin: str, says: str
) -> None:
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    result = cli(settings, *args, stdin=stdin)
    assert result.returncode == 2
    assert says in result.stderr


def test_secret_feedback_of_a_reader_is_not_in_another_readers_list(world: World) -> None:
    name = new_user(world)
    key = world.state.credentials.add_key(name)[1]
    bearer = {"Authorization": f"Bearer {key}"}
    client = world.pages["anonymous"]
    body = {"question": CANONICAL, "answer": SECRET_SENTENCES[0], "rating": "down"}
    assert client.post("/feedback", json=body, headers=bearer).status_code == 201
    other = world.pages["alice"].get("/api/feedback", headers=world.api_headers("alice")).json()
    assert all(row["user_name"] == "alice" for row in other)


def test_migration_from_0002_puts_earlier_uploads_in_the_public_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'library.sqlite'}"
    engine = create_engine(url)
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "0002")
        connection.execute(
            text(
                "INSERT INTO uploads (id, filename, path, digest, status, added_at) VALUES "
                "('uploads-old', 'old.md', 'uploads/old.md', :d, 'indexed', '2026-01-01')"
            ),
            {"d": "0" * 64},
        )
        connection.commit()
    engine.dispose()
    library = Library(url)
    assert [(u.id, u.collection) for u in library.uploads()] == [("uploads-old", "default")]
    policy = Collections(library.engine).policy()
    assert policy.shelves["default"].public
    assert policy.readable(set()) == frozenset({"default"})
