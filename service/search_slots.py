"""How many searches one worker process runs at once.

A search takes a CPU core for tens of milliseconds to a second (and the substring matcher's
threads besides), so a worker whose every request thread is searching has nothing left for
/healthz, the pages or an upload's status. ``KHLANG_SEARCH_SLOTS`` searches run at once
(default 3: one less than the Procfile's 4 threads); a search that finds no slot free within
``KHLANG_SEARCH_WAIT`` seconds (default 5) is answered 503 ``busy`` with Retry-After rather
than queued without bound.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import cache

from flask import current_app

from schemas.config import setting

RETRY_AFTER = 5  # seconds


class SearchOverloaded(RuntimeError):
    """Every search slot of this worker stayed taken for KHLANG_SEARCH_WAIT seconds."""


@cache  # one per process (gunicorn forks workers before any request)
def search_slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(setting("KHLANG_SEARCH_SLOTS"))


@contextmanager
def search_slot():
    wait = current_app.config.get("KHLANG_SEARCH_SLOTS_WAIT")
    if wait is None:
        wait = setting("KHLANG_SEARCH_WAIT")
    slots = search_slots()
    if not slots.acquire(timeout=wait):
        raise SearchOverloaded(f"no search slot free within {wait}s")
    try:
        yield
    finally:
        slots.release()
