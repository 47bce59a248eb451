"""Questions take turns in arrival order; one that waits too long is told to come back."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service.answering import Answerer, AnswerQueue, WaitedTooLong
from service.state import AppState


class Recorder:
    """Wraps a real answerer's work so a test sees what ran, in which order, how many at once."""

    def __init__(self, answerer: Answerer, seconds: float) -> None:
        self.order: list[str] = []
        self.peak = 0
        self._running = 0
        self._lock = threading.Lock()
        self._seconds = seconds
        self._work = answerer._answer
        answerer._answer = self._answer  # type: ignore[method-assign,assignment]

    def _answer(self, index: Any, question: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.order.append(question)
            self._running += 1
            self.peak = max(self.peak, self._running)
        try:
            time.sleep(self._seconds)  # long enough for every other question to queue
            return self._work(index, question, *args, **kwargs)
        finally:
            with self._lock:
                self._running -= 1


def _answerer(app_state: AppState) -> Answerer:
    return Answerer(
        app_state.embedder, app_state.holder.current, app_state.answerer.decision, cache_size=0
    )


async def _ask_in_order(queue: AnswerQueue, questions: list[str]) -> list[Any]:
    tasks = []
    for question in questions:
        tasks.append(asyncio.create_task(queue.ask(question)))
        await asyncio.sleep(0.001)  # arrivals a millisecond apart, in list order
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_turns_answer_in_arrival_order(app_state: AppState) -> None:
    answerer = _answerer(app_state)
    recorder = Recorder(answerer, seconds=0.02)
    queue = AnswerQueue(answerer, workers=1, max_wait=30)
    questions = [f"What does the briefing say about topic {i}?" for i in range(12)]
    results = asyncio.run(_ask_in_order(queue, questions))
    queue.close()
    assert recorder.order == questions
    assert [r.question for r in results] == questions


@pytest.mark.parametrize("workers", [1, 3])
def test_turns_run_as_many_at_once_as_workers(app_state: AppState, workers: int) -> None:
    answerer = _answerer(app_state)
    recorder = Recorder(answerer, seconds=0.05)
    queue = AnswerQueue(answerer, workers=workers, max_wait=30)
    asyncio.run(_ask_in_order(queue, [f"Who is topic {i}?" for i in range(8)]))
    queue.close()
    assert recorder.peak == workers


def test_turns_question_that_waited_too_long_is_dropped_unanswered(app_state: AppState) -> None:
    answerer = _answerer(app_state)
    recorder = Recorder(answerer, seconds=0.4)
    queue = AnswerQueue(answerer, workers=1, max_wait=0.1)
    questions = ["When did the strike start?", "Who was arrested?", "Which court ruled?"]
    results = asyncio.run(_ask_in_order(queue, questions))
    queue.close()
    assert results[0].question == questions[0]  # started at once: it finishes
    assert all(isinstance(r, WaitedTooLong) for r in results[1:]), results
    assert all(r.retry_after >= 1 for r in results[1:])
    assert recorder.order == questions[:1]  # the dropped ones never ran
    assert queue.waiting() == 0


def test_turns_cached_answer_does_not_queue(app_state: AppState) -> None:
    answerer = Answerer(app_state.embedder, app_state.holder.current, app_state.answerer.decision)
    question = "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"
    answerer.ask(question)
    recorder = Recorder(answerer, seconds=0.0)
    queue = AnswerQueue(answerer, workers=1, max_wait=30)
    answer = asyncio.run(queue.ask(question))
    queue.close()
    assert answer.answered
    assert recorder.order == []


@pytest.fixture()
def slow_turns(app_state: AppState, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnswerQueue]:
    """The served app's queue swapped for one whose answers take 0.5 s and may wait 0.1 s."""
    answerer = _answerer(app_state)
    Recorder(answerer, seconds=0.5)
    queue = AnswerQueue(answerer, workers=1, max_wait=0.1)
    monkeypatch.setattr(app_state, "turns", queue)
    yield queue
    queue.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/ask", {"question": "Who closed the newspaper?"}),
        (
            "/v1/chat/completions",
            {"model": "briefing-qa", "messages": [{"role": "user", "content": "Who closed it?"}]},
        ),
    ],
)
def test_busy_server_answers_503_with_retry_after(
    live_url: str, slow_turns: AnswerQueue, path: str, body: dict[str, Any]
) -> None:
    responses: list[httpx.Response] = []

    def post(n: int) -> None:
        payload = dict(body)
        if "question" in payload:
            payload["question"] = f"{payload['question']} ({n})"
        else:
            payload["messages"] = [{"role": "user", "content": f"Who closed it? ({n})"}]
        responses.append(httpx.post(live_url + path, json=payload, timeout=10))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 503, 503], statuses
    busy = [r for r in responses if r.status_code == 503]
    assert all(int(r.headers["Retry-After"]) >= 1 for r in busy)
    assert all("busy" in r.text for r in busy)
