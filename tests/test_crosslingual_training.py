"""The cross-lingual model's held-out cache (scripts/training/train_crosslingual.py) is keyed by
what its scores depend on in the rows, not by their count: rows made by another search or
with other features must not replay stale verdicts."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "training"))
from crosslingual_data import Row
from train_crosslingual import rows_digest


def _rows() -> list[Row]:
    return [
        Row(
            corpus="en",
            language=language,
            qid=f"q{i}",
            article="Article",
            answerable=True,
            sentence_ids=[1, 2],
            features=np.asarray([[0.5, 1.0], [0.25, 0.0]]),
            labels=np.asarray([True, False]),
            sentence_passages=[0, 0],
            hit_gold=[True],
        )
        for i, language in enumerate(("de", "zh"))
    ]


def test_rows_digest_is_the_same_for_the_same_rows() -> None:
    assert rows_digest(_rows()) == rows_digest(_rows())


def test_rows_digest_changes_with_one_feature_value() -> None:
    changed = _rows()
    changed[1] = dataclasses.replace(changed[1], features=np.asarray([[0.5, 1.0], [0.3, 0.0]]))
    assert rows_digest(changed) != rows_digest(_rows())


def test_rows_digest_changes_with_one_label() -> None:
    changed = _rows()
    changed[0] = dataclasses.replace(changed[0], labels=np.asarray([False, True]))
    assert rows_digest(changed) != rows_digest(_rows())
