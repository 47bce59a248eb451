"""The gathered-questions cache of ``train_decision.py --examples-cache``: reused while the
questions are the same, with each index reloaded at the version and view it was gathered
from; gathered again when a question file changes or an index version it names is gone."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "training"))
import examples_cache

from index import Embedder, build_index, load_index
from index.store.versions import versions_dir
from tests.conftest import BRIEFING


class Counted:
    """A gathering that counts how often it ran."""

    def __init__(self, examples: list[Any]) -> None:
        self.examples, self.made = examples, 0

    def gather(self) -> list[Any]:
        self.made += 1
        return self.examples


@pytest.fixture
def gathered(tmp_path: Path, embedder: Embedder) -> tuple[Path, list[Any]]:
    """A one-document index, and 'examples' that hold it whole and as a view."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(BRIEFING, corpus / BRIEFING.name)
    (corpus / "other.txt").write_text("The lake covers 912 square kilometres.\n")
    build_index(corpus, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    one = next(iter(index.documents))
    return tmp_path, [{"index": index, "view": index.within([one]), "labels": [1, 0]}]


def test_cache_reuses_examples_with_their_index_version_and_view(
    gathered: tuple[Path, list[Any]],
) -> None:
    root, examples = gathered
    questions = root / "questions.jsonl"
    questions.write_text('{"question": "How large is the lake?"}\n')
    cache, calls = root / "examples.pkl", Counted(examples)
    examples_cache.cached(cache, [questions], calls.gather)
    again = examples_cache.cached(cache, [questions], calls.gather)
    assert calls.made == 1
    original, reread = examples[0], again[0]
    assert reread["labels"] == [1, 0]
    assert reread["index"].version == original["index"].version
    assert reread["index"].scope is None
    assert set(reread["view"].documents) == set(original["view"].documents)
    assert len(reread["view"].documents) == 1
    # A changed question file: gathered again.
    questions.write_text('{"question": "How deep is the lake?"}\n')
    examples_cache.cached(cache, [questions], calls.gather)
    assert calls.made == 2


def test_cache_naming_a_removed_index_version_gathers_again(
    gathered: tuple[Path, list[Any]],
) -> None:
    root, examples = gathered
    questions = root / "questions.jsonl"
    questions.write_text("{}\n")
    cache, calls = root / "examples.pkl", Counted(examples)
    examples_cache.cached(cache, [questions], calls.gather)
    shutil.rmtree(versions_dir(root / "index") / examples[0]["index"].version)
    examples_cache.cached(cache, [questions], calls.gather)
    assert calls.made == 2
