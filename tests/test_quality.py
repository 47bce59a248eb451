"""The quality gate: the dev-set figures may not regress (thresholds sit just below what the
answerer achieves; see docs/quality.md). Also unit checks of the pieces behind them."""

from __future__ import annotations

import pytest

from index import search
from index.text import same_family, stem
from service.answering.answer_types import (
    asks_for_overview,
    expected_answer_type,
    has_answer_type,
)
from service.answering.citations import cite
from service.answering.constraints import constraint_mismatch, question_names, unknown_names
from service.answering.conversation import (
    Turn,
    fold_history,
    looks_like_follow_up,
    question_core,
)
from service.answering.excerpts import ELLIPSIS
from service.answering.matching import overlap_share
from service.answering.question import asks_for_more
from service.answering.tunables import MAX_ANSWER_CHARS
from service.cli.evaluation import EvalReport, evaluate, keys_in_answer, load_cases
from service.state import AppState
from tests.conftest import DEV_SET, HOLDOUT_SET


@pytest.fixture(scope="module")
def dev_report(app_state: AppState) -> EvalReport:
    return evaluate(app_state.answerer, load_cases(DEV_SET))


@pytest.fixture(scope="module")
def holdout_report(app_state: AppState) -> EvalReport:
    return evaluate(app_state.answerer, load_cases(HOLDOUT_SET))


@pytest.mark.parametrize(
    ("metric", "floor"),
    [
        ("r_at_1", 0.93),
        ("r_at_3", 0.97),
        ("mrr", 0.95),
        ("answer_accuracy", 0.88),
        ("follow_up_r_at_3", 0.90),
        ("follow_up_answer_accuracy", 0.80),
        # 0.60 under the hand rules fitted to this document; 0.40 since the decision is a
        # model cross-validated by article (docs/quality.md).
        ("abstention_accuracy", 0.35),
    ],
)
def test_quality_dev_metric_does_not_regress(
    dev_report: EvalReport, metric: str, floor: float
) -> None:
    assert dev_report.metrics[metric] >= floor, dev_report.misses()


@pytest.mark.parametrize(
    ("metric", "floor"),
    [
        ("r_at_1", 0.93),
        ("r_at_3", 0.95),
        ("answer_accuracy", 0.88),
        # 0.80 while answers could run past 300 characters; 0.72 since they may not (issue #11):
        # c5.2's answer is a 327-character sentence listing three conventions, and no cut of
        # it within 300 keeps both asked ones (it keeps two of the three; docs/quality.md).
        ("follow_up_answer_accuracy", 0.72),
        ("abstention_accuracy", 0.25),
    ],
)
def test_quality_holdout_metric_does_not_regress(
    holdout_report: EvalReport, metric: str, floor: float
) -> None:
    # A second set in other words than dev.jsonl: a change tuned to the dev wording alone
    # shows up here.
    assert holdout_report.metrics[metric] >= floor, holdout_report.misses()


def test_quality_holdout_false_abstention_stays_rare(holdout_report: EvalReport) -> None:
    assert holdout_report.metrics["false_abstention_rate"] <= 0.04, holdout_report.misses()


def test_quality_false_abstention_stays_rare(dev_report: EvalReport) -> None:
    assert dev_report.metrics["false_abstention_rate"] <= 0.02, dev_report.misses()


def test_quality_answers_stay_short(dev_report: EvalReport) -> None:
    assert dev_report.metrics["mean_answer_chars"] <= 260


def test_every_answer_fits_the_length_contract(
    dev_report: EvalReport, holdout_report: EvalReport
) -> None:
    for report in (dev_report, holdout_report):
        assert report.metrics["longest_answer_chars"] <= MAX_ANSWER_CHARS
    # Long sentences are quoted in part, not left out: the sets hold some.
    answers = [r.answer.answer for r in dev_report.results + holdout_report.results]
    assert any(ELLIPSIS in a for a in answers)


def test_eval_counts_every_kind_of_question(dev_report: EvalReport) -> None:
    assert dev_report.counts == {
        "questions": 65,
        "answerable_first_turn": 45,
        "follow_up_turns": 10,
        "unanswerable": 10,
    }


