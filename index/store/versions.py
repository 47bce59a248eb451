"""The index folder: which version is served (``CURRENT``, replaced atomically), the version
folders, the build lock, and pruning old versions."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from ..problems import BuildInProgress

# The layout of a version folder; a program reads only its own format (others are rebuilt).
# 9: the multilingual BM25's words keep their combining marks (Devanagari, Thai, Arabic
# vowel signs; index/stemming.py), so the terms a version 8 phase holds would not match the
# words a question is cut into now. 10: Arabic-script vowel points are dropped from those words,
# and sentences end at the Greek question mark, the Urdu full stop and the full stops of other
# scripts (index/text.py), so a version 9 holds sentences and terms cut otherwise. 11: the
# second phase holds the passages' latent terms (latent.py), which a version 10's lacks. 12:
# a sentence may open with a capital of any script, after an inverted or low opening mark, in
# Hangul; not with a lowercase letter; Thai and Lao sentences end at spaces (index/text.py).
# 13: the multilingual BM25 reads every script's digits as ASCII ones and holds a token for
# each month named beside a number (index/stemming.py), which a version 12's terms lack.
FORMAT_VERSION = 13
# How the English sentence and word vectors are kept, on disk and in memory: float16 halves
# them (sentences are ~2 per passage, the bulk of the vectors), so the multilingual 8-bit set
# fits beside them in less than the float32 English vectors took alone (issue #32); cosines
# move by < 0.001 and arithmetic on them stays float32 (numpy widens float16 against the
# float32 query). The passage vectors stay float32 inside FAISS, whose HNSW graph walks them.
# An index written with float32 vectors (before) is read and narrowed on load.
STORED_VECTOR_DTYPE = "float16"
KEEP_VERSIONS = 3


def versions_dir(index_dir: Path) -> Path:
    """Where version directories live."""
    return index_dir / "versions"


def current_version(index_dir: Path) -> str | None:
    """The name of the version being served, or None when nothing was built yet."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def publish(index_dir: Path, version: str) -> None:
    """Point CURRENT at ``version``: write a temp file, fsync, rename (atomic on POSIX)."""
    temp = index_dir / f".CURRENT.{uuid.uuid4().hex}"
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, index_dir / "CURRENT")
    fsync_dir(index_dir)


def fsync_files(folder: Path) -> None:
    """Flush every file under ``folder`` to disk (before it is renamed into place)."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the build lock; the kernel releases it if the process dies, so no stale locks."""
    index_dir.mkdir(parents=True, exist_ok=True)
    handle = open(index_dir / "build.lock", "a+", encoding="utf-8")  # noqa: SIM115
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildInProgress(
                    f"another index build is running in {index_dir} (lock held on build.lock); "
                    "wait for it to finish"
                ) from exc
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


@contextlib.contextmanager
def phase_lock(index_dir: Path) -> Iterator[None]:
    """Wait for, then hold, the second build phase's lock of ``index_dir``: several servers
    (workers, replicas) on one index folder each start the phase of the version they serve;
    one makes it while the others wait, then find it made (or its vectors in the cache)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / "multilingual.lock", "a+", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released by close, or if the process dies
        yield


def prune_versions(index_dir: Path, keep: int = KEEP_VERSIONS) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the current one) and stale staging
    directories left by crashed builds. Call with the build lock held."""
    root = versions_dir(index_dir)
    if not root.is_dir():
        return []
    current = current_version(index_dir)
    removed = []
    for stale in root.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
        removed.append(stale.name)
    versions = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[:-keep] if keep > 0 else versions:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old.name)
    return removed
