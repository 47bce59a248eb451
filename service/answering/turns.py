"""Questions take turns, in the order they arrived.

Answering is CPU-bound: on 2 cores one question at a time answers more per second than many
threads fighting over the interpreter lock. A semaphore in front of the answerer let a newly
arrived thread slip past one that had waited (16 clients: median 130 ms, yet some waited over
2 s, issue #26). Here each question is a job in one first-in, first-out queue served by
``workers`` threads; the caller awaits its own future. A question that has waited longer than
``max_wait`` is dropped before it starts (the caller gets :class:`WaitedTooLong` and a hint of
when to come back) instead of hanging; one that has started always finishes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import threading
import time
from collections.abc import Collection, Sequence

from .answerer import Answer, Answerer
from .conversation import Turn

# The first guess of how long one answer takes, before any was timed (a briefing-sized corpus
# answers in ~5-10 ms on 2 cores); and how quickly the running mean follows new timings.
FIRST_GUESS_SECONDS = 0.01
MEAN_WEIGHT_OF_NEWEST = 0.1


class WaitedTooLong(Exception):
    """The question waited longer than allowed for its turn and was not answered.

    Attributes:
        retry_after: seconds after which the queue is expected to have room again (≥ 1).
    """

    def __init__(self, waited: float, retry_after: int) -> None:
        super().__init__(
            f"the server is busy: the question waited {waited:.1f} s for its turn; "
            f"ask again in {retry_after} s"
        )
        self.waited = waited
        self.retry_after = retry_after


class AnswerQueue:
    """Answers questions in arrival order on ``workers`` threads of its own.

    Args:
        answerer: what answers (its cache is read first: a repeated question does not queue).
        workers: questions answered at the same time.
        max_wait: seconds a question may wait for its turn before it is dropped.
    """

    def __init__(self, answerer: Answerer, workers: int = 1, max_wait: float = 10.0) -> None:
        self.answerer = answerer
        self.workers = workers
        self.max_wait = max_wait
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="answer")
        self._lock = threading.Lock()
        self._waiting = 0
        self._mean_seconds = FIRST_GUESS_SECONDS

    async def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int = 3,
        documents: Sequence[str] | None = None,
        corpus: Collection[str] | None = None,
        language: str | None = None,
    ) -> Answer:
        """Answer when the questions that came first have been answered (``documents``,
        ``corpus`` and ``language`` as :meth:`Answerer.ask` takes them).

        Raises:
            WaitedTooLong: the question waited ``max_wait`` seconds and was not started.
        """
        cached = self.answerer.cached(
            question, history, top_k, "hybrid", documents, corpus, language
        )
        if cached is not None:
            return cached
        arrived = time.monotonic()
        with self._lock:
            self._waiting += 1
        job = self._pool.submit(self._answer, question, history, top_k, documents, corpus, language)
        waiting = asyncio.wrap_future(job)
        try:
            # asyncio.wait, not wait_for: it neither cancels the job nor adds a task per request.
            done, _ = await asyncio.wait({waiting}, timeout=self.max_wait)
        except asyncio.CancelledError:  # the client went away: free its place
            if job.cancel():
                self._left_queue()
            raise
        if not done and job.cancel():  # not started in time: dropped
            self._left_queue()
            raise WaitedTooLong(time.monotonic() - arrived, self.retry_after())
        return await waiting  # done, or started in time: it finishes

    def retry_after(self) -> int:
        """Whole seconds the questions now waiting will take, at least 1."""
        with self._lock:
            backlog = self._waiting * self._mean_seconds / self.workers
        return max(1, math.ceil(backlog))

    def waiting(self) -> int:
        """Questions queued and not yet started."""
        with self._lock:
            return self._waiting

    def close(self) -> None:
        """Stop taking questions; those queued are dropped, those started finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _answer(
        self,
        question: str,
        history: Sequence[Turn],
        top_k: int,
        documents: Sequence[str] | None,
        corpus: Collection[str] | None,
        language: str | None = None,
    ) -> Answer:
        self._left_queue()
        started = time.monotonic()
        try:
            return self.answerer.ask(
                question, history, top_k, "hybrid", documents, corpus, language
            )
        finally:
            took = time.monotonic() - started
            with self._lock:
                self._mean_seconds += MEAN_WEIGHT_OF_NEWEST * (took - self._mean_seconds)

    def _left_queue(self) -> None:
        with self._lock:
            self._waiting -= 1