def test_keys_match_at_word_start_only() -> None:
    assert keys_in_answer("a broad prohibition on the right to strike", ["prohibit", "strike"])
    assert not keys_in_answer("the 2011 law", ["011"])
    assert keys_in_answer("5 000 at national level", ["000"])


def test_follow_up_detection() -> None:
    assert looks_like_follow_up("why?")
    assert looks_like_follow_up("And how long did he get?")
    assert looks_like_follow_up("Which law set them?")
    assert not looks_like_follow_up("Which newspaper was closed down by a court in February 2014?")


def test_fold_history_carries_the_topic_of_earlier_turns() -> None:
    history = [Turn("What happened in Zhanaozen?"), Turn("Was anyone prosecuted afterwards?")]
    folded = fold_history("And how long did the opposition leader get?", history)
    assert folded.startswith("And how long did the opposition leader get?")
    assert "zhanaozen" in folded.lower()


def test_standalone_question_is_left_alone() -> None:
    history = [Turn("What happened in Zhanaozen?")]
    question = "Which newspaper was closed down by a court in February 2014?"
    assert fold_history(question, history) == question


def test_answer_types() -> None:
    assert expected_answer_type("When was the code adopted?") == "date"
    assert expected_answer_type("How long did he get?") == "duration"
    assert expected_answer_type("How many members does a group need?") == "count"
    assert expected_answer_type("Why was it shut?") is None
    assert has_answer_type("duration", "He was sentenced to seven and a half years in prison.")
    assert not has_answer_type("date", "There is a broad prohibition on the right to strike.")


def test_a_different_year_in_the_answer_is_a_mismatch() -> None:
    question = "Where did Kazakhstan rank in the 2015 World Press Freedom Index?"
    answer = "In its World Press Freedom Index 2014, Reporters without Borders ranked it 161."
    assert constraint_mismatch(question, answer, answer)
    assert not constraint_mismatch(question.replace("2015", "2014"), answer, answer)


def test_question_names_skip_question_words_and_months() -> None:
    names = question_names("When did the European Parliament visit Astana in March 2014?")
    assert names == [["european", "parliament"], ["astana"]]


@pytest.mark.parametrize(
    "question",
    [
        "When was the seventh round of the Human Rights Dialogue?",
        "What is the capital of Mongolia?",
    ],
)
def test_an_unknown_ordinal_or_place_is_not_answered(app_state: AppState, question: str) -> None:
    assert app_state.answerer.ask(question).answered is False


def test_a_known_acronym_for_a_name_still_answers(app_state: AppState) -> None:
    # "United Nations" is written "UN" in the briefing.
    answer = app_state.answerer.ask("Since when has Kazakhstan belonged to the United Nations?")
    assert answer.answered is True
    assert "1992" in answer.answer


def test_a_when_question_needs_a_date_in_the_answer(app_state: AppState) -> None:
    answer = app_state.answerer.ask("When did the EP adopt its resolution on Kazakhstan?")
    assert answer.answered is True
    assert "18 April 2013" in answer.answer


def test_api_follow_up_uses_history(client) -> None:  # type: ignore[no-untyped-def]
    first = client.post(
        "/ask", json={"question": "Which newspaper was closed down by a court in February 2014?"}
    ).json()
    second = client.post(
        "/ask",
        json={
            "question": "why?",
            "history": [{"question": first["question"], "answer": first["answer"]}],
        },
    ).json()
    assert second["standalone_question"] != "why?"
    assert second["answered"] is True
    assert "technical" in second["answer"]


def test_stems_meet_across_word_forms() -> None:
    assert stem("religion") == stem("religious")
    assert stem("ratify") == stem("ratified")
    assert stem("party") == stem("parties")
    assert stem("prohibition") == stem("prohibits")


def test_dates_are_not_counts() -> None:
    assert not has_answer_type("number", "Since independence from the Soviet Union in 1991, ...")
    assert not has_answer_type("number", "On 16 December 2011, security forces swept in.")
    assert has_answer_type("number", "At least 12 protesters were shot dead.")
    assert has_answer_type("number", "after receiving three warnings in February 2014")


