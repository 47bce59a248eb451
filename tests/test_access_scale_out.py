"""Access control across replicas (issue #25): three `briefing-qa serve` replicas in local mode
behind HAProxy (deploy/haproxy.cfg), sharing a PostgreSQL database of the test's own and Redis
(a key prefix of the test's own), as tests/test_scale_out.py deploys them.

A revoked API key and a removed group membership count on every replica within 2 s (each
request reads them from the database; the delay is measured and printed), and ten wrong
passwords for one account lock it whichever replica the balancer picks.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

from index import Embedder
from service.library import Accounts, Collections, Credentials, Library
from tests.access_world import PASSWORD, SECRET_FILE
from tests.replicas import Deployment, replicas_behind_haproxy, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="Debian's haproxy is needed"),
]

TOKEN = "access-scale-out-token"
QUESTION = "Where will Project Kestrel move the Varnholt archive?"
LIMIT_SECONDS = 2.0  # the bound for a revocation to reach every replica


@pytest.fixture()
def cluster(
    tmp_path: Path, embedder: Embedder, model_cache: Path, postgres_url: str
) -> Iterator[Deployment]:
    with replicas_behind_haproxy(
        tmp_path / "shared",
        embedder,
        model_cache,
        postgres_url,
        auth="local",
        admin_token=TOKEN,
        rate_limit_per_minute=0,
    ) as deployment:
        yield deployment


def reads_secret(base: str, key: str) -> bool:
    """Whether the replica at ``base`` answers ``key``'s holder from the secret."""
    response = httpx.post(
        base + "/ask",
        json={"question": QUESTION},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    return response.status_code == 200 and "Varnholt archive to Quellmark" in response.text


def delays_until(bases: list[str], revoked: Callable[[str], bool], started: float) -> list[float]:
    """For each replica, polled in a thread of its own every 20 ms, the seconds from
    ``started`` until ``revoked(base)`` holds (at most 10 s)."""
    seen: dict[str, float] = {}

    def poll(base: str) -> None:
        while time.monotonic() - started < 10:
            if revoked(base):
                seen[base] = time.monotonic() - started
                return
            time.sleep(0.02)

    threads = [threading.Thread(target=poll, args=(b,)) for b in bases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [seen.get(b, float("inf")) for b in bases]


def test_access_revocations_reach_every_replica_within_two_seconds(cluster: Deployment) -> None:
    engine = Library(cluster.database_url).engine
    accounts, credentials = Accounts(engine), Credentials(engine)
    accounts.add_user("alice", "reader", PASSWORD)
    accounts.add_user("carol", "reader", PASSWORD)
    accounts.add_group("ateam", ["alice", "carol"])
    Collections(engine).set_collection("a", False, ["ateam"], [])
    key_id, key = credentials.add_key("alice")
    carol_key = credentials.add_key("carol")[1]
    uploaded = httpx.post(
        cluster.balancer + "/api/documents",
        headers={"Authorization": f"Bearer {TOKEN}"},
        files=[("file", ("kestrel.md", SECRET_FILE.encode()))],
        data={"collection": "a"},
        timeout=30,
    )
    assert uploaded.status_code == 202, uploaded.text
    for base in cluster.bases:
        wait_until(partial(reads_secret, base, key), 120, f"{base} never read the secret")
        assert reads_secret(base, carol_key)

    started = time.monotonic()
    credentials.revoke_key(key_id)  # what `briefing-qa keys revoke` does
    key_delays = delays_until(
        cluster.bases,
        lambda b: (
            httpx.post(
                b + "/ask", json={"question": QUESTION}, headers={"Authorization": f"Bearer {key}"}
            ).status_code
            == 401
        ),
        started,
    )
    started = time.monotonic()
    accounts.remove_members("ateam", ["carol"])  # `briefing-qa groups remove ateam --members`
    member_delays = delays_until(cluster.bases, lambda b: not reads_secret(b, carol_key), started)
    print(
        "\nrevocation seen by the three replicas after: key "
        + ", ".join(f"{d * 1000:.0f} ms" for d in key_delays)
        + "; membership "
        + ", ".join(f"{d * 1000:.0f} ms" for d in member_delays)
    )
    assert max(key_delays) < LIMIT_SECONDS, key_delays
    assert max(member_delays) < LIMIT_SECONDS, member_delays


def test_access_ten_wrong_passwords_lock_an_account_across_replicas(cluster: Deployment) -> None:
    Accounts(Library(cluster.database_url).engine).add_user("dave", "reader", PASSWORD)

    def attempt(password: str) -> int:
        # A new connection each time, so the balancer spreads the attempts over the replicas.
        with httpx.Client(base_url=cluster.balancer, timeout=10) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token
            form = {"username": "dave", "password": password, "csrf_token": token.group(1)}
            return client.post("/login", data=form).status_code

    failures = [attempt("wrong password") for _ in range(10)]
    assert failures == [401] * 10
    assert attempt(PASSWORD) == 429
