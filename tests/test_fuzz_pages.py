"""Property-based fuzzing of the routes the OpenAPI schema does not describe (issue #16): the
no-JavaScript chat form and the document view. Whatever arrives, the answer is never a 5xx,
never a stack trace, and the server answers normally afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import Embedder
from service.state import AppState
from service.web.app import create_app
from tests.conftest import library_state

DOCUMENT = "kazakhstan-human-rights-situation"
EXAMPLES = 150  # per route and strategy; derandomised, so CI runs the same cases every time
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
turn_like = st.fixed_dictionaries(
    {"question": st.text(max_size=80)},
    optional={
        "answer": st.text(max_size=80) | st.integers(),
        "answered": json_values,
        "citations": json_values,
        "related": json_values,
    },
)
history_values = st.one_of(
    st.text(max_size=200),
    st.integers(1, 5000).map(lambda n: "[" * n),
    st.integers(1, 5000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 3000).map(lambda n: '{"a":' * n),
    json_values.map(json.dumps),
    st.lists(turn_like, max_size=25).map(json.dumps),
    st.integers(100_000, 300_000).map(lambda n: "x" * n),
)
# Each field may be missing; the history gets most of the odd shapes, since it is parsed.
form_fields = st.fixed_dictionaries(
    {},
    optional={
        "question": st.text(max_size=300) | st.integers(1000, 3000).map(lambda n: "q" * n),
        "history": history_values,
        "top_k": st.text(max_size=10),
        "\u0000": st.text(max_size=10),
    },
)
content_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=xyz",
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded; charset=latin-1",
        "",
    ]
)


@pytest.fixture(scope="module")
def raw_client(app_state: AppState) -> Iterator[TestClient]:
    """A client that reports a server error as a response instead of raising it."""
    with TestClient(
        create_app(app_state.settings, state=app_state), raise_server_exceptions=False
    ) as test_client:
        yield test_client


def assert_handled(response_status: int, body: str) -> None:
    assert response_status < 500, body[:500]
    assert "Traceback" not in body


@FUZZ
@given(fields=form_fields)
def test_fuzz_chat_form_fields(raw_client: TestClient, fields: dict[str, str]) -> None:
    response = raw_client.post("/", data=fields)
    assert_handled(response.status_code, response.text)


@FUZZ
@given(body=st.binary(max_size=2000), content_type=content_types)
def test_fuzz_chat_form_raw_bodies(raw_client: TestClient, body: bytes, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = raw_client.post("/", content=body, headers=headers)
    assert_handled(response.status_code, response.text)


@FUZZ
@given(
    document_id=st.one_of(st.just(DOCUMENT), st.text(min_size=1, max_size=60)),
    start=st.one_of(st.none(), st.integers(-(10**20), 10**20), st.text(max_size=12)),
    end=st.one_of(st.none(), st.integers(-(10**20), 10**20), st.text(max_size=12)),
    hl=st.one_of(
        st.none(),
        st.text(max_size=300),
        st.lists(st.integers(), max_size=30).map(
            lambda xs: ",".join(f"{a}-{b}" for a, b in zip(xs[::2], xs[1::2], strict=False))
        ),
    ),
)
def test_fuzz_document_view(
    raw_client: TestClient,
    document_id: str,
    start: int | str | None,
    end: int | str | None,
    hl: str | None,
) -> None:
    params = {k: str(v) for k, v in {"start": start, "end": end, "hl": hl}.items() if v is not None}
    response = raw_client.get(f"/documents/{quote(document_id, safe='')}", params=params)
    assert_handled(response.status_code, response.text)


@FUZZ
@given(
    token=st.one_of(st.text(max_size=200), st.integers(1000, 3000).map(lambda n: "t" * n)),
    extra=st.dictionaries(st.text(max_size=10), st.text(max_size=50), max_size=3),
)
def test_fuzz_login_form(raw_client: TestClient, token: str, extra: dict[str, str]) -> None:
    response = raw_client.post("/login", data={**extra, "token": token}, follow_redirects=False)
    assert_handled(response.status_code, response.text)


@pytest.fixture(scope="module")
def library_client(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> Iterator[TestClient]:
    """A signed-in client of an app on its own corpus copy: what it uploads changes nothing
    the other tests read."""
    state = library_state(tmp_path_factory.mktemp("fuzz-library"), embedder, model_cache)
    with TestClient(
        create_app(state.settings, state=state),
        raise_server_exceptions=False,
        headers={"Authorization": "Bearer test-token"},
    ) as test_client:
        yield test_client
    state.jobs.wait_idle(120)


@FUZZ
@given(
    body=st.binary(max_size=3000),
    content_type=content_types,
    filename=st.text(max_size=80),
    data=st.binary(max_size=2000),
)
def test_fuzz_upload_bodies(
    library_client: TestClient, body: bytes, content_type: str, filename: str, data: bytes
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    raw = library_client.post("/api/documents", content=body, headers=headers)
    assert_handled(raw.status_code, raw.text)
    named = library_client.post("/api/documents", files=[("file", (filename, data))])
    assert_handled(named.status_code, named.text)
    # Refused or accepted, a named file gets an answer; a part with no file name is no file.
    assert named.status_code == (202 if filename else 422), named.text


# Last in the file: after every fuzzing test above has run against the same server.
def test_server_answers_normally_after_fuzzing(raw_client: TestClient) -> None:
    assert raw_client.post("/", data={"history": "[" * 5000, "question": "x"}).status_code == 422
    assert raw_client.get("/health").status_code == 200
    page = raw_client.post("/", data={"question": "Who dominates politics?", "history": "[]"})
    assert page.status_code == 200 and 'class="marker"' in page.text