def test_a_percentage_is_not_a_count() -> None:
    assert expected_answer_type("How many people died?") == "count"
    assert expected_answer_type("What share of the vote did he get?") == "percentage"
    assert not has_answer_type("count", "President Nazarbayev received 95.55% of votes.")
    # ... unless it is a share of what is counted.
    votes = "How many votes did Nazarbayev get?"
    assert has_answer_type("count", "President Nazarbayev received 95.55% of votes.", votes)
    assert has_answer_type("count", "and two co-defendants were convicted")
    assert has_answer_type("percentage", "in spite of a 30% quota")
    assert not has_answer_type("percentage", "At least 12 protesters were shot dead.")


def test_how_much_asks_for_a_figure_only_of_a_quantity() -> None:
    assert expected_answer_type("How much oil does Kazakhstan export?") == "number"
    assert expected_answer_type("How much room do officials have to refuse?") == "amount"
    assert expected_answer_type("In which month and year was he convicted?") == "date"


def test_question_core_drops_a_long_preamble() -> None:
    question = (
        "I'm writing a piece on gender inequality in the region - leaving violence aside, "
        "what difficulties do Kazakh women face at work?"
    )
    assert question_core(question) == "what difficulties do Kazakh women face at work?"
    assert question_core("Who is Kozlov?") == "Who is Kozlov?"


def test_asks_for_more() -> None:
    assert asks_for_more("What else did it call for?")
    assert not asks_for_more("What did it call for?")


def test_unknown_multi_word_names_are_strangers(app_state: AppState) -> None:
    frequency = app_state.holder.current().document_frequency
    assert unknown_names("What did Human Rights Watch report?", frequency) == ["human rights watch"]
    assert unknown_names("What did Reporters Without Borders report?", frequency) == []
    # American spelling of a name the briefing writes the British way.
    organisation = "What did the Organization for Security and Cooperation in Europe say?"
    assert unknown_names(organisation, frequency) == []


def test_a_question_about_an_unknown_organisation_is_not_answered(app_state: AppState) -> None:
    answer = app_state.answerer.ask("What did Human Rights Watch report about Zhanaozen?")
    assert answer.answered is False


def test_name_frequency_counts_the_word_family(app_state: AppState) -> None:
    index = app_state.holder.current()
    assert index.document_frequency("kazakh") < index.name_frequency("kazakh")
    assert index.name_frequency("kazakh") >= index.document_frequency("kazakhstan")


def test_a_follow_up_asking_what_else_moves_on(app_state: AppState) -> None:
    quoted = (
        "The resolution stressed the importance of workers\u2019 rights and called for a review "
        "of religious legislation."
    )
    history = [Turn("Did the Parliament's 2013 resolution mention religion?", f"{quoted} [1]")]
    again = app_state.answerer.ask("What did it call for?", history)
    more = app_state.answerer.ask("What else did it call for?", history)
    assert quoted in again.answer
    assert more.answered
    assert quoted not in more.answer


def test_a_negated_question_prefers_the_exception(app_state: AppState) -> None:
    answer = app_state.answerer.ask("Which UN conventions has Kazakhstan not ratified?")
    assert "exception" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "How do I apply for a tourist visa to Kazakhstan?",
        "What is the boiling point of water?",
    ],
)
def test_an_off_topic_question_is_not_answered(app_state: AppState, question: str) -> None:
    answer = app_state.answerer.ask(question)
    assert answer.answered is False
    assert answer.citations == []


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("How many demonstrators lost their lives in Zhanaozen?", "12"),
        ("Does the president also run provincial and municipal administrations?", "regional"),
        ("Is violence against women worse in the countryside?", "rural"),
    ],
)
def test_a_paraphrase_is_still_answered(app_state: AppState, question: str, key: str) -> None:
    answer = app_state.answerer.ask(question)
    assert answer.answered is True
    assert key in answer.answer


def test_asks_for_overview() -> None:
    assert asks_for_overview("What are the main human rights concerns the briefing highlights?")
    assert asks_for_overview("Give me the big picture.")
    assert not asks_for_overview("Who is Kazakhstan's main trade partner?")


