"""Locks between the processes that share one data directory (gunicorn workers, the CLI):
flock on a file in it, released when the holder exits, even when it is killed."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(
    path: Path, *, shared: bool = False, wait: bool = True, timeout: float | None = None
) -> Iterator[bool]:
    """Hold an flock on ``path`` (created when missing) for the ``with`` block; yields True
    once held, or False when it is not: at once with ``wait=False``, or after ``timeout``
    seconds of trying.

    flock locks belong to an open file: a process that holds one must not take the same
    lock again (the second open would wait for the first)."""
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    with open(path, "a+") as handle:
        if not _take(handle, mode, wait, timeout):
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _take(handle, mode: int, wait: bool, timeout: float | None) -> bool:
    if wait and timeout is None:
        fcntl.flock(handle, mode)
        return True
    give_up = time.monotonic() + (timeout or 0.0)
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if not wait or time.monotonic() > give_up:
                return False
            time.sleep(0.05)
