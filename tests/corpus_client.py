"""An API client over a corpus a test writes itself (a real index, the real model), for tests
about one kind of document: the corpus is made by ``write``, indexed on load, served by the
app factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index import Embedder
from service.settings import Settings
from service.state import AppState, IndexHolder
from service.web.app import create_app


def client_over(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Embedder,
    app_state: AppState,
    write: Callable[[Path], None],
) -> Iterator[TestClient]:
    """A client of an app serving the corpus ``write`` puts in an empty folder."""
    root = tmp_path_factory.mktemp("corpus")
    corpus = root / "corpus"
    corpus.mkdir()
    write(corpus)
    settings = Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        model_cache_dir=app_state.settings.model_cache_dir,
        reload_check_seconds=0,
    )
    holder = IndexHolder(settings, embedder)
    holder.load()
    state = AppState(settings, embedder, holder)
    with TestClient(create_app(settings, state=state)) as test_client:
        yield test_client


def answered(client: TestClient, question: str) -> dict[str, Any]:
    """The /ask response to ``question``, which must be answered."""
    body: dict[str, Any] = client.post("/ask", json={"question": question}).json()
    assert body["answered"], body
    return body
