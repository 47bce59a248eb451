"""The chat page in a real browser: Debian's Chromium driven by Playwright.

The app runs in a real uvicorn server on a free port (in a thread, sharing the session's model
and index); Chromium is a separate process talking HTTP to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
PRESS = "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"

if not CHROMIUM.exists():  # scripts/test.sh installs it; say so rather than skip silently
    pytest.fail("Debian's chromium is missing: run `bash scripts/test.sh`", pytrace=False)

from playwright.sync_api import (  # noqa: E402
    Browser,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    expect,
)


@pytest.fixture(scope="module")
def base_url(live_url: str) -> str:
    return live_url


@pytest.fixture()
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: _record_error(page, m))
    page.on("pageerror", lambda e: _record_page_error(page, e))
    page.goto(base_url + "/")
    yield page
    context.close()


def _record_error(page: Page, message: ConsoleMessage) -> None:
    if message.type == "error":
        page.errors.append(message.text)  # type: ignore[attr-defined]


def ask(page: Page, question: str) -> None:
    count = page.locator(".turn").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    expect(page.locator(".turn")).to_have_count(count + 1, timeout=20_000)


def _record_page_error(page: Page, error: Error) -> None:
    page.errors.append(str(error))  # type: ignore[attr-defined]


def test_browser_ask_shows_cited_answer(page: Page) -> None:
    ask(page, PRESS)
    answer = page.locator(".turn .answer").last
    expect(answer).to_contain_text("161 of 180 countries")
    expect(answer.locator(".marker").first).to_have_text("[1]")
    expect(answer.locator(".citation").first).to_contain_text("Press freedom")
    expect(answer.locator(".citation mark").first).to_contain_text("161")
    assert page.errors == []  # type: ignore[attr-defined]


def test_browser_follow_up_uses_the_conversation(page: Page) -> None:
    ask(page, "Which newspaper was closed down by a court in February 2014?")
    ask(page, "why?")
    expect(page.locator(".turn .answer").last).to_contain_text("technical")


def test_browser_hovering_a_marker_shows_the_passage_card(page: Page) -> None:
    ask(page, PRESS)
    page.locator(".turn .marker").first.hover()
    card = page.locator(".card-popover")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Press freedom")
    expect(card.locator("mark")).to_contain_text("161")


def test_browser_focusing_a_marker_shows_the_card_too(page: Page) -> None:
    ask(page, PRESS)
    page.locator(".turn .marker").first.focus()
    expect(page.locator(".card-popover")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".card-popover")).to_have_count(0)


def test_browser_citation_opens_document_at_highlighted_passage(page: Page) -> None:
    ask(page, PRESS)
    page.locator(".turn .marker").first.click()
    page.wait_for_url("**/documents/**")
    cited = page.locator("#cited")
    expect(cited).to_be_visible()
    expect(page.locator("mark.doc-quote").first).to_contain_text("161")
    box = cited.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["y"] + box["height"] > 0 and box["y"] < viewport["height"], "scrolled into view"
    assert page.evaluate("window.scrollY") > 0


def test_browser_user_html_is_shown_as_text_and_never_runs(page: Page) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    payload = "<img src=x onerror=alert(1)>"
    ask(page, payload)
    expect(page.locator(".turn .question").last).to_contain_text(payload)
    assert page.locator(".thread img").count() == 0
    page.reload()
    expect(page.locator(".turn .question").last).to_contain_text(payload)
    page.wait_for_timeout(300)
    assert dialogs == []


def test_browser_not_in_briefing_looks_different(page: Page) -> None:
    ask(page, "Who won the 2014 FIFA World Cup?")
    answer = page.locator(".turn .answer").last
    expect(answer).to_have_class("answer not-answered")
    expect(answer.locator(".badge")).to_have_text("Not in the documents")
    expect(answer.locator(".citation")).to_have_count(0)


def test_browser_reload_keeps_the_conversation(page: Page) -> None:
    ask(page, PRESS)
    page.reload()
    expect(page.locator(".turn")).to_have_count(1)
    expect(page.locator(".turn .answer")).to_contain_text("161")


def test_browser_new_conversation_clears_the_thread(page: Page) -> None:
    ask(page, PRESS)
    page.click("#new-conversation")
    expect(page.locator(".turn")).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    page.reload()
    expect(page.locator(".turn")).to_have_count(0)


def test_browser_starter_question_asks_it(page: Page) -> None:
    starters = page.locator(".starter")
    assert starters.count() >= 3
    starters.first.click()
    expect(page.locator(".turn")).to_have_count(1, timeout=20_000)
    expect(page.locator(".turn .answer")).to_be_visible()


def test_browser_shift_enter_adds_a_line_enter_sends(page: Page) -> None:
    page.fill("#question", "first line")
    page.press("#question", "Shift+Enter")
    page.keyboard.type("second line")
    assert page.input_value("#question") == "first line\nsecond line"
    expect(page.locator(".turn")).to_have_count(0)
    page.press("#question", "Enter")
    expect(page.locator(".turn")).to_have_count(1, timeout=20_000)


def test_browser_keyboard_only_reaches_the_question_box_and_send(page: Page) -> None:
    page.keyboard.press("Tab")  # skip link first
    focused = [page.evaluate("document.activeElement.className")]
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate("document.activeElement.id || document.activeElement.className")
        )
    assert "skip-link" in focused[0]
    assert "question" in focused
    assert focused.index("question") < focused.index("send")


def test_browser_new_answers_are_announced(page: Page) -> None:
    expect(page.locator("#thread")).to_have_attribute("aria-live", "polite")
    ask(page, PRESS)
    # The answer is added inside the live region, so screen readers read it out.
    expect(page.locator("#thread .turn .answer")).to_have_count(1)
    assert page.locator("label[for=question]").count() == 1
    expect(page.locator(".turn .marker").first).to_have_attribute(
        "aria-label", "Citation 1: Kazakhstan: human rights situation — Press freedom"
    )


def test_browser_server_failure_shows_a_clear_message(page: Page) -> None:
    page.route("**/ask", lambda route: route.abort())
    page.fill("#question", PRESS)
    page.press("#question", "Enter")
    expect(page.locator("#status")).to_contain_text("cannot be reached")
    page.unroute("**/ask")
    page.route("**/ask", lambda route: route.fulfill(status=500, body="oops"))
    page.press("#question", "Enter")
    expect(page.locator("#status")).to_contain_text("could not answer")


def test_browser_phone_width_has_no_horizontal_scroll(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    page.goto(base_url + "/")
    ask(page, PRESS)
    page.locator(".turn .marker").first.hover()
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    context.close()


def test_browser_dark_mode_is_respected(browser: Browser, base_url: str) -> None:
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(base_url + "/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    context.close()
    assert background == "rgb(22, 24, 27)"


def test_browser_page_loads_nothing_from_outside(page: Page, base_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    ask(page, PRESS)
    assert requested and all(url.startswith(base_url) for url in requested), requested


def test_browser_works_without_javascript(browser: Browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/")
    page.fill("#question", PRESS)
    page.click("#send")
    expect(page.locator(".turn .answer")).to_contain_text("161")
    context.close()


def test_browser_copy_puts_answer_and_sources_on_the_clipboard(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.goto(base_url + "/")
    ask(page, PRESS)
    page.locator(".turn .copy").first.click()
    expect(page.locator(".turn .copy").first).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    context.close()
    assert "161 of 180 countries" in copied
    assert "Sources:" in copied and "/documents/kazakhstan-human-rights-situation" in copied


def test_browser_unquoted_passages_wait_behind_more_passages(page: Page) -> None:
    ask(page, PRESS)
    answer = page.locator(".turn .answer").last
    expect(answer.locator("ol.citations").first.locator(".citation")).to_have_count(1)
    more = answer.locator("details.more-sources")
    expect(more.locator("summary")).to_contain_text("More passages (2)")
    expect(more.locator(".citation").first).to_be_hidden()
    more.locator("summary").click()
    expect(more.locator(".citation").first).to_be_visible()


VOTES = "How many votes did Nazarbayev get in 2011?"
# Desktop, a phone, and 200 % zoom of a 1280-px window (the same CSS width as 640 px).
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 375, "height": 812},
    "zoom-200": {"width": 640, "height": 400},
}


def open_first_citation(browser: Browser, base_url: str, viewport: dict[str, int]) -> Page:
    """A page that opened the first citation of an answer, as a click on [1] does."""
    context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 400)  # type: ignore[arg-type]
    page = context.new_page()
    body = page.request.post(base_url + "/ask", data={"question": VOTES}).json()
    page.goto(base_url + body["citations"][0]["url"])
    page.locator("#cited").wait_for()
    page.wait_for_timeout(100)  # let the anchor scroll settle
    return page


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_browser_highlighted_lines_never_cover_each_other(
    browser: Browser, base_url: str, name: str
) -> None:
    page = open_first_citation(browser, base_url, VIEWPORTS[name])
    lines = page.evaluate(
        """() => {
          const rects = [...document.querySelectorAll('.doc-view mark')]
            .flatMap(m => [...m.getClientRects()]).filter(r => r.width > 0);
          const byLine = new Map();
          for (const r of rects) {
            const key = Math.round(r.top);
            const [top, bottom] = byLine.get(key) || [r.top, r.bottom];
            byLine.set(key, [Math.min(top, r.top), Math.max(bottom, r.bottom)]);
          }
          return [...byLine.values()].sort((a, b) => a[0] - b[0]);
        }"""
    )
    page.context.close()
    assert len(lines) >= 2, lines
    overlaps = [upper[1] - lower[0] for upper, lower in itertools.pairwise(lines)]
    assert max(overlaps) <= 2, overlaps


@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_browser_cited_sentence_lands_in_view_under_its_section(
    browser: Browser, base_url: str, name: str
) -> None:
    page = open_first_citation(browser, base_url, VIEWPORTS[name])
    quote = page.locator("mark.doc-quote").first
    expect(quote).to_contain_text("95.55")
    box = quote.bounding_box()
    heading = page.locator(".doc-heading", has_text="Current situation").bounding_box()
    height = VIEWPORTS[name]["height"]
    page.context.close()
    assert box is not None and heading is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
    assert heading["y"] >= 0 and heading["y"] + heading["height"] <= box["y"] + 1, (heading, box)


def test_browser_document_outline_keeps_heading_levels(page: Page, base_url: str) -> None:
    page.goto(base_url + "/documents/kazakhstan-human-rights-situation")
    expect(page.locator("h1")).to_have_text("Kazakhstan: human rights situation")
    expect(page.locator("h2", has_text="Human rights")).to_have_count(1)
    expect(page.locator("h2", has_text="Current situation")).to_have_count(1)
    expect(page.locator("h3", has_text="Press freedom")).to_have_count(1)
    expect(page.locator("h3", has_text="Violence in Zhanaozen")).to_have_count(1)
    assert page.locator("p", has_text="Human rights").filter(has_text="^Human rights$").count() == 0
