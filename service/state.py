"""The long-lived things a running server holds: the model, the index version, the answerer."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import threadpoolctl

from index import (
    BuildReport,
    Embedder,
    IndexIncompatible,
    IndexNotFound,
    LoadedIndex,
    build_index,
    current_version,
    load_index,
)
from index.encoder.multilingual import MultilingualEncoder
from index.store.multilingual import build_multilingual, is_ready

from .answering import Answerer, AnswerQueue, DecisionModel
from .answering.crosslingual import Crosslingual, CrosslingualModel
from .library import (
    Accounts,
    AuditLog,
    BuildRegistry,
    Collections,
    Credentials,
    IndexJobs,
    Library,
    database_url,
)
from .settings import Settings

log = logging.getLogger("briefing_qa")


def load_embedder(settings: Settings) -> Embedder:
    """The embedding model as configured (ONNX export cached under ``model_cache_dir``)."""
    one_blas_thread()
    return Embedder(
        settings.embedding_backend,
        settings.onnx_dir,
        settings.threads,
        quantized=settings.quantized_embeddings,
    )


def one_blas_thread() -> None:
    """Matrix-vector products (a question against every passage vector) on one BLAS thread:
    a second one saves nothing on a product this small, and its threads keep spinning after it,
    taking the cores the model needs for the next question. Measured on 2 cores, in-process
    p50: the policy corpus (2,594 passages) 17.4 -> 10.1 ms, the briefing 9.1 -> 7.2 ms."""
    threadpoolctl.threadpool_limits(1, user_api="blas")


def build_embedder(settings: Settings, device: str) -> Embedder:
    """The model a build embeds with: the served one on the CPU, or the same weights in
    float16 on a GPU (``device`` as :func:`index.resolve_device` returns it)."""
    if device == "cpu":
        return load_embedder(settings)
    if settings.quantized_embeddings:
        raise ValueError(
            "the servers use the int8 model (BRIEFING_QA_QUANTIZED_EMBEDDINGS), whose vectors a "
            "GPU build cannot reproduce; build on the CPU"
        )
    return Embedder("torch", threads=settings.threads, device=device)


class IndexHolder:
    """Holds the index version being served and swaps it when a new one is published.

    Readers call :meth:`current` once per request and keep that object, so a request that is
    running when the version changes finishes on the version it started with.
    """

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._lock = threading.Lock()
        self._index: LoadedIndex | None = None
        # Told of every version this process switches to (the registry, the metrics).
        self.on_switch: list[Callable[[LoadedIndex], None]] = []

    def current(self) -> LoadedIndex:
        """The version being served."""
        index = self._index
        if index is None:
            raise IndexNotFound("the index is not loaded yet")
        return index

    def is_loaded(self) -> bool:
        """Whether a version is being served."""
        return self._index is not None

    def load(self, build_if_missing: bool = True) -> LoadedIndex:
        """Load the current version. When there is none, or it cannot be served (damaged, other
        model, other format) and the corpus is there, build a fresh one first if allowed."""
        index_dir = self.settings.index_dir
        can_build = build_if_missing and self.settings.corpus_dir.is_dir()
        if current_version(index_dir) is None and can_build:
            log.info("no index in %s: building it from %s", index_dir, self.settings.corpus_dir)
            self._build_logged()
        try:
            loaded = load_index(index_dir, model_key=self.embedder.model_key)
        except IndexIncompatible as problem:
            if not can_build:
                raise
            log.warning("%s — rebuilding from %s", problem, self.settings.corpus_dir)
            self._build_logged()
            loaded = load_index(index_dir, model_key=self.embedder.model_key)
        with self._lock:
            self._index = loaded
        self._announce(loaded)
        return loaded

    def _announce(self, loaded: LoadedIndex) -> None:
        for listener in self.on_switch:
            try:
                listener(loaded)
            except Exception:  # a listener (the database) failing must not stop serving
                log.exception("could not record the switch to index version %s", loaded.version)

    def _build_logged(self) -> None:
        report = self.rebuild()
        log.info("built index %s (%d passages)", report.version, report.passages)

    def refresh_if_changed(self) -> bool:
        """Load the version CURRENT names if it is not the one being served."""
        name = current_version(self.settings.index_dir)
        if name is None or (self._index is not None and self._index.version == name):
            return False
        with self._lock:
            if self._index is not None and self._index.version == name:
                return False
            fresh = load_index(self.settings.index_dir, name, model_key=self.embedder.model_key)
            previous = self._index.version if self._index else None
            self._index = fresh  # one reference assignment: readers see old or new, never half
        log.info("switched index version %s -> %s", previous, name)
        self._announce(fresh)
        return True

    def rebuild(self) -> BuildReport:
        """Build a new version from the corpus and switch to it."""
        report = build_index(
            self.settings.corpus_dir,
            self.settings.index_dir,
            self.embedder,
            reading=self.settings.read_options,
        )
        if self._index is not None:
            self.refresh_if_changed()
        return report


# The second phase's CPU priority (nice, 0-19): the lowest, so that on a small machine the hours of
# embedding a large corpus needs take only what questions leave (issue #32: English readers
# pay nothing). Measured with bench_scale.py (100,000 passages): see docs/performance.md.
PHASE_NICENESS = 19


def yield_to_questions() -> None:
    """Lower the calling thread, and the engine threads it goes on to start, to
    PHASE_NICENESS. Linux gives each thread its own nice value and a new thread inherits its
    creator's; elsewhere the call may be refused, and the phase then runs as before."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PHASE_NICENESS)
    except OSError as exc:
        log.info("the multilingual phase keeps its priority: %s", exc)


