"""The HTTP API on the repo corpus: /ask contract, /health, /docs, errors."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BRIEFING

PRESS_QUESTION = "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"


def test_ask_press_freedom_rank_answers_161_citing_press_freedom(client: TestClient) -> None:
    response = client.post("/ask", json={"question": PRESS_QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] is True
    assert "161" in body["answer"]
    assert body["citations"][0]["section"] == "Press freedom"


def test_ask_citation_offsets_slice_the_corpus_file(client: TestClient) -> None:
    body = client.post(
        "/ask",
        json={"question": "How many votes did Nazarbayev get in the 2011 presidential election?"},
    ).json()
    assert "95.55" in body["answer"]
    first = body["citations"][0]
    original = BRIEFING.read_text(encoding="utf-8")
    assert "95.55" in original[first["start"] : first["end"]]


def test_ask_markers_name_listed_citations_in_order_of_first_use(client: TestClient) -> None:
    body = client.post("/ask", json={"question": PRESS_QUESTION, "top_k": 5}).json()
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", body["answer"])]
    numbers = [c["n"] for c in body["citations"]]
    assert markers and set(markers) <= set(numbers)
    assert numbers == list(range(1, len(numbers) + 1))
    first_use = list(dict.fromkeys(markers))
    assert first_use == list(range(1, len(first_use) + 1))
    assert len(body["citations"]) <= 5


def test_ask_highlights_mark_the_answer_sentence_in_the_passage(client: TestClient) -> None:
    body = client.post("/ask", json={"question": PRESS_QUESTION}).json()
    citation = body["citations"][0]
    (a, b), *_ = citation["highlights"]
    quoted = citation["text"][a:b]
    assert quoted in body["answer"]
    assert "161" in quoted


def test_ask_contract_fields(client: TestClient) -> None:
    body = client.post("/ask", json={"question": PRESS_QUESTION}).json()
    assert set(body) >= {
        "question",
        "standalone_question",
        "answered",
        "answer",
        "citations",
        "index_version",
        "took_ms",
    }
    assert set(body["citations"][0]) >= {
        "n",
        "document_id",
        "document_title",
        "section",
        "text",
        "start",
        "end",
        "page",
        "pages",
        "score",
        "highlights",
        "url",
    }
    assert body["question"] == PRESS_QUESTION


def test_ask_off_topic_question_is_not_answered(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Who won the 2014 FIFA World Cup?"}).json()
    assert body["answered"] is False
    assert body["citations"] == []
    assert "does not answer" in body["answer"]


def test_health_names_version_and_counts(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 1
    assert body["passages"] > 10
    ask = client.post("/ask", json={"question": PRESS_QUESTION}).json()
    assert ask["index_version"] == body["index_version"]


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/ask" in schema["paths"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "   \u200b "}, "question"),
        ({"question": "x" * 1001}, "question"),
        ({"question": 42}, "question"),
        ({"question": "ok?", "top_k": 0}, "top_k"),
        ({"question": "ok?", "top_k": 11}, "top_k"),
        ({"question": "ok?", "top_k": "three"}, "top_k"),
        ({"question": "ok?", "history": "nope"}, "history"),
        ({"question": "ok?", "history": [{"answer": "no question"}]}, "history.0.question"),
        ({"question": "ok?", "history": [{"question": "q"}] * 21}, "history"),
        ({"question": "ok?", "unexpected": 1}, "unexpected"),
    ],
)
def test_ask_bad_input_gets_422_naming_the_field(
    client: TestClient, payload: dict[str, object], field: str
) -> None:
    response = client.post("/ask", json=payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert any(d["field"] == field for d in error["details"]), error


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"question": ', b"null"])
def test_ask_malformed_body_gets_422(client: TestClient, body: bytes) -> None:
    response = client.post("/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_ask_oversized_body_gets_413(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "a" * 70_000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
