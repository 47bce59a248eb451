"""Corpus updates: formats, incremental and atomic rebuilds, hot switch, admin endpoint."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from index import Embedder, build_index, current_version, load_index, read_document
from service.settings import PROJECT_ROOT, Settings
from service.state import AppState, IndexHolder
from service.web.app import create_app
from tests.conftest import free_port, settings_env, start_server, stop_server
from tests.pdfmaker import make_pdf

pytestmark = pytest.mark.slow

WATER = [
    "Water policy in Testland",
    "Summary",
    "The Testland river authority was created in 1987 to manage the country's rivers.",
    "It operates eleven dams along the Blue River.",
]
FUNDING = [
    "Funding",
    "In 2020 the river authority received 45 million euros from the national budget.",
    "Most of the money went to flood defences in the northern valleys.",
]


def _doc(topic: str, fact: str) -> str:
    return (
        f"{topic.title()} in Testland\n"
        f"Background\n"
        f"Testland has debated {topic} for many years in its parliament.\n"
        f"Several committees reviewed the {topic} rules between 2001 and 2010.\n"
        f"Key facts\n"
        f"{fact}\n"
        f"The government publishes a yearly report on {topic}.\n"
    )


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "fisheries.txt").write_text(_doc("fisheries", "The cod quota for 2021 was 812 tonnes."))
    (root / "railways.txt").write_text(_doc("railways", "The northern line opened in 1931."))
    (root / "forests.txt").write_text(_doc("forests", "Forests cover 37 percent of Testland."))
    return root


def _embedded_texts(embedder: Embedder) -> tuple[list[str], object]:
    """Record what the embedder is asked to embed (the real model still does the work)."""
    seen: list[str] = []
    original = embedder.encode

    def recording(texts, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        return original(texts, *args, **kwargs)

    embedder.encode = recording  # type: ignore[method-assign]
    return seen, original


# --- formats ---------------------------------------------------------------------------------


def test_markdown_headings_become_sections(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("# Energy note\n\nIntro text here.\n\n## Prices\n\nPrices rose by 4%.\n")
    document = read_document(path, tmp_path)
    assert document.title == "Energy note"
    assert [s.title for s in document.sections] == ["Energy note", "Prices"]
    assert document.text == path.read_text()


def test_html_keeps_visible_text_and_headings(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Ports briefing</title><style>p{color:red}</style>"
        "<script>var secret = 'do not index';</script></head><body>"
        "<h1>Ports</h1><p>The main port handles 2 million containers.</p>"
        "<h2>Security</h2><p>Inspections doubled in 2019.</p></body></html>"
    )
    document = read_document(path, tmp_path)
    assert document.title == "Ports briefing"
    assert "do not index" not in document.text and "color:red" not in document.text
    assert [s.title for s in document.sections] == ["Ports", "Security"]
    security = document.sections[1]
    assert "Inspections doubled" in document.text[security.start : security.end]


def test_pdf_passages_know_their_page(tmp_path: Path, embedder: Embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "water.pdf", [WATER, FUNDING], title="Testland water briefing")
    build_index(corpus, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    document = index.documents["water"]
    assert document.title == "Testland water briefing"
    pages = {p.text.split(" ")[0]: p.page for p in index.passages}
    assert pages["The"] == 1 and pages["In"] == 2


def test_pdf_fact_is_cited_with_its_page(tmp_path: Path, app_state: AppState) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "water.pdf", [WATER, FUNDING], title="Testland water briefing")
    settings = Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        model_cache_dir=app_state.settings.model_cache_dir,
        reload_check_seconds=0,
    )
    holder = IndexHolder(settings, app_state.embedder)
    holder.load()
    state = AppState(settings, app_state.embedder, holder)
    with TestClient(create_app(settings, state=state)) as client:
        body = client.post(
            "/ask", json={"question": "How much money did the river authority receive in 2020?"}
        ).json()
        assert body["answered"] is True
        assert "45 million" in body["answer"]
        assert body["citations"][0]["page"] == 2
        page = client.get(body["citations"][0]["url"]).text
        assert 'id="page-2"' in page and 'id="cited"' in page


def test_unreadable_file_is_skipped_and_named(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    report = build_index(corpus, tmp_path / "index", embedder)
    assert report.documents == 3
    assert any(s.startswith("broken.pdf") for s in report.skipped_files)


# --- incremental builds ----------------------------------------------------------------------


def test_changing_one_document_re_embeds_only_its_texts(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder)
    (corpus / "railways.txt").write_text(_doc("railways", "The northern line opened in 1934."))
    seen, original = _embedded_texts(embedder)
    try:
        report = build_index(corpus, index_dir, embedder)
    finally:
        embedder.encode = original  # type: ignore[method-assign, assignment]
    assert report.changed == ["railways"]
    assert report.added == [] and report.removed == []
    assert report.unchanged == 2
    assert 0 < report.embedded == len(seen) and report.reused > report.embedded
    index = load_index(index_dir)
    railway_texts = {p.search_text for p in index.passages if p.document_id == "railways"}
    railway_texts |= {s.text for s in index.sentences if s.document_id == "railways"}
    railway_texts |= {"1934"}
    assert set(seen) <= railway_texts, set(seen) - railway_texts


def test_deleted_document_disappears(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder)
    (corpus / "forests.txt").unlink()
    report = build_index(corpus, index_dir, embedder)
    assert report.removed == ["forests"]
    assert report.embedded == 0
    index = load_index(index_dir)
    assert "forests" not in index.documents
    assert all(p.document_id != "forests" for p in index.passages)


def test_another_model_re_embeds_everything(
    corpus: Path, tmp_path: Path, embedder: Embedder, model_cache: Path
) -> None:
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder)
    other = Embedder("onnx", model_cache / "onnx-export", quantized=True)
    report = build_index(corpus, index_dir, other)
    assert report.reused == 0 and report.embedded > 0
    assert load_index(index_dir).manifest["model_key"].endswith("/qint8")


def test_old_versions_are_pruned(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    index_dir = tmp_path / "index"
    for _ in range(5):
        build_index(corpus, index_dir, embedder)
    versions = [p for p in (index_dir / "versions").iterdir() if not p.name.startswith(".")]
    assert len(versions) == 3
    assert current_version(index_dir) in {v.name for v in versions}


# --- crashes and processes -------------------------------------------------------------------


def test_build_killed_midway_leaves_previous_version_serving(
    corpus: Path, tmp_path: Path, embedder: Embedder, model_cache: Path
) -> None:
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder)
    before = current_version(index_dir)
    for i in range(150):  # enough new text that embedding takes a while
        (corpus / f"extra-{i:03d}.txt").write_text(
            _doc(f"topic{i}", f"Fact number {i} says the budget was {i * 7} million.")
        )
    settings = Settings(corpus_dir=corpus, index_dir=index_dir, model_cache_dir=model_cache)
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "build-index"],
        env=settings_env(settings),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert process.stderr is not None
    for line in iter(process.stderr.readline, ""):
        if "Embedding" in line:
            break
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert current_version(index_dir) == before
    assert len(load_index(index_dir).documents) == 3
    report = build_index(corpus, index_dir, embedder)  # the next build finishes the job
    assert report.documents == 153
    assert report.reused > 0, "vectors computed before the kill were kept"
    assert not list((index_dir / "versions").glob(".staging-*"))


@pytest.fixture()
def server(
    corpus: Path, tmp_path: Path, embedder: Embedder, model_cache: Path
) -> Iterator[tuple[str, Settings]]:
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder)
    settings = Settings(corpus_dir=corpus, index_dir=index_dir, model_cache_dir=model_cache)
    port = free_port()
    env = settings_env(
        settings,
        reload_check_seconds=0.3,
        admin_token="s3cret",
        # Several clients share one address here; the limiter has its own tests.
        rate_limit_per_minute=0,
    )
    process = start_server(env, port)
    yield f"http://127.0.0.1:{port}", settings
    stop_server(process)


def test_hot_switch_under_load_drops_no_request(server: tuple[str, Settings]) -> None:
    base, settings = server
    failures: list[str] = []
    versions: set[str] = set()
    stop = threading.Event()
    answered = [0]

    def stream() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not stop.is_set():
                try:
                    response = client.post("/ask", json={"question": "When did the line open?"})
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:200]}")
                    else:
                        versions.add(response.json()["index_version"])
                        answered[0] += 1
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    clients = [threading.Thread(target=stream) for _ in range(4)]
    for c in clients:
        c.start()
    try:
        for round_number in range(3):
            fact = f"The harbour tunnel number {round_number} opened in 19{70 + round_number}."
            (settings.corpus_dir / f"tunnel-{round_number}.txt").write_text(_doc("tunnels", fact))
            subprocess.run(
                [sys.executable, "-m", "service.cli", "build-index", "--quiet"],
                env=settings_env(settings),
                check=True,
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
            )
            new_version = current_version(settings.index_dir)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                health = httpx.get(base + "/health", timeout=5).json()
                if health["index_version"] == new_version:
                    break
                time.sleep(0.1)
            assert health["index_version"] == new_version
            body = httpx.post(
                base + "/ask",
                json={"question": f"When did harbour tunnel number {round_number} open?"},
                timeout=30,
            ).json()
            assert body["index_version"] == new_version
            assert f"19{70 + round_number}" in body["answer"]
    finally:
        stop.set()
        for c in clients:
            c.join(timeout=30)
    assert failures == []
    assert answered[0] > 20
    assert len(versions) >= 3


def test_admin_reindex_requires_the_token(server: tuple[str, Settings]) -> None:
    base, settings = server
    assert httpx.post(base + "/admin/reindex").status_code == 401
    wrong = httpx.post(base + "/admin/reindex", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"
    (settings.corpus_dir / "ports.txt").write_text(_doc("ports", "The port has 14 berths."))
    before = httpx.get(base + "/health").json()["index_version"]
    ok = httpx.post(
        base + "/admin/reindex", headers={"Authorization": "Bearer s3cret"}, timeout=120
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["added"] == ["ports"] and body["index_version"] != before
    assert httpx.get(base + "/health").json()["index_version"] == body["index_version"]


def test_admin_disabled_without_a_token(client: TestClient, app_state: AppState) -> None:
    settings = app_state.settings.model_copy(update={"admin_token": None})
    state = AppState(settings, app_state.embedder, app_state.holder)
    with TestClient(create_app(settings, state=state)) as no_admin:
        response = no_admin.post("/admin/reindex", headers={"Authorization": "Bearer x"})
    assert response.status_code == 404
    assert "BRIEFING_QA_ADMIN_TOKEN" in response.json()["error"]["message"]


def test_damaged_index_is_rebuilt_on_start(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder)
    damaged = current_version(index_dir)
    (index_dir / "versions" / str(damaged) / "manifest.json").write_text("{not json")
    settings = Settings(corpus_dir=corpus, index_dir=index_dir, reload_check_seconds=0)
    holder = IndexHolder(settings, embedder)
    loaded = holder.load()
    assert loaded.version != damaged
    assert len(loaded.documents) == 3


def test_build_report_is_json_friendly(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    report = build_index(corpus, tmp_path / "index", embedder)
    assert json.loads(json.dumps(report.__dict__))["documents"] == 3
    shutil.rmtree(tmp_path / "index")
