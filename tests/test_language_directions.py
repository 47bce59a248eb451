# ruff: noqa: RUF001 (Chinese is written with full-width punctuation)
"""Language directions taken out of the multilingual vectors (issue #32): the shipped basis,
the neutral cosine the 8-bit vectors give, and — with the real model, on sentences that are
not in the catalogues the directions were learned from — translations brought closer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.encoder.directions import DIRECTIONS_FILE, LanguageDirections, learn_directions
from index.encoder.multilingual import MultilingualEncoder
from index.store.multilingual_vectors import NeutralVectors, QuantisedVectors

# The same four sentences in English and in Chinese (written for this test).
ENGLISH = [
    "The river floods the valley every spring when the snow melts.",
    "A new bridge was opened to traffic in the capital last year.",
    "Farmers in the north grow wheat and barley on large fields.",
    "The museum keeps a collection of old coins and maps.",
]
CHINESE = [
    "每年春天积雪融化时，河水都会淹没山谷。",
    "去年首都有一座新桥通车。",
    "北方的农民在大片田地上种植小麦和大麦。",
    "博物馆收藏了许多古钱币和地图。",
]


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def random_vectors() -> tuple[np.ndarray, np.ndarray, LanguageDirections]:
    rng = np.random.default_rng(7)
    vectors = _unit(rng.normal(size=(50, 384)).astype(np.float32))
    query = _unit(rng.normal(size=384).astype(np.float32))
    means = rng.normal(size=(6, 384)).astype(np.float32)
    return vectors, query, LanguageDirections(learn_directions(means, 3))


def test_shipped_directions_are_an_orthonormal_basis() -> None:
    manifest = json.loads(DIRECTIONS_FILE.read_text(encoding="utf-8"))
    basis = LanguageDirections.load().basis
    assert basis.shape == (manifest["count"], 384)
    assert manifest["count"] < len(manifest["languages"])
    assert np.allclose(basis @ basis.T, np.eye(len(basis)), atol=1e-5)


def test_shipped_directions_come_from_every_catalogue() -> None:
    """A catalogue added (or removed) since the directions were learned: rerun
    scripts/training/language_directions.py, then retrain the cross-lingual model."""
    manifest = json.loads(DIRECTIONS_FILE.read_text(encoding="utf-8"))
    locales = Path(__file__).resolve().parent.parent / "web" / "locales"
    catalogues = {p.parts[-3] for p in locales.glob("*/LC_MESSAGES/messages.po")}
    assert set(manifest["languages"]) == catalogues | {"en"}


def test_shipped_cross_lingual_model_was_trained_through_the_shipped_directions() -> None:
    """Directions relearned without the model retrained: its features would be read through
    other directions than it learned from. Rerun scripts/training/crosslingual_data.py (after
    removing var/xquad/rows-*.pkl) and train_crosslingual.py."""
    shipped = json.loads(DIRECTIONS_FILE.read_text(encoding="utf-8"))
    model = DIRECTIONS_FILE.parents[2] / "service" / "answering" / "model" / "crosslingual.json"
    trained = json.loads(model.read_text(encoding="utf-8"))["directions"]
    assert trained == {key: shipped[key] for key in ("count", "languages", "learned")}


def test_neutral_vectors_lose_the_directions_and_stay_unit(
    random_vectors: tuple[np.ndarray, np.ndarray, LanguageDirections],
) -> None:
    vectors, _, directions = random_vectors
    neutral = directions.neutral(vectors)
    assert np.abs(neutral @ directions.basis.T).max() < 1e-5
    assert np.allclose(np.linalg.norm(neutral, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(LanguageDirections.none(384).neutral(vectors), vectors)


def test_eight_bit_scores_are_the_neutral_cosines(
    random_vectors: tuple[np.ndarray, np.ndarray, LanguageDirections],
) -> None:
    vectors, query, directions = random_vectors
    expected = directions.neutral(vectors) @ directions.neutral(query)
    quantised = QuantisedVectors.of(vectors)
    kept = NeutralVectors.kept(quantised, directions)
    on_demand = NeutralVectors(quantised, directions)
    rows = np.array([3, 17, 42])
    assert np.abs(kept.scores(query) - expected).max() < 0.01
    assert np.allclose(kept.scores(query, rows), on_demand.scores(query, rows), atol=1e-6)
    assert np.abs(on_demand.scores(query, rows) - expected[rows]).max() < 0.01
    # Without directions the scores are e5's own, bit for bit.
    plain = NeutralVectors.kept(quantised, LanguageDirections.none(384))
    assert np.array_equal(plain.scores(query, rows), quantised.scores(query, rows))


def test_shipped_directions_bring_translations_closer(
    multilingual_encoder: MultilingualEncoder,
) -> None:
    """Sentences the catalogues do not hold: after the directions are out, each English
    sentence is nearer its own Chinese translation relative to the other translations, and
    the two languages' means are nearer each other."""
    directions = LanguageDirections.load()
    english = multilingual_encoder.encode(ENGLISH)
    chinese = multilingual_encoder.encode_queries(CHINESE)

    def margins(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        similar = left @ right.T
        others = (similar.sum(axis=1) - np.diag(similar)) / (len(similar) - 1)
        return np.diag(similar) - others

    raw_gap = np.linalg.norm(english.mean(0) - chinese.mean(0))
    neutral_english, neutral_chinese = directions.neutral(english), directions.neutral(chinese)
    neutral_gap = np.linalg.norm(neutral_english.mean(0) - neutral_chinese.mean(0))
    assert neutral_gap < 0.8 * raw_gap
    raw_similarity = np.diag(english @ chinese.T)
    neutral_similarity = np.diag(neutral_english @ neutral_chinese.T)
    assert (neutral_similarity > raw_similarity).all()
    # The ranking among translations is kept: each sentence's translation is still its nearest.
    assert (margins(neutral_english, neutral_chinese) > 0).all()
