"""Quoting a long sentence in part: the cut fits, keeps what the question asks, and only
drops words (never rewrites them)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from service.answering.excerpts import ELLIPSIS, Focus, excerpt

LONG = (
    "After years of negotiation over tariffs, quotas, customs procedures and the many other "
    "questions that trade agreements usually settle, the two governments finally signed the "
    "partnership agreement in Astana on 21 December 2015, although several member states had "
    "asked for further guarantees on labour rights, press freedom and the independence of courts."
)


def focus(stems: dict[str, float], expected: str | None = None, question: str = "") -> Focus:
    return Focus(stems, expected, question)


def pieces(quote: str) -> list[str]:
    return [p.strip(" ,;:") for p in quote.split(ELLIPSIS) if p.strip(" ,;:")]


def test_a_sentence_that_fits_is_quoted_whole() -> None:
    assert excerpt(LONG, len(LONG), focus({"sign": 1.0})) == LONG


def test_a_cut_fits_the_budget_and_marks_where_it_cut() -> None:
    quote = excerpt(LONG, 150, focus({"partnership": 2.0, "sign": 1.0}))
    assert len(quote) <= 150
    assert ELLIPSIS in quote
    assert all(p in LONG for p in pieces(quote))


def test_a_when_question_keeps_the_date() -> None:
    quote = excerpt(
        LONG, 120, focus({"partnership": 2.0, "agreement": 1.5}, "date", "When was it signed?")
    )
    assert "21 December 2015" in quote


def test_the_cut_follows_the_question_words() -> None:
    about_courts = excerpt(LONG, 120, focus({"independ": 3.0, "court": 3.0}))
    about_tariffs = excerpt(LONG, 120, focus({"tariff": 3.0, "quota": 3.0}))
    assert "courts" in about_courts and "tariffs" not in about_courts
    assert "tariffs" in about_tariffs and "labour rights" not in about_tariffs


def test_an_antecedent_keeps_its_end() -> None:
    quote = excerpt(LONG, 120, focus({"tariff": 3.0}), keep_end=True)
    assert quote.endswith("independence of courts.")


def test_head_and_tail_when_the_question_names_both_ends() -> None:
    quote = excerpt(LONG, 200, focus({"negotiation": 3.0, "court": 3.0}))
    assert quote.startswith("After years of negotiation")
    assert quote.endswith("courts.")
    assert f" {ELLIPSIS} " in quote


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.from_regex(r"[A-Za-z0-9,.;]{1,14}", fullmatch=True), min_size=1, max_size=80),
    budget=st.integers(min_value=20, max_value=400),
    asked=st.lists(st.from_regex(r"[a-z]{3,8}", fullmatch=True), max_size=4),
)
def test_any_cut_fits_and_only_drops_words(words: list[str], budget: int, asked: list[str]) -> None:
    text = " ".join(words)
    quote = excerpt(text, budget, focus(dict.fromkeys(asked, 1.0)))
    assert len(quote) <= max(budget, 0) or len(text) <= budget
    if len(text) <= budget:
        assert quote == text
        return
    # Every kept piece is a run of the sentence's own words, in the sentence's order.
    position = 0
    for piece in pieces(quote):
        found = text.find(piece, position)
        assert found >= 0, (piece, text)
        position = found + len(piece)
    assert re.sub(r"\s+", " ", quote) == quote


def test_a_sentence_without_spaces_is_cut_by_character() -> None:
    # Chinese: no spaces, so each character is a word; the cut still follows the question.
    comma = "\uff0c"  # the full-width comma of Chinese text
    capital = f"北京是中华人民共和国的首都{comma}"
    wall = f"长城位于中国北方{comma}全长两万多公里。"
    port = f"上海是重要的港口城市{comma}"
    text = capital * 6 + wall + port * 6
    quote = excerpt(text, 40, focus({"长": 3.0, "城": 3.0}))
    assert len(quote) <= 40
    assert "长城" in quote
    assert all(p in text for p in pieces(quote))
