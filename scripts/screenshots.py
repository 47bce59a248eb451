"""Refresh the README's screenshots from the real page.

Starts `briefing-qa serve` on a free port (index built on first use, as for users), asks a few
questions in Debian's Chromium through Playwright, and saves docs/screenshots/desktop.png and
docs/screenshots/phone.png, then opens a citation and saves the document view where it lands
(docs/screenshots/document-desktop.png and docs/screenshots/document-phone.png), and the
library page signed in (docs/screenshots/library-desktop.png, library-phone.png). Then the
chat of a German and of an Arabic reader (their browser's language; an answer and a refusal,
asked in their own words once the multilingual phase is ready), on a desktop:
docs/screenshots/desktop-de.png and desktop-ar.png.

Run: .venv/bin/python scripts/screenshots.py
(Debian's fonts-noto-color-emoji draws the 👍/👎 of the feedback buttons; without it they show
as empty boxes. fonts-noto-core draws the Arabic; scripts/test.sh installs both.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CONVERSATION = [
    "Which newspaper was closed down by a court in February 2014?",
    "why?",
    "What was Kazakhstan's rank in the 2014 World Press Freedom Index?",
    "How many seats did Nur Otan win in 2015?",
]
CITED_QUESTION = "How many votes did Nazarbayev get in 2011?"
# Readers whose browsers ask for another language: (file suffix, browser locale, questions in
# their words: one the briefing answers, one it does not).
READERS = [
    (
        "de",
        "de-DE",
        [
            "Welchen Rang belegte Kasachstan 2014 im Index der Pressefreiheit?",
            "Wie hoch ist der Eiffelturm?",
        ],
    ),
    (
        "ar",
        "ar-EG",
        [
            "ما هو ترتيب كازاخستان في مؤشر حرية الصحافة العالمي لعام 2014؟",
            "ما هو ارتفاع برج إيفل؟",
        ],
    ),
]
TOKEN = "screenshot-token"  # the server started here accepts it; nothing else does


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited before it was ready")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up")


def wait_until_multilingual(url: str, timeout: float = 600) -> None:
    """Until the second, multilingual build phase is ready (questions in other languages wait
    for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "/health", timeout=5) as response:
            if (json.load(response).get("multilingual") or {}).get("ready"):
                return
        time.sleep(1)
    raise SystemExit("the multilingual phase did not finish")


def ask_all(page: Page, base: str, questions: list[str]) -> None:
    """A fresh chat (nothing remembered) with each question asked and answered in turn."""
    page.goto(base + "/")
    page.evaluate("localStorage.clear()")
    page.reload()
    for i, question in enumerate(questions, start=1):
        page.fill("#question", question)
        page.press("#question", "Enter")
        page.locator(".turn").nth(i - 1).locator(".answer").wait_for()


def converse(page: Page, base: str) -> None:
    ask_all(page, base, CONVERSATION)
    page.locator(".turn .marker").nth(2).hover()
    page.wait_for_timeout(200)


def converse_as_reader(page: Page, base: str, questions: list[str]) -> None:
    """A short conversation, an answer and a refusal, seen from the top of the page."""
    ask_all(page, base, questions)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(200)


def open_citation(page: Page, base: str) -> None:
    """The document view where citation [1] of an answer lands, as a click on it opens it."""
    body = page.request.post(base + "/ask", data={"question": CITED_QUESTION}).json()
    page.goto(base + body["citations"][0]["url"])
    page.locator("#cited").wait_for()
    page.wait_for_timeout(200)


def open_library(page: Page, base: str) -> None:
    """The library page, signed in (the drop zone shows)."""
    page.goto(base + "/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url("**/library")
    page.locator("#documents tr[data-id]").first.wait_for()


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "briefing-qa"), "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "BRIEFING_QA_ADMIN_TOKEN": TOKEN},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(base, server)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            sizes: list[tuple[str, ViewportSize, bool]] = [
                ("desktop", {"width": 1280, "height": 900}, False),
                ("phone", {"width": 375, "height": 812}, True),
            ]
            for name, viewport, mobile in sizes:
                context = browser.new_context(
                    viewport=viewport, is_mobile=mobile, device_scale_factor=1
                )
                page = context.new_page()
                converse(page, base)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print(f"wrote {OUT / f'{name}.png'}")
                open_citation(page, base)
                page.screenshot(path=str(OUT / f"document-{name}.png"))
                print(f"wrote {OUT / f'document-{name}.png'}")
                open_library(page, base)
                page.screenshot(path=str(OUT / f"library-{name}.png"))
                print(f"wrote {OUT / f'library-{name}.png'}")
                context.close()
            wait_until_multilingual(base)
            for suffix, locale, questions in READERS:
                context = browser.new_context(
                    viewport=sizes[0][1], device_scale_factor=1, locale=locale
                )
                page = context.new_page()
                converse_as_reader(page, base, questions)
                page.screenshot(path=str(OUT / f"desktop-{suffix}.png"))
                print(f"wrote {OUT / f'desktop-{suffix}.png'}")
                context.close()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
