"""Rate limits shared across replicas in Redis (``BRIEFING_QA_REDIS_URL``): one client's limit
holds whichever replica it reaches. Uses the Redis service of the machine (127.0.0.1:6379) with
a key prefix of its own, removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from service.state import AppState
from service.web.app import create_app
from service.web.middleware import SharedRateLimiter

REDIS = "redis://127.0.0.1:6379"
QUESTION = {"question": "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"}


@pytest.fixture()
def prefix() -> Iterator[str]:
    name = f"briefing-qa-test-{uuid.uuid4().hex[:8]}"
    yield name
    SharedRateLimiter(REDIS, name, 60, 5).storage.reset()  # this test's keys only


def replicas_statuses(app_state: AppState, requests: int, **settings: object) -> list[int]:
    """``requests`` rapid /ask calls from one address, alternating between two replicas."""
    config = app_state.settings.model_copy(
        update={"rate_limit_per_minute": 60, "rate_limit_burst": 5, **settings}
    )
    with ExitStack() as stack:
        clients = [
            stack.enter_context(TestClient(create_app(config, state=app_state))) for _ in range(2)
        ]
        return [clients[i % 2].post("/ask", json=QUESTION).status_code for i in range(requests)]


def test_shared_limit_holds_across_replicas(app_state: AppState, prefix: str) -> None:
    statuses = replicas_statuses(app_state, 12, redis_url=REDIS, redis_prefix=prefix)
    assert statuses.count(200) == 5, statuses  # the burst once, not once per replica
    assert statuses[5:] == [429] * 7


def test_in_memory_limits_are_per_replica(app_state: AppState) -> None:
    statuses = replicas_statuses(app_state, 12)
    assert statuses.count(200) == 10, statuses  # why the shared store exists


def test_an_unreachable_store_lets_requests_through(app_state: AppState) -> None:
    statuses = replicas_statuses(app_state, 3, redis_url="redis://127.0.0.1:1")
    assert statuses == [200, 200, 200]