@pytest.mark.parametrize(
    "question",
    ["What are the key issues in this briefing?", "What is this briefing about?", "Summarise it."],
)
def test_an_overview_question_is_answered_by_the_opening_summary(
    app_state: AppState, question: str
) -> None:
    answer = app_state.answerer.ask(question)
    assert answer.answered
    assert answer.answer.startswith("Kazakhstan has a poor human rights record")


def test_a_section_summary_is_answered_from_that_section(app_state: AppState) -> None:
    answer = app_state.answerer.ask("Summarise the press freedom section")
    assert answer.answered
    assert answer.citations[0].section == "Press freedom"


def test_an_asked_year_in_the_previous_sentence_still_counts(app_state: AppState) -> None:
    # "The resolution stressed ... workers' rights" names no year; the sentence before it
    # says "On 18 April 2013, the EP adopted a resolution".
    answer = app_state.answerer.ask("Did the 2013 resolution stress workers' rights?")
    assert answer.answered
    assert "workers" in answer.answer


def test_citations_after_the_answer_are_the_runner_up_sentences(app_state: AppState) -> None:
    answerer = app_state.answerer
    index = app_state.holder.current()
    question = "What did the OSCE recommend about media penalties?"
    vector = answerer.embedder.encode_one(question)
    hits = search(index, question, vector, k=10)
    chosen = [index.passages[hits[0].passage_id].sentence_ids[0]]
    # A sentence far from the top hit, but in some hit: it must become citation 2.
    runner_up = next(
        sid
        for hit in reversed(hits)
        for sid in index.passages[hit.passage_id].sentence_ids
        if sid not in index.passages[hits[0].passage_id].sentence_ids
    )
    citations, _ = cite(index, hits, chosen, [runner_up], 3)
    sentence = index.sentences[runner_up]
    assert citations[1].start <= sentence.start and sentence.end <= citations[1].end


def test_term_overlap_meets_word_families() -> None:
    assert overlap_share({"european": 1.0}, frozenset({"europ", "union"})) == 1.0
    assert overlap_share({"europe": 1.0}, frozenset({"union"})) == 0.0
    # short stems match exactly only
    assert overlap_share({"law": 1.0}, frozenset({"lawyer"})) == 0.0


def test_what_an_acronym_stands_for_is_answered(app_state: AppState) -> None:
    answer = app_state.answerer.ask("What is the acronym KIBHR short for?")
    assert answer.answered
    assert "Kazakhstan International Bureau for Human Rights" in answer.answer


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("What did Human Rights Watch report?", "Human Rights Watch is not mentioned"),
        (
            "Where did Kazakhstan rank in the 2016 World Press Freedom Index?",
            "does not give the year or number you ask about",
        ),
    ],
)
def test_a_refusal_says_why_and_names_the_document(
    app_state: AppState, question: str, why: str
) -> None:
    answer = app_state.answerer.ask(question)
    assert answer.answered is False
    assert answer.answer.startswith(
        "\u201cKazakhstan: human rights situation\u201d does not answer this"
    )
    assert why in answer.answer


def test_word_family_lookup_matches_a_full_scan(app_state: AppState) -> None:
    index = app_state.holder.current()
    for token in ["kazakh", "kazakhstani", "european", "parliament", "un", "religious"]:
        scanned = {w for w in index.terms.vocabulary if w == token or same_family(w, token)}
        assert set(index.vocabulary._word_family(token)) == scanned, token


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("What share of the vote did Nazarbaev get in 2011?", "95.55"),
        ("What is Kashkumbaev accused of?", "praying"),
        ("What happened in Janaozen in December 2011?", "oil workers"),
    ],
)
def test_a_name_spelled_another_way_is_still_answered(
    app_state: AppState, question: str, key: str
) -> None:
    answer = app_state.answerer.ask(question)
    assert answer.answered, answer.answer
    assert key in answer.answer
    assert answer.question == question  # the response keeps the user's spelling


def test_respelling_leaves_other_names_alone(app_state: AppState) -> None:
    index = app_state.holder.current()
    assert index.respell_names("Nazarbaev and Janaozen") == "Nazarbayev and Zhanaozen"
    assert index.respell_names("Uzbekistan and Mongolia") == "Uzbekistan and Mongolia"
