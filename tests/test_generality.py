"""Nothing tuned to one document: tokens in every script, refusals that name what was searched,
the SQuAD question format, the operating point, and the calibrated confidence."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.text import tokenize
from service.answering import DecisionModel, Reason, refusal_for
from service.answering.decision import threshold_for
from service.cli.evaluation import has_gold_span, load_cases, squad_normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Η Αθήνα είναι πρωτεύουσα", ["η", "αθήνα", "είναι", "πρωτεύουσα"]),  # noqa: RUF001
        ("القاهرة عاصمة مصر", ["القاهرة", "عاصمة", "مصر"]),
        ("北京是首都", ["北", "京", "是", "首", "都"]),
        ("Қазақстан 95.55%", ["қазақстан", "95.55"]),
    ],
)
def test_tokens_exist_in_every_script(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_squad_scoring_ignores_case_punctuation_and_articles() -> None:
    assert squad_normalize("The Normans, in France!") == "normans in france"
    assert has_gold_span("It was the 10th and 11th centuries.", ["10th and 11th centuries"])
    assert not has_gold_span("In 1066 they came.", ["106"])


def test_eval_reads_the_squad_question_format(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "question": "Who?", "answers": ["Rollo", "Rollo the Viking"], "document": "N"},
        {"id": "b", "question": "Why?", "answerable": False, "document": "N"},
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    first, second = load_cases(path)
    assert first.gold_spans == ["Rollo", "Rollo the Viking"] and first.group == "N"
    assert first.answerable and not second.answerable


def test_the_operating_point_comes_from_the_table() -> None:
    table = [[0.0, 0.0], [0.01, 0.05], [0.03, 0.2], [0.05, 0.3]]
    assert threshold_for(table, 0.03) == 0.2
    assert threshold_for(table, 0.02) == 0.05
    assert threshold_for(table, 0.0) == 0.0


def test_a_stricter_setting_refuses_less() -> None:
    lenient, strict = DecisionModel(target_false_abstention=0.01), DecisionModel()
    assert lenient.threshold <= strict.threshold


def test_confidence_is_calibrated_and_monotonic() -> None:
    model = DecisionModel()
    values = [model.confidence(p) for p in np.linspace(0, 1, 11)]
    assert values == sorted(values)
    assert 0.0 <= values[0] <= values[-1] <= 1.0


def test_ask_reports_a_confidence(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "How many votes did Nazarbayev get in 2011?"})
    answer = body.json()
    assert answer["answered"] is True
    assert 0.3 < answer["confidence"] <= 1.0


def test_a_refusal_names_the_one_document(client: TestClient) -> None:
    answer = client.post("/ask", json={"question": "How do I apply for a tourist visa?"}).json()
    assert answer["answered"] is False
    assert answer["answer"].startswith("\u201cKazakhstan: human rights situation\u201d")
    assert "briefing does not" not in answer["answer"]


def test_a_refusal_over_several_documents_says_these_documents() -> None:
    several = SimpleNamespace(documents={"a": None, "b": None})
    refusal = refusal_for(several, Reason("not_clear"))  # type: ignore[arg-type]
    assert refusal.title is None
    assert refusal.sentence().startswith("These documents do not answer this")
