"""What any search backend raises when it cannot answer (no engine's types here).

The service answers both with 503 and a Thai message; the CLI exits with a reason.
"""

from __future__ import annotations


class IndexBusy(RuntimeError):
    """The writer lock could not be taken within lock_timeout."""


class IndexDamaged(RuntimeError):
    """The live generation could not be read; it is marked damaged (``DAMAGED_FILE``), so
    that every process reports it and ``reindex --if-needed`` rebuilds it."""
