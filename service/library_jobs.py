"""The background job that indexes what the library received: one builder thread per process;
requests made while it builds are folded into one more build, so two uploads at once both end
indexed. Each build is the incremental, atomic one of ``index.build_index``: a failure leaves the
previous version serving."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from index import BuildInProgress, BuildReport

from .library import Library

if TYPE_CHECKING:
    from .state import IndexHolder

log = logging.getLogger("briefing_qa.library")
# Another process (the CLI, another worker) may hold the build lock: wait and try again.
BUILD_RETRY_SECONDS = 0.5
BUILD_RETRIES = 600


class IndexJobs:
    """Rebuilds the index when asked, then records each upload's outcome."""

    def __init__(self, holder: IndexHolder, library: Library) -> None:
        self.holder = holder
        self.library = library
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def request(self) -> None:
        """Ask for a build (returns at once)."""
        self._idle.clear()
        self._wanted.set()
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="index-jobs", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no build is wanted or running (for tests and shutdown)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            if not self._wanted.wait(timeout=5):
                return  # nothing asked for a while: the thread ends, the next request starts one
            self._wanted.clear()
            try:
                self._reconcile(self._build())
            except Exception as exc:  # a broken build must not kill the job thread
                log.exception("library build failed")
                for upload in self.library.uploads():
                    if upload.status == "pending":
                        self.library.set_status(upload.id, "failed", f"indexing failed: {exc}")
            if not self._wanted.is_set():
                self._idle.set()

    def _build(self) -> BuildReport:
        for _ in range(BUILD_RETRIES):
            try:
                return self.holder.rebuild()
            except BuildInProgress:
                time.sleep(BUILD_RETRY_SECONDS)
        raise RuntimeError("another build held the lock for too long")

    def _reconcile(self, report: BuildReport) -> None:
        """Pending uploads the new version holds are indexed; those it skipped failed."""
        index = self.holder.current()
        for upload in self.library.uploads():
            if upload.status != "pending":
                continue
            if upload.id in index.documents:
                self.library.set_status(upload.id, "indexed")
                continue
            why = next((s for s in report.skipped_files if s.startswith(upload.path)), None)
            self.library.set_status(upload.id, "failed", why or "not in the new index")
