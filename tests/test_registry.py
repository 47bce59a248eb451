"""The schema migrates itself (Alembic), and replicas share the build queue, the build lock
and the registry of versions in the database: on the embedded SQLite and on the machine's
PostgreSQL (a database of the test's own)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, inspect, text

from index import Embedder
from service.library.migrate import database_revision, head_revision, migrate
from service.library.records import Library, metadata, uploads
from service.library.registry import BuildRegistry
from service.web.app import create_app
from tests.conftest import library_state


def test_a_new_sqlite_database_is_created_at_the_newest_revision(tmp_path: Path) -> None:
    library = Library(f"sqlite:///{tmp_path / 'library.sqlite'}")
    with library.engine.connect() as db:
        assert database_revision(db) == head_revision()
        tables = set(inspect(db).get_table_names())
    assert {"uploads", "feedback", "index_versions", "build_requests"} <= tables


def test_a_database_from_before_migrations_keeps_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'library.sqlite'}"
    old = create_engine(url)
    metadata.create_all(old)  # what the first release did, with no alembic_version table
    with old.begin() as db:
        db.execute(
            insert(uploads).values(
                id="uploads/a-txt",
                filename="a.txt",
                path="uploads/a.txt",
                digest="0" * 64,
                status="indexed",
                added_at=datetime.now(UTC),
            )
        )
    old.dispose()
    library = Library(url)
    assert [u.id for u in library.uploads()] == ["uploads/a-txt"]
    with library.engine.connect() as db:
        assert database_revision(db) == head_revision()


def test_replicas_starting_together_migrate_postgres_once(postgres_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            migrate(create_engine(postgres_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with create_engine(postgres_url).connect() as db:
        assert database_revision(db) == head_revision()
        assert db.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_one_replica_at_a_time_holds_the_postgres_build_lock(postgres_url: str) -> None:
    first, second = (BuildRegistry(Library(postgres_url).engine) for _ in range(2))
    with first.build_lock() as mine:
        assert mine
        with second.build_lock() as theirs:
            assert not theirs
    with second.build_lock() as theirs:
        assert theirs  # released when the holder finished


def test_a_dead_replicas_build_request_is_carried_out_by_another(
    tmp_path: Path, embedder: Embedder, model_cache: Path, postgres_url: str
) -> None:
    state = library_state(tmp_path, embedder, model_cache, database_url=postgres_url)
    served = state.holder.current().version
    # A replica that queued a build and died before building it: only the row remains.
    (state.settings.corpus_dir / "late-note.txt").write_text(
        "Late note\n\nThe committee met on a Tuesday in the lighthouse to discuss herring quotas.",
        encoding="utf-8",
    )
    request_id = BuildRegistry(create_engine(postgres_url)).request_build("upload, then died")
    state.jobs.poll_seconds = 0.2
    state.jobs._idle.clear()
    state.jobs.start()
    try:
        assert state.jobs.wait_idle(120), "the queued build was not carried out"
    finally:
        state.jobs.stop()
    index = state.holder.current()
    assert index.version != served
    assert any(d.path == "late-note.txt" for d in index.documents.values())
    done = next(r for r in state.registry.requests() if r["id"] == request_id)
    assert done["done_at"] is not None and done["version"] == index.version
    assert [v["name"] for v in state.registry.versions()] == [index.version, served]


def test_a_failed_build_closes_its_requests_with_the_reason(
    tmp_path: Path, embedder: Embedder, model_cache: Path
) -> None:
    failure = "damaged corpus"
    state = library_state(tmp_path, embedder, model_cache)
    served = state.holder.current().version

    def broken_rebuild() -> None:
        raise RuntimeError(failure)

    state.holder.rebuild = broken_rebuild  # type: ignore[method-assign,assignment]
    state.jobs.request("test")
    assert state.jobs.wait_idle(30)
    state.jobs.stop()
    newest = state.registry.requests()[0]
    assert newest["error"] == failure and newest["version"] is None
    assert state.holder.current().version == served


def test_reindex_waits_its_turn_behind_another_replicas_build(
    tmp_path: Path, embedder: Embedder, model_cache: Path, postgres_url: str
) -> None:
    state = library_state(tmp_path, embedder, model_cache, database_url=postgres_url)
    other_replica = BuildRegistry(create_engine(postgres_url))
    with TestClient(create_app(state.settings, state=state)) as client:
        auth = {"Authorization": "Bearer test-token"}
        with other_replica.build_lock() as theirs:
            assert theirs
            busy = client.post("/admin/reindex", headers=auth)
        assert busy.status_code == 409
        assert "another replica is building" in busy.json()["error"]["message"]
        assert client.post("/admin/reindex", headers=auth).status_code == 200
