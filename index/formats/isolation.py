"""Reading files in worker processes of their own, each file within a time and a memory budget.

A parser fed a hostile file (a decompression bomb, a million nested tags) can take all the
memory or all the time there is; in a worker process with an address-space limit and a wall
clock per file, that file fails alone with a reason, and the server and the other files never
notice. Workers are fresh interpreters (``python -m index.formats.worker``), not forks of the
caller, which may hold threads and a loaded model; each reads file after file, so a corpus of
many small files pays the interpreter's start (~0.5 s) once per worker, not once per file.
A worker that runs out of time is killed and replaced.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from ..model import Block, ParsedDocument
from .options import ReadOptions

# How a reading that ended with the worker's death begins (it is not kept in the parse cache:
# the next build tries again).
STOPPED = "the reader stopped"


def _import_path() -> str:
    """This package's parent first on the worker's path, so it imports this very code."""
    here = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)


class _Worker:
    """One reading process and the file it is reading."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.process = subprocess.Popen(
            [sys.executable, "-m", "index.formats.worker", json.dumps(asdict(options))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": _import_path()},
        )
        self.path: Path | None = None
        self.deadline = 0.0
        self._buffer = bytearray()

    def give(self, path: Path) -> None:
        """Start reading ``path``."""
        assert self.process.stdin is not None
        self.path = path
        self.deadline = time.monotonic() + self.options.seconds
        self._buffer.clear()
        self.process.stdin.write(json.dumps(str(path)).encode() + b"\n")
        self.process.stdin.flush()

    def fileno(self) -> int:
        assert self.process.stdout is not None
        return self.process.stdout.fileno()

    def receive(self) -> ParsedDocument | str | None:
        """What it made of its file, once it has said it all (None: not yet)."""
        chunk = os.read(self.fileno(), 1 << 20)
        if not chunk:  # the process died: out of memory, or crashed in a parser
            self.stop()
            return (
                f"{STOPPED} (exit code {self.process.returncode}): reading it needs more than "
                f"{self.options.memory_mb:,} MB of memory, or the file is damaged"
            )
        self._buffer.extend(chunk)
        if not self._buffer.endswith(b"\n"):
            return None
        answer = json.loads(self._buffer)
        self._buffer.clear()
        if "error" in answer:
            return str(answer["error"])
        answer["blocks"] = [Block(*b) for b in answer["blocks"]]
        return ParsedDocument(**answer)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def read_isolated(
    paths: list[Path], options: ReadOptions
) -> Iterator[tuple[Path, ParsedDocument | str]]:
    """Read each file in a worker process; yields (path, parsed) or (path, why it failed), in
    the order they finish, ``options.workers`` files at a time."""
    waiting = list(reversed(paths))
    idle: list[_Worker] = []
    busy: list[_Worker] = []
    try:
        while waiting or busy:
            while waiting and len(busy) < max(1, options.workers):
                worker = idle.pop() if idle else _Worker(options)
                worker.give(waiting.pop())
                busy.append(worker)
            for worker, outcome in _next_outcomes(busy, options):
                busy.remove(worker)
                assert worker.path is not None
                yield worker.path, outcome
                if worker.alive():
                    idle.append(worker)
    finally:
        for worker in idle + busy:
            worker.stop()


def _next_outcomes(
    busy: list[_Worker], options: ReadOptions
) -> list[tuple[_Worker, ParsedDocument | str]]:
    """Wait until a worker has an answer or runs out of time."""
    timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
    ready, _, _ = select.select(busy, [], [], timeout)
    finished = []
    for worker in ready:
        outcome = worker.receive()
        if outcome is not None:
            finished.append((worker, outcome))
    now = time.monotonic()
    for worker in busy:
        if worker not in ready and now >= worker.deadline:
            worker.stop()
            finished.append((worker, f"parsing took longer than {options.seconds:g} s"))
    return finished
