"""Reading the whole corpus folder: every file once per content, in processes of their own.

What a file's bytes read into is kept in a cache (``parsed.sqlite`` beside the embedding
cache) keyed by the bytes' digest, the reader's version and the reading options, so a rebuild
reads only new or changed files, and a file that failed is not tried again until it changes
(or the options do). Files read at the same time are independent: one slow or hostile file
holds up only itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .documents import Document, as_document, iter_corpus_files
from .formats.isolation import STOPPED, read_isolated
from .formats.options import ReadOptions
from .formats.parse import parse_file
from .model import Block, ParsedDocument
from .problems import DocumentError

# Bump when a reader changes what it makes of a file: cached readings of the old one are
# then ignored, and every file is read again.
READER_VERSION = 1


def load_corpus(
    corpus_dir: Path,
    options: ReadOptions | None = None,
    cache_path: Path | None = None,
    on_file: Callable[[int, int], None] | None = None,
) -> tuple[list[Document], list[str]]:
    """Read every supported file below ``corpus_dir``.

    Args:
        corpus_dir: the corpus folder.
        options: OCR, budgets and caps (default: :class:`ReadOptions`' defaults).
        cache_path: the parse cache (None: no cache).
        on_file: told (files read, files in all) as reading goes on.

    Returns:
        The documents in path order, and one message per file that could not be read
        ("path: reason"); those files are skipped.
    """
    options = options or ReadOptions()
    files = list(iter_corpus_files(corpus_dir))
    digests = {path: _digest(path) for path in files}
    outcomes: dict[Path, ParsedDocument | str] = {}
    cache = _ParseCache(cache_path) if cache_path is not None else None
    try:
        for path in files:
            cached = cache.get(_key(path, digests[path], options)) if cache else None
            if cached is not None:
                outcomes[path] = cached
        todo = [p for p in files if p not in outcomes]
        for path, outcome in _read(todo, options):
            outcomes[path] = outcome
            died = isinstance(outcome, str) and outcome.startswith(STOPPED)
            if cache and not died:
                cache.put(_key(path, digests[path], options), outcome)
            if on_file:
                on_file(len(outcomes), len(files))
    finally:
        if cache:
            cache.close()
    return _documents(files, corpus_dir, digests, outcomes)


def _read(paths: list[Path], options: ReadOptions) -> Iterable[tuple[Path, ParsedDocument | str]]:
    if options.workers > 0:
        return read_isolated(paths, options)
    return (_read_here(path, options) for path in paths)


def _read_here(path: Path, options: ReadOptions) -> tuple[Path, ParsedDocument | str]:
    """In this process (``workers=0``: tools that want no child processes; no budget)."""
    try:
        return path, parse_file(path, path.read_bytes(), options)
    except DocumentError as exc:
        return path, str(exc)
    except Exception as exc:  # a broken file can raise almost anything from its parser
        return path, f"cannot parse ({type(exc).__name__}: {exc})"


def _documents(
    files: list[Path],
    corpus_dir: Path,
    digests: dict[Path, str],
    outcomes: dict[Path, ParsedDocument | str],
) -> tuple[list[Document], list[str]]:
    documents: list[Document] = []
    errors: list[str] = []
    seen_ids: dict[str, str] = {}
    for path in files:
        relative = path.relative_to(corpus_dir).as_posix()
        outcome = outcomes.get(path, "not read")
        if isinstance(outcome, str):
            errors.append(f"{relative}: {outcome}")
            continue
        document = as_document(outcome, relative, digests[path], path.suffix)
        if document.id in seen_ids:
            errors.append(f"{relative}: same id as {seen_ids[document.id]}; skipped")
            continue
        seen_ids[document.id] = relative
        documents.append(document)
    return documents, errors


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _key(path: Path, digest: str, options: ReadOptions) -> str:
    return f"{READER_VERSION}|{path.suffix.lower()}|{digest}|{options.result_key()}"


class _ParseCache:
    """Readings of files by content: the document model as JSON, or why it failed."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS parsed (key TEXT PRIMARY KEY, value TEXT)")

    def get(self, key: str) -> ParsedDocument | str | None:
        row = self._db.execute("SELECT value FROM parsed WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        if "error" in value:
            return str(value["error"])
        value["blocks"] = [Block(*b) for b in value["blocks"]]
        return ParsedDocument(**value)

    def put(self, key: str, outcome: ParsedDocument | str) -> None:
        value: dict[str, Any]
        if isinstance(outcome, str):
            value = {"error": outcome}
        else:
            value = dataclasses.asdict(outcome)
            value["blocks"] = [dataclasses.astuple(b) for b in outcome.blocks]
        self._db.execute("INSERT OR REPLACE INTO parsed VALUES (?, ?)", (key, json.dumps(value)))
        self._db.commit()

    def close(self) -> None:
        self._db.close()
