"""A documented hold point for crash tests: ``KHLANG_HOLD_AT`` makes the process ingesting
a file wait at a step, so that a test (or an operator rehearsing a failover) can kill it
there, deterministically, instead of hoping to land inside a fast step.

    KHLANG_HOLD_AT="stored:slow-*.pdf:30"

holds for 30 seconds after the object of any file whose name matches ``slow-*.pdf`` is
stored and before its document is recorded: the one moment where a crash leaves an object
with no document, which the next delivery of the same file must finish, not duplicate.
The steps: ``stored`` (a file's object stored, its document not yet recorded) and
``enqueue`` (on a broker, a job and its files recorded, no message sent yet: the name is
the job's first file's) and ``ocr-page`` (on a broker, a page of a scan about to be read
by OCR in its own message: the name is ``<file name> page <N>``). Unset (the default), nothing ever waits. Only for tests and
rehearsals: never set it on a serving installation.
"""

from __future__ import annotations

import fnmatch
import logging
import time

from schemas.config import setting

log = logging.getLogger(__name__)

SETTING = "KHLANG_HOLD_AT"


def hold_at(step: str, name: str) -> None:
    """Wait here when ``KHLANG_HOLD_AT`` names this step and a pattern ``name`` matches."""
    value = setting(SETTING)
    if not value:
        return
    held_step, rest = value.split(":", 1)
    pattern, seconds = rest.rsplit(":", 1)
    if held_step != step or not fnmatch.fnmatch(name, pattern):
        return
    log.warning("%s: holding %s at %s for %s s", SETTING, name, step, seconds)
    time.sleep(float(seconds))
