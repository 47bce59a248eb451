"""The background job that carries out the build queue: each process runs one builder thread
that looks at the shared queue (``registry.build_requests``) when woken and every poll interval;
whichever replica takes the build lock builds once for every request queued so far, then
records each pending upload's outcome. Each build is the incremental, atomic one of
``index.build_index``: a failure leaves the previous version serving, and a replica that dies
mid-build leaves its request open for another to carry out."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from index import BuildInProgress, BuildReport, LoadedIndex

from .records import Library
from .registry import BuildRegistry
from .uploads import NOT_IN_INDEX

log = logging.getLogger("briefing_qa.library")


class Rebuilder(Protocol):
    """What the build job needs of the served index: build and switch, then say what is served.
    (``service.state.IndexHolder`` is one; the job never imports it, so the arrow points one
    way: state → library.)"""

    def rebuild(self) -> BuildReport:
        """Build a new version from the corpus and switch to it."""
        ...

    def current(self) -> LoadedIndex:
        """The version being served."""
        ...


class IndexJobs:
    """Carries out queued builds, then records each upload's outcome.

    Args:
        holder: the index being served (rebuilt and switched here).
        library: upload records.
        registry: the shared build queue and lock.
        poll_seconds: how often to look at the queue unwoken (0: only when woken).
    """

    def __init__(
        self,
        holder: Rebuilder,
        library: Library,
        registry: BuildRegistry,
        poll_seconds: float = 0.0,
    ) -> None:
        self.holder = holder
        self.library = library
        self.registry = registry
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start(self) -> None:
        """Run the builder thread (once per process)."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="index-jobs", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread after the build it is running, if any."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def request(self, reason: str = "library changed") -> None:
        """Queue a build (returns at once; some replica carries it out)."""
        self._idle.clear()
        self.registry.request_build(reason)
        self._wake.set()
        self.start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until this process's requests are carried out (for tests and shutdown)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds or None)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._carry_out_queue()
            except Exception:  # the database may be away for a moment: try again next time
                log.exception("could not carry out the build queue")

    def _carry_out_queue(self) -> None:
        if self.registry.newest_open_request() is None:
            self._idle.set()
            return
        with self.registry.build_lock() as mine:
            if not mine:
                return  # another replica builds; every replica switches when it publishes
            newest = self.registry.newest_open_request()  # it may have finished just now
            if newest is not None and not self._build_for(newest):
                return
        if self.registry.newest_open_request() is None:
            self._idle.set()
        else:
            self._wake.set()  # more came in while it built: one more build takes them all

    def _build_for(self, newest: int) -> bool:
        """Build once for every request up to ``newest``; False when it must be tried later."""
        try:
            report = self.holder.rebuild()
        except BuildInProgress:
            self._wake_later()  # a CLI build holds the folder's lock: try again soon
            return False
        except Exception as exc:  # closed with the reason, not retried forever
            log.exception("library build failed")
            self.registry.finish_requests(newest, None, str(exc))
            self._fail_pending(f"indexing failed: {exc}")
            return True
        self.registry.finish_requests(newest, report.version)
        self._reconcile(report)
        return True

    def _wake_later(self) -> None:
        if not self.poll_seconds:
            threading.Timer(0.5, self._wake.set).start()

    def _fail_pending(self, why: str) -> None:
        for upload in self.library.uploads():
            if upload.status == "pending":
                self.library.set_status(upload.id, "failed", why)

    def _reconcile(self, report: BuildReport) -> None:
        """Pending uploads the new version holds are indexed; those it skipped failed (with the
        reader's reason); those it never saw stay pending."""
        index = self.holder.current()
        seen = set(report.files)
        for upload in self.library.uploads():
            if upload.status != "pending" or upload.path not in seen:
                continue  # added while the build ran: the build it asked for will see it
            if upload.id in index.documents:
                self.library.set_status(upload.id, "indexed")
                continue
            why = next(
                (s.split(": ", 1)[-1] for s in report.skipped_files if s.startswith(upload.path)),
                None,
            )
            self.library.set_status(upload.id, "failed", why or NOT_IN_INDEX)
