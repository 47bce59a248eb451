"""The chat shows what a quoted answer settles (issue #33), in a real browser: Debian's Chromium
driven by Playwright, against the small policy of ``policy_world.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index import Embedder
from tests.conftest import serve_in_thread
from tests.policy_world import policy_state

pytestmark = pytest.mark.browser

if not Path("/usr/bin/chromium").exists():  # scripts/test.sh installs it
    pytest.fail("Debian's chromium is missing: run `bash scripts/test.sh`", pytrace=False)

from playwright.sync_api import Browser, expect  # noqa: E402


@pytest.fixture(scope="module")
def policy_url(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> Iterator[str]:
    yield from serve_in_thread(
        policy_state(tmp_path_factory.mktemp("policy"), embedder, model_cache)
    )


def test_browser_yes_no_answer_shows_what_it_settles(browser: Browser, policy_url: str) -> None:
    context = browser.new_context(locale="fr-FR", extra_http_headers={"Accept-Language": "fr"})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(policy_url + "/")
    page.fill("#question", "Do you sell my personal information?")
    page.press("#question", "Enter")
    settles = page.locator(".turn .answer .settles").last
    expect(settles).to_have_text(
        "Répond à : Do you sell my personal information? \u2014 Non", timeout=20_000
    )
    # The quote stays the document's words, with its citation.
    answer = page.locator(".turn .answer-text").last
    expect(answer).to_contain_text("We do not sell your personal information")
    expect(answer.locator(".marker").first).to_have_text("[1]")
    assert errors == []
    context.close()
