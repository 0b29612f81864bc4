"""Waiting in tests for something another thread or process does (a background rebuild, an
upload job, a killed worker's exit).

The limit is a safety net against a hang, never a speed target: it is far above what the
wait takes, and speeds are measured by the benchmarks (`make bench`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

HANG = 120.0  # seconds after which a wait is taken for a hang


def wait_until(
    condition: Callable[[], T], what: str, *, limit: float = HANG, every: float = 0.05
) -> T:
    """Poll ``condition`` until it returns something true, and return that; fail the test
    naming ``what`` (a string, or a function giving one) when it looks hung."""
    give_up = time.monotonic() + limit
    while not (value := condition()):
        if time.monotonic() > give_up:
            pytest.fail(f"hung: {what() if callable(what) else what} (gave up after {limit:.0f} s)")
        time.sleep(every)
    return value
