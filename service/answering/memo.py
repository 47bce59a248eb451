"""Answers remembered for repeated questions, keyed so that one never serves another."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Hashable, Sequence
from typing import Generic, TypeVar

from .conversation import Turn

V = TypeVar("V")


def cache_key(
    version: str,
    question: str,
    history: Sequence[Turn],
    top_k: int,
    mode: str,
    documents: Sequence[str] | None,
    corpus: Collection[str] | None,
    language: str | None = None,
) -> Hashable:
    """Answers are remembered per index version, question, the language it is said to be in
    and the documents it was asked of: one asker's answer never serves another who may read
    other documents."""
    scope = tuple(sorted(documents)) if documents is not None else None
    seen = frozenset(corpus) if corpus is not None else None
    return (version, question, tuple(history), top_k, mode, scope, seen, language)


class LruCache(Generic[V]):
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
