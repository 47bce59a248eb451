"""The policy-style question sets and the scoring normalisation shared by bench_peers.py and
its peer systems (tests/data/policy/README.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from service.cli.evaluation import policy_normalize

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "tests" / "data" / "policy"
PEER_SUFFIXES = (".pdf", ".html", ".htm", ".txt", ".md")
CITED = 3


# --- data and scoring ---------------------------------------------------------------------


@dataclass
class Question:
    """One question of the set: gold spans when answerable."""

    id: str
    question: str
    answers: list[str]
    answerable: bool


@dataclass
class Conversation:
    """Three turns; each turn's answer keys must all be in a right answer."""

    id: str
    questions: list[str]
    keys: list[list[str]]


@dataclass
class Response:
    """What a system returned for one question."""

    answer: str
    passages: list[str]
    answered: bool
    ms: float


class System(Protocol):
    """A question answerer under test."""

    name: str

    def ask(self, question: str, history: Sequence[tuple[str, str]]) -> Response: ...


def occurs(span: str, text: str) -> bool:
    """Whether ``span`` occurs in ``text`` on word boundaries, after normalisation."""
    needle = policy_normalize(span)
    return bool(needle.strip()) and needle in policy_normalize(text)


def any_occurs(spans: Sequence[str], text: str) -> bool:
    """Whether one of ``spans`` occurs in ``text``."""
    return any(occurs(span, text) for span in spans)


def load_questions(path: Path) -> list[Question]:
    """Read questions.jsonl."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        Question(
            id=str(row["id"]),
            question=row["question"],
            answers=[str(a) for a in row.get("answers") or []],
            answerable=row.get("answerable", True) is not False,
        )
        for row in rows
    ]


def load_conversations(path: Path | None) -> list[Conversation]:
    """Read conversations.jsonl (none when the path is missing)."""
    if path is None or not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        Conversation(
            id=str(row["id"]),
            questions=[turn["question"] for turn in row["turns"]],
            keys=[list(turn["answer_keys"]) for turn in row["turns"]],
        )
        for row in rows
    ]


def ms_since(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - started) * 1000


def share_of(values: list[bool]) -> float | None:
    """The share of true values, rounded (None when there are none)."""
    return round(sum(values) / len(values), 4) if values else None
