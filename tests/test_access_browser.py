"""Local mode in a real browser (Debian's Chromium through Playwright): bob, an editor, signs in
with the login form, uploads a file into his collection with the picker, sees it in the
library's collection column, asks about it in the JS chat and rates the answer — every call
carrying the page's CSRF token (no inline script: the CSP forbids it); signed out, the chat
does not find it; signed in again, he deletes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index import Embedder
from service.state import AppState
from tests.access_world import B_FILE, PASSWORD, set_up_accounts
from tests.conftest import library_state, serve_in_thread

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():  # scripts/test.sh installs it; say so rather than skip silently
    pytest.fail("Debian's chromium is missing: run `bash scripts/test.sh`", pytrace=False)

from playwright.sync_api import Browser, Page, expect  # noqa: E402

QUESTION = "By how much did the Tarnwick harbour tariff rise in 2021?"


@pytest.fixture(scope="module")
def state(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> AppState:
    built = library_state(
        tmp_path_factory.mktemp("access-browser"), embedder, model_cache, auth="local"
    )
    set_up_accounts(built)
    return built


@pytest.fixture(scope="module")
def base_url(state: AppState) -> Iterator[str]:
    yield from serve_in_thread(state)


def test_browser_editor_uploads_to_his_collection_hidden_once_signed_out(
    browser: Browser, base_url: str, state: AppState, tmp_path: Path
) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # the delete confirmation

    sign_in(page, base_url)
    expect(page.locator("#account-link")).to_have_text("bob")

    page.goto(base_url + "/library")
    page.select_option("#collection", "b")
    upload = tmp_path / "tarnwick.md"
    upload.write_text(B_FILE)
    page.set_input_files("#files", str(upload))
    row = page.locator("#documents tr", has_text="Tarnwick harbour tariffs")
    expect(row).to_have_attribute("data-status", "indexed", timeout=90_000)
    expect(row.locator("td.doc-collection")).to_have_text("b")

    page.goto(base_url + "/")
    page.evaluate("localStorage.clear()")
    page.reload()
    ask(page, QUESTION)
    turn = page.locator(".turn").last
    expect(turn.locator(".answer-text")).to_contain_text("four percent")
    turn.locator(".rate-up").click()
    turn.locator(".send-feedback").click()
    expect(turn.locator(".feedback-done")).to_be_visible()
    assert any(row["user_name"] == "bob" for row in state.library.feedback())

    # Signed out, the chat cannot find it: collection b is bteam's.
    page.click("#nav-logout")
    page.wait_for_url(base_url + "/login")
    page.goto(base_url + "/")
    expect(page.locator("#nav-login")).to_be_visible()
    page.evaluate("localStorage.clear()")
    page.reload()
    ask(page, QUESTION)
    expect(page.locator(".turn").last.locator(".answer-text")).not_to_contain_text("Tarnwick")

    sign_in(page, base_url)
    page.goto(base_url + "/library")
    row.locator("button.delete").click()
    expect(row).to_have_count(0, timeout=60_000)
    assert state.jobs.wait_idle(60)
    assert errors == []
    page.close()


def sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", "bob")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base_url + "/")


def ask(page: Page, question: str) -> None:
    count = page.locator(".turn").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    expect(page.locator(".turn")).to_have_count(count + 1, timeout=30_000)
