"""The library in a real browser (Debian's Chromium through Playwright): sign in, upload a
two-page PDF, ask about its second page, scope a question away from it, delete it, and leave
👎 feedback that the export holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from index import Embedder
from service.cli.commands import app as cli_app
from service.state import AppState
from tests.conftest import library_state, serve_in_thread
from tests.pdfmaker import make_pdf

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():  # scripts/test.sh installs it; say so rather than skip silently
    pytest.fail("Debian's chromium is missing: run `bash scripts/test.sh`", pytrace=False)

from playwright.sync_api import Browser, Page, expect  # noqa: E402

QUESTION = "How many lighthouses does the Vellmar coast guard operate?"


@pytest.fixture(scope="module")
def state(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> AppState:
    return library_state(tmp_path_factory.mktemp("library-browser"), embedder, model_cache)


@pytest.fixture(scope="module")
def base_url(state: AppState) -> Iterator[str]:
    yield from serve_in_thread(state)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "coast-guard-report.pdf"
    make_pdf(
        path,
        [
            ["Vellmar coast guard annual report.", "The coast guard was founded in 1951."],
            [
                "Equipment and stations.",
                "The Vellmar coast guard operates 14 lighthouses along the northern shore.",
            ],
        ],
        title="Vellmar coast guard report",
    )
    return path


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 375, "height": 812}]
)
def test_browser_library_end_to_end(
    browser: Browser, base_url: str, state: AppState, pdf: Path, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 400)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # the delete confirmation

    page.goto(base_url + "/login")
    page.fill("#token", "test-token")
    page.click("button[type=submit]")
    page.wait_for_url("**/library")

    page.set_input_files("#files", str(pdf))
    row = page.locator("#documents tr", has_text="Vellmar coast guard report")
    expect(row).to_have_attribute("data-status", "indexed", timeout=60_000)
    expect(row.locator("td").nth(2)).to_have_text("2")  # pages
    expect(page.locator("#upload-status")).to_contain_text("Indexed")
    doc_id = row.get_attribute("data-id")

    page.goto(base_url + "/")
    page.evaluate("localStorage.clear()")
    page.reload()
    ask(page, QUESTION)
    answer = page.locator(".turn").last
    expect(answer.locator(".answer-text")).to_contain_text("14 lighthouses")
    expect(answer.locator(".cite-link").first).to_contain_text("p. 2")

    # Scoped away from the report: it is not cited.
    page.locator("#scope summary").click()
    page.locator(f"input[name=documents][value='{doc_id}']").uncheck()
    ask(page, QUESTION)
    expect(page.locator(".turn").last.locator(".cite-link", has_text="Vellmar")).to_have_count(0)
    page.locator(f"input[name=documents][value='{doc_id}']").check()

    # 👎 with a note under the first answer.
    first = page.locator(".turn").first
    first.locator(".rate-down").click()
    first.locator(".feedback-note").fill("wanted the year too")
    first.locator(".send-feedback").click()
    expect(first.locator(".feedback-done")).to_be_visible()

    # Delete it in the library, then it is never cited again.
    page.goto(base_url + "/library")
    page.locator("#documents tr", has_text="Vellmar").locator("button.delete").click()
    expect(page.locator("#documents tr", has_text="Vellmar")).to_have_count(0, timeout=60_000)
    assert state.jobs.wait_idle(60)
    page.goto(base_url + "/")
    ask(page, QUESTION)
    expect(page.locator(".turn").last.locator(".cite-link", has_text="Vellmar")).to_have_count(0)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    context.close()
    assert errors == []

    exported = CliRunner().invoke(
        cli_app, ["feedback", "export", "--index", str(state.settings.index_dir)]
    )
    rows = [json.loads(line) for line in exported.output.splitlines()]
    assert any(r["rating"] == "down" and r["note"] == "wanted the year too" for r in rows)


def ask(page: Page, question: str) -> None:
    count = page.locator(".turn").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    expect(page.locator(".turn")).to_have_count(count + 1, timeout=30_000)
