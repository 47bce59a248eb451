"""Scaling out (issue #13): three `briefing-qa serve` replicas, each a process of its own,
behind HAProxy with the configuration in deploy/, sharing one index folder, a PostgreSQL
database of the test's own and Redis (a key prefix of the test's own).

Under eight clients asking through the balancer for a minute: a document uploaded through the
balancer is built once and answered by every replica; a replica killed with SIGKILL and
replaced costs no request; one address sending 60 rapid requests gets the burst plus the
refill, once for the whole deployment, not once per replica.
"""

from __future__ import annotations

import functools
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from index import Embedder
from service.library import Library
from service.library.registry import BuildRegistry
from service.state import AppState
from tests.conftest import free_port, settings_env, start_server, stop_server
from tests.replicas import Deployment, replicas_behind_haproxy, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="Debian's haproxy is needed"),
]

TOKEN = "scale-out-token"
LOAD_CLIENTS = 8
LOAD_SECONDS = 60
PER_MINUTE, BURST = 600, 20  # 10 requests/s refill; each load client asks about 4/s
QUESTIONS = [
    "What was Kazakhstan's rank in the 2014 World Press Freedom Index?",
    "Who is the president of Kazakhstan?",
    "What happened in Zhanaozen in 2011?",
    "How does Kazakhstan treat religious minorities?",
]
NEW_DOCUMENT = (
    "Harbour pilots of Elnavar\n\n"
    "The harbour pilots of Port Elnavar were granted a union of their own in 1962, after a "
    "strike that closed the port for eleven days. The union negotiates pilotage fees with the "
    "port authority every three years."
)
NEW_QUESTION = "When were the harbour pilots of Port Elnavar granted a union of their own?"


@pytest.fixture()
def deployment(
    tmp_path: Path, embedder: Embedder, model_cache: Path, postgres_url: str
) -> Iterator[Deployment]:
    with replicas_behind_haproxy(
        tmp_path / "shared",
        embedder,
        model_cache,
        postgres_url,
        admin_token=TOKEN,
        rate_limit_per_minute=PER_MINUTE,
        rate_limit_burst=BURST,
    ) as deployed:
        yield deployed


def client_from(address: str, base: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x.y.z is this machine)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base, transport=transport, timeout=30)


class Load:
    """Clients asking through the balancer, each from an address of its own, until stopped."""

    def __init__(self, balancer: str) -> None:
        self.balancer = balancer
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.threads = [
            threading.Thread(target=self._ask, args=(i,), daemon=True) for i in range(LOAD_CLIENTS)
        ]

    def _ask(self, number: int) -> None:
        with client_from(f"127.0.0.{10 + number}", self.balancer) as client:
            turn = 0
            while not self.stop.is_set():
                question = QUESTIONS[(number + turn) % len(QUESTIONS)]
                turn += 1
                try:
                    response = client.post("/ask", json={"question": question})
                    self.statuses.append(response.status_code)
                    if response.status_code != 200:
                        self.failures.append(f"{response.status_code} {response.text[:200]}")
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                time.sleep(0.25)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def cites(base: str, document_id: str) -> bool:
    """Whether the server at ``base`` answers the new question from the new document."""
    try:
        response = httpx.post(base + "/ask", json={"question": NEW_QUESTION}, timeout=10)
    except httpx.HTTPError:
        return False
    citations = response.json().get("citations", []) if response.status_code == 200 else []
    return any(c["document_id"] == document_id for c in citations[:1])


def test_replicas_behind_haproxy(deployment: Deployment) -> None:
    started = time.monotonic()
    versions_before = len(registry(deployment).versions())
    with Load(deployment.balancer) as load:
        time.sleep(3)
        with client_from("127.0.0.5", deployment.balancer) as admin:
            response = admin.post(
                "/api/documents",
                headers={"Authorization": f"Bearer {TOKEN}"},
                files=[("file", ("harbour-pilots.txt", NEW_DOCUMENT.encode()))],
            )
        assert response.status_code == 202, response.text
        document_id = response.json()["accepted"][0]["id"]
        uploaded = time.monotonic()
        for port in deployment.replicas:
            wait_until(
                functools.partial(cites, f"http://127.0.0.1:{port}", document_id),
                90,
                f"replica on port {port} never answered from the uploaded document",
            )

        everywhere = time.monotonic() - uploaded
        victim = next(iter(deployment.replicas))
        stop_server(deployment.replicas[victim], 9)  # SIGKILL: no goodbye to anyone
        killed = time.monotonic()
        deployment.replicas[victim] = start_server(deployment.env, victim)
        replaced = time.monotonic() - killed
        assert cites(f"http://127.0.0.1:{victim}", document_id)  # state outlived the replica

        time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - started)))
    print(
        f"\nload: {len(load.statuses)} answers through the balancer in "
        f"{time.monotonic() - started:.0f} s, {len(load.failures)} failed; upload answered by "
        f"every replica after {everywhere:.1f} s; replacement replica up {replaced:.1f} s "
        "after the SIGKILL"
    )
    assert load.failures == [], load.failures[:5]
    assert len(load.statuses) > LOAD_CLIENTS * LOAD_SECONDS  # about 4/s each
    # Built once: one more version than before the upload, whoever built it.
    assert len(registry(deployment).versions()) == versions_before + 1
    assert_one_limit_for_all_replicas(deployment.balancer)


def registry(deployment: Deployment) -> BuildRegistry:
    return BuildRegistry(Library(deployment.env["BRIEFING_QA_DATABASE_URL"]).engine)


def assert_one_limit_for_all_replicas(balancer: str) -> None:
    with client_from("127.0.0.99", balancer) as client:

        def ask(_: int) -> int:
            # A claimed address is the client's word: the balancer appends the real one.
            headers = {"X-Forwarded-For": f"10.9.9.{_}"}
            return client.post("/ask", json={"question": QUESTIONS[0]}, headers=headers).status_code

        began = time.monotonic()
        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(ask, range(60)))
        elapsed = time.monotonic() - began
    allowed = statuses.count(200)
    refill = PER_MINUTE / 60 * elapsed
    print(
        f"burst: {allowed} of 60 allowed in {elapsed:.2f} s (burst {BURST} + refill {refill:.1f})"
    )
    assert set(statuses) <= {200, 429}, statuses
    assert BURST <= allowed <= BURST + refill + 1, (allowed, elapsed)
    assert allowed < 3 * BURST  # what three separate in-memory limits would let through


def test_metrics_add_up_every_worker(app_state: AppState) -> None:
    port = free_port()
    env = settings_env(app_state.settings, rate_limit_per_minute=0, threads=1)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = start_server(env, port, "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        for i in range(40):  # a new connection each time, so both workers take some
            with httpx.Client(base_url=base, timeout=10) as client:
                assert client.post("/ask", json={"question": QUESTIONS[i % 4]}).status_code == 200
        for _ in range(4):  # whichever worker answers the scrape, it counts all 40
            families = {
                f.name: f for f in text_string_to_metric_families(httpx.get(base + "/metrics").text)
            }
            asked = [
                s.value
                for s in families["briefing_qa_http_requests"].samples
                if s.name.endswith("_total") and s.labels["route"] == "/ask"
            ]
            assert sum(asked) == 40
            workers = {s.labels["pid"] for s in families["briefing_qa_index_info"].samples}
            assert len(workers) == 2
    finally:
        stop_server(process)
