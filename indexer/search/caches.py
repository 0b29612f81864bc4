"""The search caches' one shape: a least-recently-used cache (cachetools) under a lock.

Request threads share them (the result cache of a ``SearchIndex``, the postings and match
caches of a ``StateTables``), and cachetools' caches are not thread-safe by themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from cachetools import LRUCache


class LockedLRU:
    """Up to ``maxsize`` entries, or with ``getsizeof`` up to ``maxsize`` of their summed
    sizes (bytes, say); least recently used out first. An entry larger than ``max_entry``
    is not kept: one huge entry would empty the cache."""

    def __init__(
        self,
        maxsize: int,
        *,
        getsizeof: Callable[[Any], int] | None = None,
        max_entry: int | None = None,
    ):
        self._entries: LRUCache = LRUCache(maxsize, getsizeof=getsizeof)
        self._max_entry = max_entry
        self._lock = threading.Lock()

    def get(self, key) -> Any:
        with self._lock:
            return self._entries.get(key)

    def put(self, key, value) -> None:
        if self._max_entry is not None and self._entries.getsizeof(value) > self._max_entry:
            return
        with self._lock:
            self._entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)

    def values(self) -> Iterator[Any]:
        with self._lock:
            return iter(list(self._entries.values()))
