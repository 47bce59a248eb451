"""Hardening: headers, traversal, odd input, rate limits, request ids, logs and metrics."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from service.state import AppState
from service.web.app import create_app

PRESS = "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"


@pytest.mark.parametrize("path", ["/", "/documents/kazakhstan-human-rights-situation", "/health"])
def test_security_headers_on_pages_and_api(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_api_docs_are_served_from_local_files(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    head = page.text.split("<body>")[0]
    assert "//" not in head  # every asset is a same-origin path, nothing from a CDN
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/documents/..%2F..%2Fetc%2Fpasswd",
        "/documents/%2e%2e%2f%2e%2e%2fservice%2fapp.py",
        "/documents/....//....//etc/passwd",
        "/documents/kazakhstan-human-rights-situation%00.txt",
        "/static/..%2F..%2Fservice%2Fapp.py",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
    ],
)
def test_path_traversal_gets_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "[project]" not in response.text and "root:" not in response.text


@pytest.mark.parametrize(
    "question",
    [
        "ما هو وضع حرية الصحافة في كازاخستان؟",
        "Қазақстандағы баспасөз бостандығы қандай?",
        "🇰🇿 press freedom 🤔?",
        "\u202eevil right-to-left override",
        "a" * 1000,
        "NULL; DROP TABLE passages; --",
        "{{7*7}} ${7*7} <%= 7*7 %>",
    ],
)
def test_any_unicode_question_gets_200(client: TestClient, question: str) -> None:
    response = client.post("/ask", json={"question": question})
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["answered"], bool)


def test_control_and_zero_width_characters_are_stripped(client: TestClient) -> None:
    body = client.post(
        "/ask",
        json={
            "question": "What was\u0000 Kazakhstan's\u200b rank in the "
            "2014 World\x07 Press Freedom Index?"
        },
    ).json()
    assert "\u0000" not in body["question"] and "\u200b" not in body["question"]
    assert "161" in body["answer"]


def test_rate_limit_answers_429_with_retry_after(app_state: AppState) -> None:
    settings = app_state.settings.model_copy(
        update={"rate_limit_per_minute": 60, "rate_limit_burst": 2}
    )
    with TestClient(create_app(settings, state=app_state)) as limited:
        statuses = [limited.post("/ask", json={"question": PRESS}).status_code for _ in range(3)]
        third = limited.post("/ask", json={"question": PRESS})
    assert statuses[:2] == [200, 200]
    assert third.status_code == 429
    assert int(third.headers["retry-after"]) >= 1
    assert third.json()["error"]["code"] == "rate_limited"


def _limited_statuses(app_state: AppState, trusted: list[str], forwarded: list[str]) -> list[int]:
    settings = app_state.settings.model_copy(
        update={"rate_limit_per_minute": 60, "rate_limit_burst": 2, "trusted_proxies": trusted}
    )
    with TestClient(create_app(settings, state=app_state)) as limited:
        return [
            limited.post(
                "/ask", json={"question": PRESS}, headers={"X-Forwarded-For": address}
            ).status_code
            for address in forwarded
        ]


def test_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(
    app_state: AppState,
) -> None:
    # The test client connects as "testclient", which is not a trusted proxy here.
    statuses = _limited_statuses(app_state, ["127.0.0.1"], ["1.1.1.1", "2.2.2.2", "3.3.3.3"])
    assert statuses == [200, 200, 429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client(app_state: AppState) -> None:
    # Behind a trusted balancer each client has its own bucket; the last hop's entry counts,
    # so a client cannot pick its bucket by prefixing addresses of its own.
    spoofed = ["9.9.9.9, 1.1.1.1", "8.8.8.8, 1.1.1.1", "1.1.1.1", "2.2.2.2"]
    statuses = _limited_statuses(app_state, ["testclient"], spoofed)
    assert statuses == [200, 200, 429, 200]


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    mine = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    made = client.get("/health", headers={"X-Request-ID": "bad id with spaces\n"})
    assert len(made.headers["x-request-id"]) == 32


def test_access_log_is_one_json_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="briefing_qa.access"):
        client.post("/ask", json={"question": PRESS}, headers={"X-Request-ID": "log-test-1"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "briefing_qa.access"]
    entry = next(line for line in lines if line["request_id"] == "log-test-1")
    assert entry["route"] == "/ask" and entry["status"] == 200 and entry["ms"] > 0


def test_metrics_count_requests_and_show_the_index(client: TestClient) -> None:
    client.post("/ask", json={"question": PRESS})
    client.post("/ask", json={"question": ""})
    text = client.get("/metrics").text
    assert 'briefing_qa_http_requests_total{method="POST",route="/ask",status="200"}' in text
    assert 'briefing_qa_http_requests_total{method="POST",route="/ask",status="422"}' in text
    assert "briefing_qa_http_request_duration_seconds_bucket" in text
    version = client.get("/health").json()["index_version"]
    assert f'briefing_qa_index_info{{version="{version}"}} 1.0' in text
    assert "briefing_qa_index_passages" in text


def test_unknown_route_is_a_json_404(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405(client: TestClient) -> None:
    response = client.get("/ask")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_non_json_body_says_what_is_expected(client: TestClient) -> None:
    response = client.post(
        "/ask",
        content=b"question=hi",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
    assert "JSON object" in response.json()["error"]["message"]
