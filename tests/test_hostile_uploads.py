"""Six hostile files uploaded in a row to a real server: each ends indexed or failed with a
reason within 60 s, a good file uploaded after them is answered within 30 s, and questions
asked all along are answered (no 5xx)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.settings import Settings
from tests.conftest import BRIEFING, free_port, settings_env, start_server, stop_server
from tests.hostile import (
    blank_pages_pdf,
    flate_bomb_pdf,
    many_headings_markdown,
    nested_divs_html,
    single_word_text,
)

TOKEN = "hostile-test-token"
GOOD = (
    "# Harbour of Testhaven\n\n## History\n\n"
    "The lighthouse of Testhaven was lit for the first time in 1887 by the keeper Ida Marsh.\n"
)


def _odd_name(path: Path) -> Path:
    path.write_text("# Quay rules\n\nBoats must not moor at the ferry quay after ten at night.\n")
    return path


HOSTILE: list[tuple[str, Callable[[Path], Path]]] = [
    ("bomb.pdf", flate_bomb_pdf),
    ("blank.pdf", blank_pages_pdf),
    ("word.txt", single_word_text),
    ("headings.md", many_headings_markdown),
    ("nested.html", nested_divs_html),
    ("quay\u202e\u0007cod.md", _odd_name),
]


# The uploads take tens of seconds and one question well under one: fewer answers than this
# means the asker stalled, and the test would say nothing of questions asked meanwhile.
MIN_QUESTIONS_ASKED = 10


class Asker(threading.Thread):
    """Asks a question over and over until stopped; keeps every status code, and the error
    that ended it early (a thread's exception is otherwise lost, and the test would pass on
    the answers it got before dying)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.statuses: list[int] = []
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base, timeout=30) as client:
                while not self.stopping.is_set():
                    response = client.post("/ask", json={"question": "Who closed the newspaper?"})
                    self.statuses.append(response.status_code)
        except BaseException as error:  # kept for the test thread to raise
            self.error = error

    def stop(self) -> list[int]:
        """Stop asking and return the status codes; raises what ended the asker early, and
        fails when it stopped before it was told to or asked too few questions."""
        still_asking = self.is_alive()
        self.stopping.set()
        self.join(30)
        if self.error is not None:
            raise AssertionError(f"the asker died: {self.error!r}") from self.error
        assert still_asking, "the asker stopped before it was told to"
        assert not self.is_alive(), "the asker did not stop within 30 s"
        assert len(self.statuses) >= MIN_QUESTIONS_ASKED, len(self.statuses)
        return self.statuses


@pytest.fixture()
def server(tmp_path: Path, app_state: Any) -> Any:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(BRIEFING, corpus / BRIEFING.name)
    settings = Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        model_cache_dir=app_state.settings.model_cache_dir,
    )
    port = free_port()
    env = settings_env(
        settings,
        admin_token=TOKEN,
        rate_limit_per_minute=0,
        reload_check_seconds=1,
        read_memory_mb=1536,
    )
    process = start_server(env, port)
    yield f"http://127.0.0.1:{port}"
    stop_server(process)


def _documents(client: httpx.Client) -> dict[str, dict[str, Any]]:
    response = client.get("/api/documents")
    assert response.status_code == 200
    return {d["id"]: d for d in response.json()}


def _upload(client: httpx.Client, name: str, data: bytes) -> str:
    response = client.post(
        "/api/documents",
        files=[("file", (name, data))],
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["rejected"] == [], body
    return str(body["accepted"][0]["id"])


@pytest.mark.slow
def test_hostile_uploads_fail_alone_and_good_file_is_answered(server: str, tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    asker = Asker(server)
    asker.start()
    with httpx.Client(base_url=server, timeout=30) as client:
        started = time.monotonic()
        ids = {
            _upload(client, name, make(files / "upload").read_bytes()): name
            for name, make in HOSTILE
        }
        good = _upload(client, "good.md", GOOD.encode())
        good_sent = time.monotonic()
        answered_after = None
        ended: dict[str, float] = {}
        while time.monotonic() - started < 90:
            listed = _documents(client)
            for doc_id in ids:
                if doc_id not in ended and listed[doc_id]["status"] in ("indexed", "failed"):
                    ended[doc_id] = time.monotonic() - started
            if answered_after is None and listed.get(good, {}).get("status") == "indexed":
                answer = client.post(
                    "/ask", json={"question": "Who lit the lighthouse of Testhaven?"}
                )
                if "Ida Marsh" in answer.json()["answer"]:
                    answered_after = time.monotonic() - good_sent
            if answered_after is not None and len(ended) == len(ids):
                break
            time.sleep(0.5)
        listed = _documents(client)
    statuses = asker.stop()
    print(f"\nhostile files ended after (s): { {ids[k]: round(v, 1) for k, v in ended.items()} }")
    print(f"good file answered {answered_after} s after its upload")
    print(f"{len(statuses)} questions asked meanwhile")
    assert len(ended) == len(ids) and max(ended.values()) <= 60, ended
    assert answered_after is not None and answered_after <= 30
    reasons = {ids[k]: listed[k].get("error") or "" for k in ids}
    assert "MB of memory" in reasons["bomb.pdf"]
    assert "no text to index" in reasons["blank.pdf"]
    assert "without a space" in reasons["word.txt"]
    assert "over 20,000 headings" in reasons["headings.md"]
    assert "nested too deeply" in reasons["nested.html"]
    odd = next(k for k, name in ids.items() if name.startswith("quay"))
    assert listed[odd]["status"] == "indexed"
    assert "\u202e" not in listed[odd]["filename"] and "\u0007" not in listed[odd]["filename"]
    assert all(s == 200 for s in statuses), set(statuses)
