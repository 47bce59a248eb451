"""The chat page (form POST path, no JavaScript) and the document view."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from fastapi.testclient import TestClient

from service.answering.tunables import LOW_CONFIDENCE


def test_chat_page_offers_starter_questions(client: TestClient) -> None:
    page = client.get("/").text
    assert "<h1>Ask the document</h1>" in page
    assert "quoted from \u201cKazakhstan: human rights situation\u201d" in page
    assert page.count('class="starter"') >= 3


def test_chat_form_post_renders_answer_and_citations(client: TestClient) -> None:
    response = client.post(
        "/",
        data={
            "question": "What was Kazakhstan's rank in the 2014 World Press Freedom Index?",
            "history": "[]",
        },
    )
    assert response.status_code == 200
    page = response.text
    assert "161 of 180 countries" in page
    assert 'class="marker"' in page
    assert "Press freedom" in page
    assert "<mark>" in page  # the answer sentence is highlighted in its passage


def test_chat_form_post_carries_the_conversation(client: TestClient) -> None:
    first = client.post(
        "/",
        data={
            "question": "Which newspaper was closed down by a court in February 2014?",
            "history": "[]",
        },
    ).text
    history = re.search(r'id="history" value="([^"]*)"', first)
    assert history is not None
    carried = history.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    second = client.post("/", data={"question": "why?", "history": carried}).text
    assert second.count('class="turn"') == 2
    assert "technical" in second
    assert len(json.loads(carried)) == 1


def test_chat_form_escapes_user_text(client: TestClient) -> None:
    page = client.post("/", data={"question": "<img src=x onerror=alert(1)>", "history": "[]"}).text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_chat_form_empty_question_shows_error(client: TestClient) -> None:
    response = client.post("/", data={"question": "  ", "history": "[]"})
    assert response.status_code == 422
    assert "must not be empty" in response.text


def test_citation_url_opens_document_with_passage_highlighted(client: TestClient) -> None:
    body = client.post(
        "/ask",
        json={"question": "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"},
    ).json()
    url = body["citations"][0]["url"]
    page = client.get(url).text
    assert 'id="cited"' in page
    cited = re.findall(r'<mark class="doc-passage[^"]*"[^>]*>([^<]*)</mark>', page)
    assert "161 of 180 countries" in " ".join(cited).replace("\n", " ")


def test_unknown_document_is_404(client: TestClient) -> None:
    response = client.get("/documents/no-such-document")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_chat_form_puts_unquoted_passages_behind_more(client: TestClient) -> None:
    page = client.post(
        "/",
        data={
            "question": "What was Kazakhstan's rank in the 2014 World Press Freedom Index?",
            "history": "[]",
        },
    ).text
    assert '<details class="more-sources"><summary>More passages (2)</summary>' in page
    assert page.count('class="citation"') == 3


def test_chat_form_refuses_deeply_nested_history_with_a_message(client: TestClient) -> None:
    response = client.post("/", data={"question": "Who leads?", "history": "[" * 1000})
    assert response.status_code == 422
    assert "history must be a JSON list" in response.text
    assert 'id="ask-form"' in response.text  # the page comes back, ready for the next question


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ('{"question": "not a list"}', "history must be a JSON list"),
        ('[{"question": 5}]', "history.0.question must be text"),
        ('[{"question": "q", "answer": "a"}]', "could not be read back"),
        (json.dumps([{"question": "q"}] * 21), "the limit is 20"),
    ],
)
def test_chat_form_refuses_malformed_history_like_the_api(
    client: TestClient, history: str, message: str
) -> None:
    response = client.post("/", data={"question": "Who leads?", "history": history})
    assert response.status_code == 422
    assert message in response.text


def test_chat_form_refuses_carried_links_to_other_sites(client: TestClient) -> None:
    first = client.post("/ask", json={"question": "Which newspaper was closed in 2014?"}).json()
    first["citations"][0]["url"] = "https://example.org/phish"
    response = client.post("/", data={"question": "why?", "history": json.dumps([first])})
    assert response.status_code == 422
    assert "example.org" not in response.text


def _ask_with_confidence(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, confidence: float
) -> str:
    """The chat form's page for a real answer whose confidence is set to ``confidence``."""
    state = client.app.state.qa  # type: ignore[attr-defined]
    real = state.turns.ask

    async def ask(*args, **kwargs):  # type: ignore[no-untyped-def]
        return dataclasses.replace(await real(*args, **kwargs), confidence=confidence)

    monkeypatch.setattr(state.turns, "ask", ask)
    question = "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"
    return client.post("/", data={"question": question, "history": "[]"}).text


def test_chat_marks_a_low_confidence_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _ask_with_confidence(client, monkeypatch, LOW_CONFIDENCE - 0.05)
    assert "May not answer your question" in page and "161 of 180 countries" in page
    assert f'data-low-confidence="{LOW_CONFIDENCE}"' in page  # the live chat reads the line


def test_chat_does_not_mark_a_confident_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "May not answer your question" not in _ask_with_confidence(client, monkeypatch, 0.9)
