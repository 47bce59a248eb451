"""The library API: upload, list, scope, delete, feedback — and every bad upload refused with a
reason while the library and the served index stay as they were."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from index import Embedder
from service.cli.commands import app as cli_app
from service.cli.evaluation import load_cases
from service.state import AppState
from service.web.app import create_app
from tests.conftest import library_state
from tests.pdfmaker import make_pdf

AUTH = {"Authorization": "Bearer test-token"}
RAILWAYS = (
    "# Railway reform in Ruritania\n\nThe Ruritanian railway reform of 2019 split the state "
    "operator into three companies. The reform was led by transport minister Anna Varga.\n"
)


@pytest.fixture()
def state(tmp_path: Path, embedder: Embedder, model_cache: Path) -> AppState:
    return library_state(tmp_path, embedder, model_cache, max_upload_bytes=200_000)


@pytest.fixture()
def client(state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(state.settings, state=state)) as test_client:
        yield test_client


def upload(client: TestClient, *files: tuple[str, bytes], auth: bool = True) -> dict[str, Any]:
    response = client.post(
        "/api/documents",
        files=[("file", (name, data)) for name, data in files],
        headers=AUTH if auth else {},
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def indexed(state: AppState) -> None:
    assert state.jobs.wait_idle(120), "indexing did not finish"


def test_library_upload_needs_the_token(client: TestClient) -> None:
    response = client.post("/api/documents", files=[("file", ("a.md", b"# A\n\nText."))])
    assert response.status_code == 401
    assert client.delete("/api/documents/anything").status_code == 401


def test_library_upload_is_indexed_and_answered(client: TestClient, state: AppState) -> None:
    result = upload(client, ("railways.md", RAILWAYS.encode()))
    doc_id = result["accepted"][0]["id"]
    assert result["rejected"] == []
    listed = {d["id"]: d for d in client.get("/api/documents").json()}
    assert listed[doc_id]["status"] in ("pending", "indexed")
    indexed(state)
    listed = {d["id"]: d for d in client.get("/api/documents").json()}
    assert listed[doc_id]["status"] == "indexed" and listed[doc_id]["passages"] >= 1
    assert listed[doc_id]["filename"] == "railways.md"
    answer = client.post("/ask", json={"question": "Who led the Ruritanian railway reform?"}).json()
    assert answer["answered"] and "Anna Varga" in answer["answer"]
    assert answer["citations"][0]["document_id"] == doc_id


def test_library_same_content_twice_is_one_document(client: TestClient, state: AppState) -> None:
    first = upload(client, ("railways.md", RAILWAYS.encode()))
    indexed(state)
    again = upload(client, ("copy of railways.md", RAILWAYS.encode()))
    indexed(state)
    assert again["accepted"][0]["id"] == first["accepted"][0]["id"]
    assert len(client.get("/api/documents").json()) == 2  # the briefing and this one


def _blank_pdf(tmp_path: Path) -> bytes:
    path = tmp_path / "blank.pdf"
    make_pdf(path, [[]])
    return path.read_bytes()


def test_library_unreadable_upload_fails_alone_with_its_reason(
    client: TestClient, state: AppState, tmp_path: Path
) -> None:
    result = upload(client, ("blank.pdf", _blank_pdf(tmp_path)), ("railways.md", RAILWAYS.encode()))
    assert result["rejected"] == []  # read in the build, in a process of its own
    indexed(state)
    listed = {d["filename"]: d for d in client.get("/api/documents").json()}
    assert listed["blank.pdf"]["status"] == "failed"
    assert "no text to index" in listed["blank.pdf"]["error"]
    assert listed["railways.md"]["status"] == "indexed"


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("setup.pdf", lambda _: b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "not a PDF"),
        ("notes.txt", lambda _: b"\x7fELF\x02\x01\x01\x00" + bytes(200), "not a text file"),
        ("empty.md", lambda _: b"", "empty"),
        ("report.docx", lambda _: b"PK\x03\x04 hello", "not a Word .docx file"),
        ("setup.exe", lambda _: b"MZ\x90\x00" + bytes(200), "unsupported file type .exe"),
        ("big.txt", lambda _: b"word " * 50_000, "larger than"),
    ],
)
def test_library_refuses_bad_files_and_changes_nothing(
    client: TestClient, state: AppState, tmp_path: Path, name: str, make: object, reason: str
) -> None:
    before_version = state.holder.current().version
    before_files = sorted(p.name for p in state.settings.corpus_dir.rglob("*"))
    data = make(tmp_path)  # type: ignore[operator]
    response = client.post("/api/documents", files=[("file", (name, data))], headers=AUTH)
    if response.status_code == 413:  # the whole request was over the limit: fine too
        assert reason == "larger than"
    else:
        body = response.json()
        assert body["accepted"] == [] and reason in body["rejected"][0]["reason"]
    indexed(state)
    assert state.holder.current().version == before_version
    assert sorted(p.name for p in state.settings.corpus_dir.rglob("*")) == before_files
    assert len(client.get("/api/documents").json()) == 1


def test_library_stores_a_path_like_name_safely(client: TestClient, state: AppState) -> None:
    result = upload(client, ("../../escape.md", RAILWAYS.encode()))
    indexed(state)
    assert result["accepted"][0]["filename"] == "escape.md"
    corpus = state.settings.corpus_dir
    assert (
        not (corpus.parent / "escape.md").exists()
        and not (corpus.parent.parent / "escape.md").exists()
    )
    stored = list((corpus / "uploads").iterdir())
    assert len(stored) == 1 and stored[0].name.startswith("escape-")


def test_library_malformed_multipart_is_a_4xx(client: TestClient) -> None:
    response = client.post(
        "/api/documents",
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end',
        headers={**AUTH, "content-type": "multipart/form-data; boundary=xyz"},
    )
    assert 400 <= response.status_code < 500


def test_library_two_uploads_at_once_both_end_indexed(client: TestClient, state: AppState) -> None:
    ids: list[str] = []

    def send(name: str, text: str) -> None:
        ids.append(upload(client, (name, text.encode()))["accepted"][0]["id"])

    threads = [
        threading.Thread(target=send, args=("one.md", "# One\n\nThe first note names Oslo.")),
        threading.Thread(target=send, args=("two.md", "# Two\n\nThe second note names Lima.")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    indexed(state)
    statuses = {d["id"]: d["status"] for d in client.get("/api/documents").json()}
    assert len(ids) == 2 and all(statuses[i] == "indexed" for i in ids)


def test_library_delete_means_never_cited_again(client: TestClient, state: AppState) -> None:
    doc_id = upload(client, ("railways.md", RAILWAYS.encode()))["accepted"][0]["id"]
    indexed(state)
    assert client.delete(f"/api/documents/{doc_id}", headers=AUTH).status_code == 200
    indexed(state)
    assert doc_id not in {d["id"] for d in client.get("/api/documents").json()}
    answer = client.post("/ask", json={"question": "Who led the Ruritanian railway reform?"}).json()
    assert all(c["document_id"] != doc_id for c in answer["citations"])
    assert client.delete("/api/documents/no-such-doc", headers=AUTH).status_code == 404


def test_ask_scope_cites_only_the_chosen_documents(client: TestClient, state: AppState) -> None:
    doc_id = upload(client, ("railways.md", RAILWAYS.encode()))["accepted"][0]["id"]
    indexed(state)
    question = {"question": "Who led the Ruritanian railway reform?"}
    briefing = "kazakhstan-human-rights-situation"
    scoped = client.post("/ask", json={**question, "documents": [briefing]}).json()
    assert all(c["document_id"] == briefing for c in scoped["citations"])
    assert "Anna Varga" not in scoped["answer"]
    own = client.post("/ask", json={**question, "documents": [doc_id]}).json()
    assert own["citations"] and all(c["document_id"] == doc_id for c in own["citations"])
    unknown = client.post("/ask", json={**question, "documents": ["nope"]})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "documents"


def test_feedback_is_stored_and_exported_for_eval(
    client: TestClient, state: AppState, tmp_path: Path
) -> None:
    answer = client.post("/ask", json={"question": "Who dominates Kazakh politics?"}).json()
    response = client.post(
        "/feedback",
        json={
            "question": answer["question"],
            "answer": answer["answer"],
            "rating": "down",
            "note": "too vague",
            "citations": answer["citations"][:1],
        },
    )
    assert response.status_code == 201
    assert (
        client.post("/feedback", json={"question": "q", "answer": "a", "rating": "meh"}).status_code
        == 422
    )
    result = CliRunner().invoke(
        cli_app, ["feedback", "export", "--index", str(state.settings.index_dir)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0]["rating"] == "down" and rows[0]["note"] == "too vague"
    assert rows[0]["index_version"] == state.holder.current().version
    exported = tmp_path / "feedback.jsonl"
    exported.write_text(result.output)
    assert load_cases(exported)[0].question == answer["question"]


def test_login_sets_a_strict_http_only_cookie(client: TestClient, state: AppState) -> None:
    assert client.post("/login", data={"token": "wrong"}).status_code == 401
    response = client.post("/login", data={"token": "test-token"}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    result = client.post("/api/documents", files=[("file", ("r.md", RAILWAYS.encode()))])
    assert result.status_code == 202  # the session cookie signs the upload in
    indexed(state)
    client.post("/logout")
    assert (
        client.post("/api/documents", files=[("file", ("s.md", b"# S\n\nText."))]).status_code
        == 401
    )


def test_library_a_file_that_breaks_at_build_marks_only_itself_failed(
    client: TestClient, state: AppState
) -> None:
    # A file that passed the checks but is damaged on disk before the build reads it.
    broken = state.settings.corpus_dir / "uploads" / "broken-00000000.pdf"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"%PDF-1.4\n% damaged after upload\n")
    state.library.add_upload(
        "uploads-broken-00000000", "broken.pdf", "uploads/broken-00000000.pdf", "0" * 64
    )
    good = upload(client, ("railways.md", RAILWAYS.encode()))["accepted"][0]["id"]
    indexed(state)
    listed = {d["id"]: d for d in client.get("/api/documents").json()}
    assert listed[good]["status"] == "indexed"
    assert listed["uploads-broken-00000000"]["status"] == "failed"
    assert listed["uploads-broken-00000000"]["error"]
    assert listed["kazakhstan-human-rights-situation"]["status"] == "indexed"


def test_index_status_shows_the_registry_and_the_build_queue(
    client: TestClient, state: AppState
) -> None:
    assert client.get("/api/index").status_code == 401
    before = client.get("/api/index", headers=AUTH).json()
    assert before["serving"] == state.holder.current().version
    assert [v["name"] for v in before["versions"]] == [before["serving"]]
    upload(client, ("railways.md", RAILWAYS.encode()))
    indexed(state)
    after = client.get("/api/index", headers=AUTH).json()
    assert after["serving"] != before["serving"]
    assert [v["name"] for v in after["versions"]] == [after["serving"], before["serving"]]
    newest = after["builds"][0]
    assert newest["version"] == after["serving"] and newest["done_at"] is not None
    assert after["open_builds"] == 0
