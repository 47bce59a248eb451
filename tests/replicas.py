"""Three `briefing-qa serve` replicas behind HAProxy (deploy/haproxy.cfg), as the scale-out
tests deploy them: one shared corpus and index folder (built once before the replicas start),
a PostgreSQL database of the test's own and Redis under a key prefix of the test's own."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from index import Embedder, build_index
from service.settings import PROJECT_ROOT, Settings
from service.web.middleware import SharedRateLimiter
from tests.conftest import CORPUS, free_port, settings_env, start_server, stop_server

REDIS = "redis://127.0.0.1:6379"
REPLICAS = 3


@dataclass
class Deployment:
    """Replicas by port, the balancer in front of them, and the environment they share."""

    env: dict[str, str]
    balancer: str
    replicas: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.replicas]

    @property
    def database_url(self) -> str:
        return self.env["BRIEFING_QA_DATABASE_URL"]


@contextmanager
def replicas_behind_haproxy(
    shared: Path, embedder: Embedder, model_cache: Path, postgres_url: str, **settings: Any
) -> Iterator[Deployment]:
    """Build the corpus's index under ``shared``, start the replicas with ``settings`` (as
    ``settings_env`` takes them) and HAProxy in front; stop them all and clear the Redis
    prefix afterwards."""
    corpus = shared / "corpus"
    shutil.copytree(CORPUS, corpus)
    base = Settings(corpus_dir=corpus, index_dir=shared / "index", model_cache_dir=model_cache)
    build_index(base.corpus_dir, base.index_dir, embedder)
    prefix = f"briefing-qa-test-{uuid.uuid4().hex[:8]}"
    env = settings_env(
        base,
        database_url=postgres_url,
        redis_url=REDIS,
        redis_prefix=prefix,
        reload_check_seconds=0.5,
        threads=1,
        **settings,
    )
    ports = [free_port() for _ in range(REPLICAS)]
    front = free_port()
    balancer_env = {
        **os.environ,
        "BRIEFING_QA_FRONTEND": f"127.0.0.1:{front}",
        **{f"BRIEFING_QA_REPLICA_{i + 1}": f"127.0.0.1:{port}" for i, port in enumerate(ports)},
    }
    haproxy = subprocess.Popen(
        ["haproxy", "-db", "-f", str(PROJECT_ROOT / "deploy" / "haproxy.cfg")],
        env=balancer_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deployment = Deployment(env, f"http://127.0.0.1:{front}")
    try:
        for port in ports:
            deployment.replicas[port] = start_server(env, port)
        wait_until(lambda: answers_health(deployment.balancer), 20, "the balancer saw no replica")
        yield deployment
    finally:
        for process in deployment.replicas.values():
            stop_server(process)
        haproxy.terminate()
        haproxy.wait(timeout=10)
        SharedRateLimiter(REDIS, prefix, 60, 5).storage.reset()


def answers_health(base: str) -> bool:
    try:
        return httpx.get(base + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(check: Callable[[], bool], seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(failure)
        time.sleep(0.1)
