"""The reader's language over HTTP (issue #32): chosen from Accept-Language or the remembered
switch, on every page and in the JSON API; the quoted document text is never translated."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.settings import LANGUAGES
from service.state import AppState
from service.web.app import create_app
from service.web.language_choice import LANGUAGE_COOKIE
from service.web.languages import Languages

PRESS = "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"
# The briefing does not mention this organisation: a refusal that names what is missing.
STRANGER = "What did Human Rights Watch report?"
TITLE = "Kazakhstan: human rights situation"
GERMAN = {"accept-language": "de-DE,de;q=0.9,en;q=0.5"}
ARABIC = {"accept-language": "ar"}


@pytest.fixture()
def fresh(client: TestClient) -> Iterator[TestClient]:
    """The session's client without a remembered language (and none left for the tests of
    other files, which share it)."""
    client.cookies.clear()
    yield client
    client.cookies.clear()


def html_tag(page: str) -> str:
    found = re.search(r"<html[^>]*>", page)
    assert found
    return found.group(0)


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (None, "en"),
        ("de-AT,de;q=0.9,en;q=0.5", "de"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("en;q=0, pl", "pl"),
        ("pt-BR, es;q=0.5", "pt_PT"),  # Portuguese as Portugal writes it, not English
        ("ja, es;q=0.5", "es"),
        ("nl-BE", "nl"),
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-TW", "en"),  # Traditional Chinese is not Simplified
        ("zh-TW, zh-Hans;q=0.1", "zh_Hans"),
        ("ar-EG", "ar"),
        ("hi-IN,en;q=0.2", "hi"),
        ("xx-invalid, it;q=0.3", "it"),
        ("*", "en"),
        (";;;,q=,", "en"),
        ("de;q=abc, fr;q=0.5", "fr"),
        ("x" * 5000, "en"),
    ],
)
def test_language_negotiated_from_accept_language(header: str | None, chosen: str) -> None:
    assert Languages(LANGUAGES, "en").negotiate(header) == chosen


def test_language_default_is_a_setting() -> None:
    assert Languages(["en", "de"], "de").negotiate("ja") == "de"


def test_page_speaks_the_browsers_language(fresh: TestClient) -> None:
    page = fresh.get("/", headers=GERMAN)
    assert page.headers["content-language"] == "de"
    assert "Accept-Language" in page.headers["vary"]
    assert html_tag(page.text) == '<html lang="de" dir="ltr">'
    assert "<h1>Fragen Sie das Dokument</h1>" in page.text
    assert f"Jede Antwort ist ein Zitat aus „{TITLE}“" in page.text
    assert "Was sagt das Dokument zu „" in page.text  # a starter, the heading as written


def test_page_without_accept_language_is_english(fresh: TestClient) -> None:
    page = fresh.get("/")
    assert html_tag(page.text) == '<html lang="en" dir="ltr">'
    assert "<h1>Ask the document</h1>" in page.text


def test_arabic_page_is_right_to_left(fresh: TestClient) -> None:
    page = fresh.get("/", headers=ARABIC).text
    assert html_tag(page) == '<html lang="ar" dir="rtl">'
    assert "اسأل المستند" in page


@pytest.mark.parametrize("path", ["/", "/library", "/login", "/docs", "/documents/"])
def test_every_page_is_in_the_readers_language(fresh: TestClient, path: str) -> None:
    if path.endswith("/documents/"):
        path += next(iter(fresh.get("/api/documents").json()))["id"]
    page = fresh.get(path, headers=ARABIC)
    assert page.status_code == 200
    assert html_tag(page.text) == '<html lang="ar" dir="rtl">'


def test_document_view_keeps_the_documents_own_direction(fresh: TestClient) -> None:
    document = fresh.get("/api/documents").json()[0]
    page = fresh.get(f"/documents/{document['id']}", headers=ARABIC).text
    assert "العودة إلى المحادثة" in page  # the page's words are the reader's
    assert f'<h1 dir="auto">{TITLE}</h1>' in page  # the document's are its own
    assert page.count('<p dir="auto">') > 5


def test_switcher_works_without_javascript(fresh: TestClient) -> None:
    page = fresh.get("/library").text
    form = re.search(r'<form method="post" action="/language".*?</form>', page, re.S)
    assert form, "every page carries the switcher"
    options = re.findall(r'<option value="([^"]+)"', form.group(0))
    assert options == LANGUAGES
    assert 'name="back" value="/library"' in form.group(0)
    assert '<button type="submit"' in form.group(0)


def test_switcher_remembers_the_choice(fresh: TestClient) -> None:
    chosen = fresh.post(
        "/language", data={"language": "de", "back": "/library"}, follow_redirects=False
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/library"
    cookie = chosen.headers["set-cookie"]
    assert f"{LANGUAGE_COOKIE}=de" in cookie and "HttpOnly" in cookie and "Max-Age" in cookie
    # The choice wins over the browser's own language, on every page after.
    page = fresh.get("/library", headers={"accept-language": "fr"}).text
    assert html_tag(page) == '<html lang="de" dir="ltr">'
    assert '<h1 id="library-title">Bibliothek</h1>' in page


@pytest.mark.parametrize("back", ["https://elsewhere.example/", "//elsewhere.example/x", "x"])
def test_switcher_never_leaves_the_site(fresh: TestClient, back: str) -> None:
    chosen = fresh.post("/language", data={"language": "fr", "back": back}, follow_redirects=False)
    assert chosen.headers["location"] == "/"


def test_switcher_ignores_a_language_not_offered(fresh: TestClient) -> None:
    chosen = fresh.post("/language", data={"language": "xx"}, follow_redirects=False)
    assert chosen.status_code == 303 and "set-cookie" not in chosen.headers


def test_ask_refusal_in_the_readers_language(fresh: TestClient) -> None:
    body = fresh.post("/ask", json={"question": STRANGER}, headers=GERMAN).json()
    assert body["answered"] is False
    assert body["answer"] == (
        f"„{TITLE}“ beantwortet diese Frage nicht \u2013 Human Rights Watch wird nicht erwähnt; "
        "daher stelle ich keine Vermutungen an."
    )
    assert body["refusal"] == {
        "code": "not_mentioned",
        "params": {"name": "Human Rights Watch", "title": TITLE},
    }


def test_ask_without_accept_language_is_english(fresh: TestClient) -> None:
    body = fresh.post("/ask", json={"question": STRANGER}).json()
    assert body["answer"].startswith(f"\u201c{TITLE}\u201d does not answer this")
    assert body["refusal"]["code"] == "not_mentioned"


def test_ask_quotes_the_document_whatever_the_readers_language(fresh: TestClient) -> None:
    english = fresh.post("/ask", json={"question": PRESS}).json()
    arabic = fresh.post("/ask", json={"question": PRESS}, headers=ARABIC).json()
    assert arabic["answered"] and arabic["refusal"] is None
    assert arabic["answer"] == english["answer"] and "161 of 180" in arabic["answer"]


def test_chat_form_refusal_in_the_readers_language(fresh: TestClient) -> None:
    page = fresh.post("/", data={"question": STRANGER, "history": "[]"}, headers=GERMAN).text
    assert '<p class="badge">Nicht in den Dokumenten</p>' in page
    assert "Human Rights Watch wird nicht erwähnt" in page
    assert "Diese Abschnitte könnten Sie lesen:" in page


def test_chat_form_answer_surroundings_in_the_readers_language(fresh: TestClient) -> None:
    page = fresh.post("/", data={"question": PRESS, "history": "[]"}, headers=ARABIC).text
    assert '<p class="answer-text" dir="auto">' in page  # the quote keeps its direction
    assert 'aria-label="المصادر"' in page
    assert 'aria-label="الاقتباس 1"' in page


def test_api_errors_in_the_readers_language(fresh: TestClient) -> None:
    empty = fresh.post("/ask", json={"question": " "}, headers=GERMAN)
    assert empty.status_code == 422
    error = empty.json()["error"]
    assert error["code"] == "invalid_request"  # codes are the same in every language
    assert error["message"] == "question darf nicht leer sein"
    assert error["details"][0]["message"] == "question darf nicht leer sein"
    missing = fresh.get("/no-such-page", headers={"accept-language": "fr"}).json()["error"]
    assert missing["message"] == "Introuvable"
    unknown = fresh.get("/documents/nope", headers={"accept-language": "es"}).json()["error"]
    assert unknown["message"] == "no hay ningún documento con el identificador 'nope'"


def test_api_errors_without_accept_language_stay_english(fresh: TestClient) -> None:
    error = fresh.post("/ask", json={"question": " "}).json()["error"]
    assert error["message"] == "question must not be empty"


def test_middleware_refusal_in_the_readers_language(fresh: TestClient) -> None:
    too_big = fresh.post(
        "/ask",
        content=b'{"question": "' + b"x" * 70_000 + b'"}',
        headers={**GERMAN, "content-type": "application/json"},
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["message"].startswith("der Anfragetext ist größer als")


def test_upload_refusal_reason_in_the_readers_language(fresh: TestClient) -> None:
    result = fresh.post(
        "/api/documents",
        files=[("file", ("notes.exe", b"MZ..."))],
        headers={**GERMAN, "authorization": "Bearer test-token"},
    )
    assert result.status_code == 202
    refused = result.json()["rejected"][0]
    assert refused["code"] == "unsupported_type"
    assert refused["reason"].startswith("nicht unterstützter Dateityp .exe; zulässig sind")


def test_scripts_get_their_words_from_the_page(fresh: TestClient) -> None:
    def words(page: str) -> dict[str, Any]:
        found = re.search(r'<script type="application/json" id="script-words">(.*?)</script>', page)
        assert found, "the page hands its script its words"
        loaded: dict[str, Any] = json.loads(found.group(1))
        return loaded

    german = words(fresh.get("/", headers=GERMAN).text)
    assert german["Searching…"] == "Suche läuft…"
    assert german["May not answer your question"] == "Beantwortet Ihre Frage womöglich nicht"
    assert words(fresh.get("/library", headers=GERMAN).text)["indexed"] == "indexiert"
    assert words(fresh.get("/").text) == {}  # English: the scripts' own text


def test_openai_refusal_in_the_readers_language(fresh: TestClient) -> None:
    reply = fresh.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": STRANGER}]},
        headers={"accept-language": "it"},
    ).json()
    assert "non risponde a questa domanda" in reply["choices"][0]["message"]["content"]


def test_openai_sources_heading_in_the_readers_language(fresh: TestClient) -> None:
    reply = fresh.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": PRESS}]},
        headers={"accept-language": "pl"},
    ).json()
    assert "\n\nŹródła:\n[1]" in reply["choices"][0]["message"]["content"]


def test_offered_languages_are_a_setting(app_state: AppState) -> None:
    settings = app_state.settings.model_copy(update={"languages": ["en", "fr"]})
    with TestClient(create_app(settings, state=app_state)) as client:
        page = client.get("/", headers=GERMAN).text
    assert html_tag(page) == '<html lang="en" dir="ltr">'
    assert re.findall(r'<option value="([^"]+)"', page) == ["en", "fr"]
