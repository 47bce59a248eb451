"""The Prometheus series the service exports at /metrics.

One process: the series live in the app's own registry. Several worker processes
(``serve --workers N``): ``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at an empty folder before
the workers start, each worker writes its series there, and a scrape, whichever worker answers
it, adds up every worker's (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

if TYPE_CHECKING:
    from index import LoadedIndex

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The shared folder of worker series, when the workers share one."""
    return os.environ.get(MULTIPROCESS_ENV) or None


def share_metrics_between_workers() -> None:
    """Point the workers at one empty folder for their Prometheus series (multiprocess mode),
    so /metrics counts every worker's requests whichever worker answers the scrape."""
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:  # the operator's folder: emptied, since series from an earlier run would add up
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return
    folder = Path(tempfile.mkdtemp(prefix="briefing-qa-metrics-"))
    os.environ[MULTIPROCESS_ENV] = str(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


class Metrics:
    """Requests by route and status, latency, the index each worker serves, and audit records
    that could not be written."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_dir() is not None
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "briefing_qa_http_requests", "HTTP requests by route, method and status",
            ["route", "method", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "briefing_qa_http_request_duration_seconds", "HTTP request latency by route",
            ["route"], registry=self.registry,
            buckets=(0.002, 0.005, 0.008, 0.012, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
        )  # fmt: skip
        # Per live worker (a pid label across workers): during a switch-over two workers may
        # serve different versions for a moment, and that is worth seeing.
        self.index_version = Gauge(
            "briefing_qa_index_info", "The index version being served (value 1)", ["version"],
            registry=self.registry, multiprocess_mode="liveall",
        )  # fmt: skip
        self.passages = Gauge(
            "briefing_qa_index_passages", "Passages in the index being served",
            registry=self.registry, multiprocess_mode="liveall",
        )  # fmt: skip
        self.documents = Gauge(
            "briefing_qa_index_documents", "Documents in the index being served",
            registry=self.registry, multiprocess_mode="liveall",
        )  # fmt: skip
        # A record of who did what that was lost (the database refused it) must be seen.
        self.audit_failures = Counter(
            "briefing_qa_audit_write_failures", "Audit log records that could not be written",
            registry=self.registry,
        )  # fmt: skip
        self._shown_version: str | None = None
        self._lock = threading.Lock()

    def show(self, index: LoadedIndex) -> None:
        """Point the index gauges at the version this process serves."""
        self.show_index(index.version, len(index.documents), len(index.passages))

    def show_index(self, version: str, documents: int, passages: int) -> None:
        """Point the index gauges at ``version``."""
        with self._lock:
            if self._shown_version == version:
                return
            if self._shown_version is not None:
                if self.multiprocess:  # a worker's file keeps removed series: zero it instead
                    self.index_version.labels(self._shown_version).set(0)
                else:
                    self.index_version.remove(self._shown_version)
            self.index_version.labels(version).set(1)
            self.passages.set(passages)
            self.documents.set(documents)
            self._shown_version = version

    def exposition(self) -> bytes:
        """The text a scrape gets: this process's series, or every worker's added up."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        combined = CollectorRegistry()
        MultiProcessCollector(combined)
        return generate_latest(combined)

    def close(self) -> None:
        """A worker that stops takes its live gauges with it."""
        if self.multiprocess:
            mark_process_dead(os.getpid())
