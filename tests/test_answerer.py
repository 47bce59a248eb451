"""The answerer's own mechanics: answer cache, micro-batched embedding, word vectors."""

from __future__ import annotations

import threading

import numpy as np

from index import Embedder
from service.answering import Answerer, Turn
from service.state import AppState


def test_answer_cache_returns_the_same_answer_for_a_repeated_question(
    app_state: AppState,
) -> None:
    answerer = Answerer(app_state.embedder, app_state.holder.current, app_state.answerer.decision)
    calls = []
    original = answerer._answer

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1])
        return original(*args, **kwargs)

    answerer._answer = counting  # type: ignore[method-assign]
    first = answerer.ask("Which state body supervises religious life?")
    second = answerer.ask("Which state body supervises religious life?")
    third = answerer.ask("Which state body supervises religious life?", [Turn("Hi?", "")])
    assert second.answer == first.answer
    assert len(calls) == 2  # the repeat was served from the cache, the new history was not
    assert third.question == first.question


def test_answer_cache_can_be_disabled(app_state: AppState) -> None:
    answerer = Answerer(
        app_state.embedder, app_state.holder.current, app_state.answerer.decision, cache_size=0
    )
    answerer.ask("Which state body supervises religious life?")
    assert len(answerer._cache._items) == 0


def test_concurrent_queries_get_their_own_vectors(embedder: Embedder) -> None:
    questions = [f"Question {i} about press freedom in Kazakhstan" for i in range(24)]
    expected = embedder.encode(questions)
    results: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        results[i] = embedder.encode_one(questions[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, vector in results.items():
        assert float(vector @ expected[i]) > 0.9999


def test_word_vectors_of_the_corpus_vocabulary_are_in_the_index(app_state: AppState) -> None:
    index = app_state.holder.current()
    assert "zhanaozen" in index.word_ids
    stored = index.word_vectors[index.word_ids["zhanaozen"]]
    direct = app_state.embedder.encode(["zhanaozen"])[0]
    assert float(stored @ direct) > 0.9999


def _peak_answers_at_once(answerer: Answerer, questions: list[str]) -> int:
    """Ask every question from its own thread; the most answers computed at the same time."""
    running, peak, lock = [0], [0], threading.Lock()
    original = answerer._answer

    def tracked(*args, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            threading.Event().wait(0.02)  # long enough for the others to arrive
            return original(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    answerer._answer = tracked  # type: ignore[method-assign]
    threads = [threading.Thread(target=answerer.ask, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return peak[0]


def test_questions_take_turns_up_to_the_concurrency_setting(app_state: AppState) -> None:
    questions = [f"What does the briefing say about topic {i}?" for i in range(8)]
    state = app_state
    one = Answerer(state.embedder, state.holder.current, state.answerer.decision, cache_size=0)
    three = Answerer(
        state.embedder, state.holder.current, state.answerer.decision, cache_size=0, concurrency=3
    )
    assert _peak_answers_at_once(one, questions) == 1
    assert _peak_answers_at_once(three, questions) == 3
