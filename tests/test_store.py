"""Index versions on disk: manifest, pointer, lock, load errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index import (
    BuildInProgress,
    Embedder,
    IndexIncompatible,
    IndexNotFound,
    NothingToIndex,
    build_index,
    current_version,
    load_index,
)
from index.store.dense import top_ids
from index.store.versions import build_lock
from tests.conftest import CORPUS


@pytest.fixture()
def small_index(tmp_path: Path, embedder: Embedder) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    build_index(corpus, tmp_path / "index", embedder)
    return tmp_path / "index"


def test_manifest_round_trips(small_index: Path, embedder: Embedder) -> None:
    loaded = load_index(small_index)
    manifest = json.loads((loaded.path / "manifest.json").read_text())
    assert loaded.manifest == manifest
    assert manifest["model"] == "all-MiniLM-L6-v2"
    assert manifest["dimension"] == embedder.dimension == 384
    assert manifest["passage_count"] == len(loaded.passages) == loaded.passage_index.ntotal
    assert manifest["sentence_count"] == len(loaded.sentences) == len(loaded.sentence_vectors)
    assert len(manifest["corpus_digest"]) == 64
    assert manifest["created_at"].startswith("20")


def test_current_pointer_names_the_loaded_version(small_index: Path) -> None:
    assert load_index(small_index).version == current_version(small_index)


def test_missing_index_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="build-index"):
        load_index(tmp_path / "nothing-here")


def test_other_format_version_is_refused(small_index: Path) -> None:
    version = current_version(small_index)
    manifest_path = small_index / "versions" / str(version) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 999
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexIncompatible, match="rebuild"):
        load_index(small_index)


def test_other_model_is_refused(small_index: Path) -> None:
    with pytest.raises(IndexIncompatible, match="built with"):
        load_index(small_index, model_key="some-other-model/768")


def test_damaged_vectors_are_reported(small_index: Path) -> None:
    version_dir = small_index / "versions" / str(current_version(small_index))
    (version_dir / "passages.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexIncompatible, match="cannot be read"):
        load_index(small_index)


def test_second_concurrent_build_is_refused(small_index: Path, embedder: Embedder) -> None:
    with build_lock(small_index), pytest.raises(BuildInProgress, match="another index build"):
        build_index(CORPUS, small_index, embedder)


def test_corpus_without_text_is_refused_and_the_served_version_stays(
    small_index: Path, embedder: Embedder
) -> None:
    served = current_version(small_index)
    empty = small_index.parent / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_text("   \n", encoding="utf-8")
    with pytest.raises(NothingToIndex, match=r"nothing to index .*blank\.txt: no text to index"):
        build_index(empty, small_index, embedder)
    assert current_version(small_index) == served
    assert load_index(small_index).passages


def test_flat_search_ranks_as_faiss_does(small_index: Path) -> None:
    index = load_index(small_index)
    assert index.manifest["faiss_index"] == "flat-ip"
    rng = np.random.default_rng(3)
    for _ in range(20):
        query = np.asarray(rng.standard_normal(index.passage_vectors.shape[1]), dtype=np.float32)
        query /= np.linalg.norm(query)
        scores, ids = index.dense_search(query, 10)
        expected_scores, expected_ids = index.passage_index.search(query.reshape(1, -1), 10)
        assert ids.tolist() == expected_ids[0].tolist()
        assert np.allclose(scores, expected_scores[0], atol=1e-5)


def test_top_ids_is_a_full_sort_cut_short() -> None:
    scores = np.random.default_rng(5).standard_normal(10_000).astype(np.float32)
    assert top_ids(scores, 50).tolist() == np.argsort(-scores, kind="stable")[:50].tolist()


def test_sentence_vectors_are_kept_in_half_precision_close_to_the_model(
    small_index: Path, embedder: Embedder
) -> None:
    """float16 halves the bulk of the English vectors (issue #32's memory bar); each stored
    vector stays within float16's rounding of what the model gives, and scores against a
    float32 query come out float32."""
    loaded = load_index(small_index)
    on_disk = np.load(loaded.path / "sentences.npy")
    assert on_disk.dtype == np.float16 == loaded.sentence_vectors.dtype
    assert loaded.word_vectors.dtype == np.float16
    plain = [i for i, s in enumerate(loaded.sentences) if s.text.isascii()][:20]
    fresh = embedder.encode([loaded.sentences[i].text for i in plain])
    stored = loaded.sentence_vectors[plain].astype(np.float32)
    # Acronym expansion may change a sentence's embedded text: compare those that agree.
    close = np.abs(stored - fresh).max(axis=1) < 2e-3
    assert close.sum() >= len(plain) // 2
    query = fresh[0]
    scores = loaded.sentence_vectors[plain] @ query
    assert scores.dtype == np.float32
    assert np.abs(scores[close] - (fresh[close] @ query)).max() < 2e-3


def test_an_index_with_float32_sentence_vectors_is_read_narrowed(small_index: Path) -> None:
    """Indexes written before vectors were kept in float16 load as they are, in float16."""
    loaded = load_index(small_index)
    path = loaded.path / "sentences.npy"
    np.save(path, loaded.sentence_vectors.astype(np.float32))
    again = load_index(small_index)
    assert again.sentence_vectors.dtype == np.float16
    assert np.array_equal(again.sentence_vectors, loaded.sentence_vectors)