class SecondPhase:
    """Makes the second, multilingual phase of each version the server switches to, in the
    background (issue #32): the English index serves meanwhile, and questions in other
    languages are told that their answers are being prepared. One phase runs at a time; its
    progress is what ``/health`` reports."""

    def __init__(self, settings: Settings, encoder: MultilingualEncoder) -> None:
        self.settings = settings
        self.encoder = encoder
        self.progress: dict[str, Any] = {"version": None, "ready": False, "done": 0, "total": 0}
        self._running = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self, loaded: LoadedIndex) -> None:
        """Make ``loaded``'s second phase unless it is there (a listener of version switches)."""
        if is_ready(loaded.path):
            self.progress = {"version": loaded.version, "ready": True, "done": 0, "total": 0}
            return
        thread = threading.Thread(
            target=self._run, args=(loaded,), name="multilingual-phase", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _run(self, loaded: LoadedIndex) -> None:
        yield_to_questions()
        with self._running:
            self.progress = {"version": loaded.version, "ready": False, "done": 0, "total": 0}

            def report(_stage: str, done: int, total: int) -> None:
                self.progress = {**self.progress, "done": done, "total": total}

            try:
                build_multilingual(loaded, self.settings.index_dir, self.encoder, report)
            except Exception:  # serving goes on in English; the next version tries again
                log.exception("the multilingual phase of %s failed", loaded.version)
                return
            self.progress = {**self.progress, "ready": is_ready(loaded.path)}
            log.info("multilingual phase of %s ready", loaded.version)

    def progress_of(self, loaded: LoadedIndex) -> dict[str, Any]:
        """``ready`` and ``percent`` (how much of the texts is embedded) of ``loaded``'s second
        phase. A share, not the counts: the phase embeds the whole version, and its counts
        would tell a reader of some collections how much there is beyond them (issue #31)."""
        progress = self.progress
        if progress["version"] == loaded.version and not progress["ready"]:
            total = progress["total"]
            percent = 100 * progress["done"] // total if total else 0
            return {"ready": False, "percent": min(percent, 99)}  # 100 only once ready
        ready = is_ready(loaded.path)
        return {"ready": ready, "percent": 100 if ready else 0}

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the phases started so far (tests, the CLI)."""
        for thread in list(self._threads):
            thread.join(timeout)


class AppState:
    """Everything the request handlers need, created once in the lifespan."""

    def __init__(self, settings: Settings, embedder: Embedder, holder: IndexHolder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.holder = holder
        decision = DecisionModel(target_false_abstention=settings.target_false_abstention)
        crosslingual = None
        self.second_phase: SecondPhase | None = None
        if settings.multilingual:
            encoder = MultilingualEncoder()
            crosslingual = Crosslingual(encoder, CrosslingualModel())
            self.second_phase = SecondPhase(settings, encoder)
        self.answerer = Answerer(embedder, holder.current, decision, crosslingual=crosslingual)
        self.turns = AnswerQueue(
            self.answerer, settings.answer_concurrency, settings.answer_max_wait_seconds
        )
        self.library = Library(database_url(settings.database_url, settings.index_dir))
        self.registry = BuildRegistry(self.library.engine)
        # Who may read what (local mode): accounts, sign-ins and keys, collections, the log.
        self.accounts = Accounts(self.library.engine)
        self.credentials = Credentials(self.library.engine)
        self.collections = Collections(self.library.engine)
        self.audit = AuditLog(self.library.engine)
        holder.on_switch.append(self.registry.record_version)
        if holder.is_loaded():
            self.registry.record_version(holder.current())
        if self.second_phase is not None:
            holder.on_switch.append(self.second_phase.start)
            if holder.is_loaded():
                self.second_phase.start(holder.current())
        self.jobs = IndexJobs(holder, self.library, self.registry, settings.reload_check_seconds)
