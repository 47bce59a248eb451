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
