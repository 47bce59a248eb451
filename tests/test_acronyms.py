"""Acronyms spelled out: found in the corpus, added to indexed text and to questions."""

from __future__ import annotations

from index.acronyms import corpus_acronyms, expand_acronyms
from service.state import AppState
from tests.conftest import BRIEFING


def test_acronyms_defined_in_brackets_are_found() -> None:
    found = corpus_acronyms(
        ["As stated by the Organisation for Security and Cooperation in Europe (OSCE), it ..."]
    )
    assert found["OSCE"] == "Organisation for Security and Cooperation in Europe"


def test_acronyms_spelled_by_a_capitalised_phrase_are_found() -> None:
    found = corpus_acronyms(
        ["The European Parliament met. The European Parliament voted. Later the EP adopted it."]
    )
    assert found["EP"] == "European Parliament"


def test_acronyms_a_phrase_met_once_does_not_define() -> None:
    found = corpus_acronyms(["Build-Dependencies Every package lists them. DE is a code."])
    assert "DE" not in found


def test_acronyms_in_lower_case_or_after_the_acronym_are_found() -> None:
    found = corpus_acronyms(
        [
            "Many civil society organisations (CSOs) met.",
            "The DFSG, the Debian Free Software Guidelines, apply.",
            "Files follow the FHS (Filesystem Hierarchy Standard).",
        ]
    )
    assert found == {
        "CSO": "civil society organisations",
        "DFSG": "Debian Free Software Guidelines",
        "FHS": "Filesystem Hierarchy Standard",
    }


def test_acronyms_come_from_the_corpus_only() -> None:
    found = corpus_acronyms([BRIEFING.read_text(encoding="utf-8")])
    assert found["KIBHR"] == "Kazakhstan International Bureau for Human Rights"
    assert "UN" not in found  # the briefing never spells it out, and there is no word list


def test_expand_acronyms_adds_the_long_form_once() -> None:
    text = expand_acronyms("The EU and the EU again", {"EU": "European Union"})
    assert text == "The EU (European Union) and the EU again"


def test_expand_acronyms_makes_plurals_plural() -> None:
    text = expand_acronyms("What did MEPs ask?", {"MEP": "Member of the European Parliament"})
    assert "MEPs (Members of the European Parliament)" in text


def test_expand_acronyms_leaves_text_that_already_spells_it_out() -> None:
    text = "The European Parliament (EP) met."
    assert expand_acronyms(text, {"EP": "European Parliament"}) == text


def test_index_keeps_the_corpus_acronyms(app_state: AppState) -> None:
    index = app_state.holder.current()
    assert index.acronyms["OSCE"] == "Organisation for Security and Cooperation in Europe"
    assert (index.path / "acronyms.json").is_file()


def test_a_question_with_the_long_form_finds_the_acronym_sentence(app_state: AppState) -> None:
    # The sentence says only "OSCE's Media Freedom Representative".
    answer = app_state.answerer.ask(
        "What did the Organisation for Security and Cooperation in Europe's media "
        "representative recommend?"
    )
    assert answer.answered
    assert "disproportionate penalties" in answer.answer
