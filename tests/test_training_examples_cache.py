"""The gathered-questions cache of ``train_decision.py --examples-cache``: reused while the
questions are the same, with each index reloaded at the version and view it was gathered
from; gathered again when a question file changes or an index version it names is gone."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "training"))
import examples_cache

from index import Embedder, build_index, load_index
from index.store.versions import versions_dir
from service.cli.evaluation import load_cases
from service.state import AppState
from tests.conftest import BRIEFING, DEV_SET


class Counted:
    """A gathering that counts how often it ran."""

    def __init__(self, examples: list[Any]) -> None:
        self.examples, self.made = examples, 0

    def gather(self) -> list[Any]:
        self.made += 1
        return self.examples


@dataclass
class World:
    root: Path
    examples: list[Any]
    questions: Path
    cache: Path
    calls: Counted


@pytest.fixture
def gathered(tmp_path: Path, embedder: Embedder) -> World:
    """A two-document index, 'examples' that hold it whole and as a one-document view, a
    question file and a gathering that counts its runs."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(BRIEFING, corpus / BRIEFING.name)
    (corpus / "other.txt").write_text("The lake covers 912 square kilometres.\n")
    build_index(corpus, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    one = next(iter(index.documents))
    examples = [{"index": index, "view": index.within([one]), "labels": [1, 0]}]
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"question": "How large is the lake?"}\n')
    return World(tmp_path, examples, questions, tmp_path / "examples.pkl", Counted(examples))


def test_cache_reuses_examples_with_their_index_version_and_view(
    gathered: World,
) -> None:
    g = gathered
    examples, questions, cache, calls = g.examples, g.questions, g.cache, g.calls
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
    gathered: World,
) -> None:
    g = gathered
    examples_cache.cached(g.cache, [g.questions], g.calls.gather)
    shutil.rmtree(versions_dir(g.root / "index") / g.examples[0]["index"].version)
    examples_cache.cached(g.cache, [g.questions], g.calls.gather)
    assert g.calls.made == 2


def test_gathering_runs_no_module_the_cache_key_leaves_out(app_state: AppState) -> None:
    # The key skips the modules in AFTER_GATHERING, so a change to them reuses what was
    # gathered: that is only right while gathering never runs their code. The real gathering
    # (decision_data._gather: follow-ups, yes/no questions, precedents) is traced here.
    import decision_data
    import precedent_bank

    index = app_state.holder.current()
    cases = load_cases(DEV_SET)
    bank = precedent_bank.build(app_state.embedder, precedent_bank.answered_cases(index, cases))
    cases = cases[:40] + [c for c in cases if c.history_questions][:10]
    ran: set[str] = set()

    def record(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            ran.add(frame.f_code.co_filename)

    sys.setprofile(record)
    try:
        examples = decision_data._gather(
            app_state.embedder, index, cases, "briefing", bank, off_topic=False
        )
    finally:
        sys.setprofile(None)
    assert examples and any(e.case.history_questions for e in examples)
    root = Path(__file__).resolve().parents[1]
    ran_here = {
        Path(f).resolve().relative_to(root).as_posix() for f in ran if f.startswith(str(root))
    }
    assert "service/answering/candidates.py" in ran_here  # the trace sees the gathering
    assert not ran_here & examples_cache.AFTER_GATHERING
