"""Questions in any language over HTTP (issue #32): /ask's ``language`` and the languages it
reports, /v1 likewise, the refusal while the second phase is made, the setting that turns
it off — over the real app on the briefing with a German and a Chinese document."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index import Embedder
from service.state import AppState
from service.web.app import create_app
from tests.conftest import state_on


def _client(root: Path, world: Path, embedder: Embedder, **settings: object) -> TestClient:
    shutil.copytree(world / "corpus", root / "corpus")
    shutil.copytree(world / "index", root / "index")
    state = state_on(root, embedder, **settings)
    return TestClient(create_app(state.settings, state=state))


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, multilingual_world: Path, embedder: Embedder
) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("multilingual-api")
    with _client(root, multilingual_world, embedder, multilingual=True) as test_client:
        yield test_client


def test_ask_reports_the_questions_and_the_citations_languages(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Wann wurde die U-Bahn eröffnet?"}).json()
    assert body["language"] == "de"
    assert all(c["language"] in {"en", "de", "zh"} for c in body["citations"])


def test_ask_language_overrides_detection(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Nazarbayev", "language": "DE"}).json()
    assert body["language"] == "de"


@pytest.mark.parametrize("language", ["xx", "english", ""])
def test_ask_unknown_language_is_a_422_naming_the_field(client: TestClient, language: str) -> None:
    response = client.post("/ask", json={"question": "Who rules?", "language": language})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"][0]["field"] == "language" and "ISO 639-1" in error["message"]


def test_ask_chinese_document_quoted_in_chinese(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "地铁是哪一年开通的"}).json()
    assert body["answered"] and "2008" in body["answer"]
    assert body["citations"][0]["language"] == "zh"


def test_v1_takes_and_reports_the_language(client: TestClient) -> None:
    body = client.post(
        "/v1/chat/completions",
        json={
            "model": "briefing-qa",
            "messages": [{"role": "user", "content": "Nazarbayev"}],
            "language": "fr",
        },
    ).json()
    assert body["language"] == "fr"


def test_v1_unknown_language_is_a_400(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions",
        json={
            "model": "briefing-qa",
            "messages": [{"role": "user", "content": "x"}],
            "language": "xx",
        },
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "language"


def test_not_ready_refusal_in_the_readers_language(
    tmp_path: Path, multilingual_world: Path, embedder: Embedder
) -> None:
    with _client(tmp_path, multilingual_world, embedder, multilingual=True) as client:
        version = next((tmp_path / "index" / "versions").iterdir())
        # As if the second phase had not run yet: it was there when the server started, and
        # no question has read it since.
        shutil.rmtree(version / "multilingual")
        response = client.post(
            "/ask",
            json={"question": "Wer regiert Kasachstan?"},
            headers={"Accept-Language": "de"},
        )
    body = response.json()
    assert body["refusal"]["code"] == "multilingual_not_ready"
    assert "noch vorbereitet" in body["answer"]


def test_health_reports_the_second_phase(client: TestClient) -> None:
    assert client.get("/health").json()["multilingual"] == {"ready": True, "percent": 100}


def test_mcp_ask_takes_and_reports_the_language(app_state: AppState) -> None:
    from tests.test_mcp import call

    _, given, unknown = call(
        app_state,
        [
            ("ask", {"question": "How many votes did Nazarbayev get?", "language": "de"}),
            ("ask", {"question": "How many votes did Nazarbayev get?", "language": "xx"}),
        ],
    )
    assert given.structuredContent["language"] == "de"
    assert unknown.isError and "ISO 639-1" in unknown.content[0].text


def test_library_page_tells_whether_other_languages_are_ready(client: TestClient) -> None:
    english = client.get("/library").text
    german = client.get("/library", headers={"Accept-Language": "de"}).text
    assert "Questions in other languages: ready." in english
    assert "Fragen in anderen Sprachen: bereit." in german


def test_a_running_second_phase_is_reported_as_a_share_not_counts(
    tmp_path: Path, multilingual_world: Path, embedder: Embedder
) -> None:
    """The phase embeds the whole version: its counts would tell a reader of some collections
    how much there is beyond them (issue #31), so /health and /library give a share."""
    shutil.copytree(multilingual_world / "corpus", tmp_path / "corpus")
    shutil.copytree(multilingual_world / "index", tmp_path / "index")
    state = state_on(tmp_path, embedder, multilingual=True)
    with TestClient(create_app(state.settings, state=state)) as client:
        version = state.holder.current().version
        assert state.second_phase is not None
        state.second_phase.progress = {"version": version, "ready": False, "done": 37, "total": 100}
        phase = client.get("/health").json()["multilingual"]
        german = client.get("/library", headers={"Accept-Language": "de"}).text
    assert phase == {"ready": False, "percent": 37}
    assert "in Vorbereitung (37\xa0% erledigt)" in german
