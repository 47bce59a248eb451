"""Broad questions (issue #33): a sentence that leads into a list is quoted with the items it
announces, as far as the answer's length allows, and not with what follows the list; a
question that asks for what a section is named is answered by that section."""

from __future__ import annotations

import pytest

from index import Embedder, build_index, load_index
from service.answering import Answerer, DecisionModel
from service.answering.tunables import MAX_ANSWER_CHARS

POLICY = """# Privacy at the Tarnwick bakery

## Who we are

The Tarnwick bakery sells bread and cakes online and in two shops in the old town.

## How we use your information

We use the information we collect for the following purposes:

- to bake and deliver the orders you place with us;
- to answer your questions about an order;
- to keep the accounts the tax office asks us to keep.

We never sell your information to anyone.

## Your choices

You may ask us to delete your account at any time by writing to the shop.
"""

LONG_ITEMS = "\n".join(
    f"- to {verb} the orders, the parcels and the letters of every customer who writes to the "
    "bakery from the old town or from the villages along the river;"
    for verb in ("bake", "pack", "send", "track", "bill")
)


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Answerer:
    root = tmp_path_factory.mktemp("broad")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "bakery.md").write_text(POLICY, encoding="utf-8")
    long_list = POLICY.split("- to bake")[0] + LONG_ITEMS + "\n"
    (corpus / "mill.md").write_text(long_list.replace("Tarnwick bakery", "Ossel mill"))
    build_index(corpus, root / "index", embedder)
    index = load_index(root / "index")
    return Answerer(embedder, lambda: index, DecisionModel())


def _answer(answerer: Answerer, question: str, document: str) -> str:
    answer = answerer.ask(question, documents=[document])
    assert answer.answered, answer.answer
    return answer.answer


def test_a_lead_in_is_quoted_with_the_items_it_announces(answerer: Answerer) -> None:
    text = _answer(answerer, "What do you use my data for?", "bakery")
    assert text.startswith("We use the information we collect for the following purposes:")
    for item in ("deliver the orders", "questions about an order", "the tax office"):
        assert item in text
    assert "never sell" not in text  # after the list: not one of its items


def test_a_list_longer_than_the_answer_is_cut_with_an_ellipsis(answerer: Answerer) -> None:
    text = _answer(answerer, "What do you use my data for?", "mill")
    assert text.startswith("We use the information we collect for the following purposes:")
    assert "to bake the orders" in text
    assert "\u2026" in text and len(text) <= MAX_ANSWER_CHARS


def test_a_question_a_section_is_named_for_is_answered_by_that_section(
    answerer: Answerer,
) -> None:
    text = _answer(answerer, "What are my choices?", "bakery")
    assert text == "You may ask us to delete your account at any time by writing to the shop. [1]"


def test_a_question_asking_more_than_a_section_title_is_left_to_the_model(
    answerer: Answerer,
) -> None:
    text = _answer(answerer, "Do you sell my information?", "bakery")
    assert text.startswith("We never sell your information")
