"""The library follows the second, multilingual build phase as it runs (issue #32), in a real
browser: rendered while the phase is not ready, the page asks /health every few seconds and
says how far it has come, then that it is ready, in the reader's language — no reload."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import Embedder
from tests.conftest import serve_in_thread, state_on

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():  # scripts/test.sh installs it; say so rather than skip silently
    pytest.fail("Debian's chromium is missing: run `bash scripts/test.sh`", pytrace=False)

from playwright.sync_api import Browser, Route, expect  # noqa: E402


@pytest.fixture(scope="module")
def not_ready_url(
    tmp_path_factory: pytest.TempPathFactory, multilingual_world: Path, embedder: Embedder
) -> Iterator[str]:
    """A server whose version has no second phase on disk any more (as while one is made)."""
    root = tmp_path_factory.mktemp("library-progress")
    shutil.copytree(multilingual_world / "corpus", root / "corpus")
    shutil.copytree(multilingual_world / "index", root / "index")
    state = state_on(root, embedder, multilingual=True)
    # Made when the server started; gone now, so the page renders "being prepared".
    version = next((root / "index" / "versions").iterdir())
    shutil.rmtree(version / "multilingual")
    yield from serve_in_thread(state)


def test_library_shows_the_second_phase_coming_and_then_ready(
    browser: Browser, not_ready_url: str
) -> None:
    """/health is answered by the test (first part way, then ready), so the page's own
    polling is what is checked; the server's /health figures have their own test."""
    reports = iter(
        [
            {"ready": False, "percent": 25},
            {"ready": False, "percent": 75},
        ]
    )

    def health(route: Route) -> None:
        phase = next(reports, {"ready": True, "percent": 100})
        route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"multilingual": phase})
        )

    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/health", health)
    page.goto(not_ready_url + "/library")
    status = page.locator("#multilingual-status")
    expect(status).to_contain_text("in Vorbereitung")
    expect(status).to_have_attribute("data-ready", "false")
    expect(status).to_contain_text(re.compile(r"75\s?%\s?erledigt"), timeout=15_000)
    expect(status).to_have_text("Fragen in anderen Sprachen: bereit.", timeout=15_000)
    expect(status).to_have_attribute("data-ready", "true")
    context.close()
    assert errors == []
