"""Yes/no and permission questions (issue #33): read the question, quote the sentence that
settles it, and say what it settles — on a small policy (``policy_world.py``), real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index import Embedder
from service.answering import tunables
from service.answering.settling import (
    object_key,
    prefer_settling,
    settles,
    verb_forms,
    verdict,
)
from service.answering.yes_no import read_yes_no
from service.state import AppState
from service.web.app import create_app
from tests.policy_world import policy_state


@pytest.fixture(scope="module")
def state(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> AppState:
    return policy_state(tmp_path_factory.mktemp("policy"), embedder, model_cache)


@pytest.fixture(scope="module")
def policy_client(state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(state.settings, state=state)) as client:
        yield client


@pytest.mark.parametrize(
    ("question", "subject", "verb", "rest"),
    [
        ("Do you share my contact information?", "you", "share", "my contact information"),
        ("Can I opt out?", "I", "opt", "out"),
        ("Is it allowed to sell my data?", "it", "sell", "my data"),
        ("Must I register to use the site?", "I", "register", "to use the site"),
        ("Will you sell my data?", "you", "sell", "my data"),
        ("Does the company keep my emails?", "the company", "keep", "my emails"),
        ("Is my data shared with advertisers?", "my data", "shared", "with advertisers"),
        ("Is there a way to opt out?", "there", "opt", "out"),
        ("Are cookies used?", "cookies", "used", ""),
        ("Do I need to give my phone number?", "I", "give", "my phone number"),
        ("Have you ever sold my data?", "you", "sold", "my data"),
        ("So, may I delete my account?", "I", "delete", "my account"),
        ("If I close my account, will you delete my data?", "you", "delete", "my data"),
        ("Do third parties get my data?", "third parties", "get", "my data"),
        ("Are local workers allowed to strike?", "local workers", "strike", ""),
        ("Will I be able to opt out?", "I", "opt", "out"),
    ],
)
def test_yes_no_reads_subject_verb_and_object(
    question: str, subject: str, verb: str, rest: str
) -> None:
    asked = read_yes_no(question)
    assert asked is not None
    assert (asked.subject, asked.verb, asked.rest) == (subject, verb, rest)


@pytest.mark.parametrize(
    "text",
    [
        "What data do you collect?",
        "How can I opt out?",
        "Do not share your password with anyone.",
        "Can opener instructions",
        "May 2014 elections",
        "Will power and privacy",
        "Do's and don'ts of privacy",
        "Can you tell me what data you collect?",
        "Do you know why my account was closed?",
        "Is",
    ],
)
def test_yes_no_leaves_other_questions_and_non_questions(text: str) -> None:
    assert read_yes_no(text) is None


def test_yes_no_negated_question_is_marked() -> None:
    asked = read_yes_no("Don't you sell my data?")
    assert asked is not None and asked.negated and asked.opener == "do"


def test_settling_verb_forms_include_irregular_and_inflected() -> None:
    assert {"sell", "sells", "selling", "sold"} <= verb_forms("sell")
    assert {"share", "shares", "shared", "sharing"} <= verb_forms("shared")
    assert "sole" not in verb_forms("sold")


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("Do you sell my data?", "We do not sell your data to anyone.", "no"),
        ("Do you sell my data?", "Your data is never sold.", "no"),
        ("Do you sell my data?", "We sell anonymised data to researchers.", "yes"),
        ("Do you sell my data?", "We sell your data only with your consent.", "conditional"),
        ("Do you share my data?", "We will not share your data unless required.", "conditional"),
        ("Do you share my data?", "We share data with partners who do not resell it.", None),
        ("Don't you sell my data?", "We do not sell your data.", None),
        ("Do you share my data?", "We do not share your data without your consent.", "conditional"),
        ("Do you collect my data?", "Third parties may collect data about you.", None),
        ("Will you use my data?", "We may use data that cannot be used to identify you.", None),
        ("Can I opt out?", "Opt out at any time from your account page.", "yes"),
        ("Can I opt out?", "You cannot opt out of service messages.", "no"),
    ],
)  # fmt: skip
def test_settling_verdict_only_when_plain(
    question: str, sentence: str, expected: str | None
) -> None:
    asked = read_yes_no(question)
    assert asked is not None and settles(asked, sentence)
    assert verdict(asked, sentence) == expected


def test_settling_needs_the_verb_and_what_it_acts_on() -> None:
    asked = read_yes_no("Do you sell my personal information?")
    assert asked is not None
    assert not settles(asked, "We collect personal information when you register.")
    assert not settles(asked, "We sell gift cards in our shops.")


def test_settling_needs_the_objects_most_telling_word() -> None:
    asked = read_yes_no("Do you share my contact information?")
    assert asked is not None
    passages_using = {"contact": 2, "information": 40}
    key = object_key(asked, lambda word: passages_using.get(word, 0))
    assert not settles(asked, "We share information with our partners.", key)
    assert settles(asked, "We share your contact details with carriers.", key)


def test_yes_no_passive_question_asks_about_its_subject() -> None:
    asked = read_yes_no("Will the users be notified of changes?")
    assert asked is not None and asked.passive and asked.verb == "notified"
    assert settles(asked, "Users are notified by email.")


def test_prefer_settling_only_within_what_the_model_cannot_tell_apart() -> None:
    order = np.array([0, 1, 2])
    settling = np.array([False, False, True])
    close = np.array([0.8, 0.78, 0.76])
    assert list(prefer_settling(order, close, settling, margin=0.1)) == [2, 0, 1]
    far = np.array([0.9, 0.7, 0.1])
    assert list(prefer_settling(order, far, settling, margin=0.1)) == [0, 1, 2]
    # Shipped off (SETTLING_MARGIN 0): the model's order stands unless it cannot tell them apart.
    assert list(prefer_settling(order, close, settling)) == [0, 1, 2]
    tied = np.array([0.8, 0.8, 0.7])
    assert list(prefer_settling(order, tied, np.array([False, True, False]))) == [1, 0, 2]


def test_prefer_settling_reads_the_tunable_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    # tune_development.py sweeps SETTLING_MARGIN by setting it on ``tunables``: the default
    # margin must follow it, not the value at import.
    order, settling = np.array([0, 1, 2]), np.array([False, False, True])
    close = np.array([0.8, 0.78, 0.76])
    monkeypatch.setattr(tunables, "SETTLING_MARGIN", 0.1)
    assert list(prefer_settling(order, close, settling)) == [2, 0, 1]
    monkeypatch.setattr(tunables, "SETTLING_MARGIN", 0.01)
    assert list(prefer_settling(order, close, settling)) == [0, 1, 2]


def _ask(client: TestClient, question: str) -> dict[str, object]:
    response = client.post("/ask", json={"question": question})
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    assert body["answered"], body["answer"]
    return body


def test_policy_sale_question_is_settled_by_the_negative_sentence(
    policy_client: TestClient,
) -> None:
    body = _ask(policy_client, "Do you sell my personal information?")
    assert str(body["answer"]).startswith("We do not sell your personal information")
    assert body["settles"] == {
        "question": "Do you sell my personal information?",
        "verdict": "no",
        "citation": 1,
    }


def test_policy_opt_out_question_is_settled_by_the_opt_out_sentence(
    policy_client: TestClient,
) -> None:
    body = _ask(policy_client, "Can I opt out of marketing emails?")
    assert "You can opt out of marketing emails" in str(body["answer"])
    settled = body["settles"]
    assert isinstance(settled, dict) and settled["verdict"] == "yes"


def test_policy_sharing_question_is_settled_conditionally(policy_client: TestClient) -> None:
    body = _ask(policy_client, "Do you share my contact information?")
    assert "We share your contact information with delivery companies" in str(body["answer"])
    settled = body["settles"]
    assert isinstance(settled, dict) and settled["verdict"] == "conditional"


def test_policy_other_questions_settle_nothing(policy_client: TestClient) -> None:
    body = _ask(policy_client, "How long do you keep order records?")
    assert body["settles"] is None


def test_openai_surface_carries_what_is_settled(policy_client: TestClient) -> None:
    response = policy_client.post(
        "/v1/chat/completions",
        json={
            "model": "briefing-qa",
            "messages": [{"role": "user", "content": "Do you sell my personal information?"}],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["settles"]["verdict"] == "no"


def test_chat_page_without_script_shows_the_settles_line(policy_client: TestClient) -> None:
    page = policy_client.post(
        "/",
        data={"question": "Do you sell my personal information?", "history": "[]"},
        headers={"Accept-Language": "de"},
    )
    assert page.status_code == 200
    assert 'class="settles" data-verdict="no"' in page.text
    assert "Klärt:" in page.text and "Nein" in page.text
