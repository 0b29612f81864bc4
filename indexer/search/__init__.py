"""Search: the seam every caller searches through, and the Whoosh engine behind it.

- The seam: :mod:`.backend` (``SearchBackend``, its result dataclasses, and
  ``search_backend(settings)``, which ``KHLANG_SEARCH_BACKEND`` steers) and :mod:`.errors`.
  A new engine is a ``SearchBackend`` subclass in a module of its own and one line in
  ``backend.BACKENDS``; callers do not change.
- The query language: :mod:`.query` (parsing, filters), :mod:`.tiers` (the default ranking).
- Reads on a read replica: :mod:`.replica_reads` (whether the standby may answer a search,
  and what a request's searches need), used by the postgres engine.
- The Whoosh engine: :mod:`.whoosh_backend` over :mod:`.index` (``SearchIndex``), split by job
  into :mod:`.generations`, :mod:`.readers`, :mod:`.writing`, :mod:`.searching`,
  :mod:`.similar`, with :mod:`.damage`, :mod:`.caches`, :mod:`.ranking` (over
  :mod:`.postings`), :mod:`.sidecar`
  (never-miss substrings), :mod:`.schema`, :mod:`.codec`, :mod:`.weighting`, and the Thai
  text side: :mod:`.analysis`, :mod:`.normalize`, :mod:`.dictionary`, :mod:`.stopwords`,
  :mod:`.spelling`, :mod:`.snippet`.

May import :mod:`schemas`, :mod:`indexer.thai` and :mod:`indexer.runtime`; never the rest
of ``indexer`` (ingest, inventory, records, preserve) nor ``service``. The engine is loaded
only when asked for (``SearchIndex``, ``WhooshBackend`` below), so importing this package
stays cheap for commands that never search.
"""

from __future__ import annotations

import importlib
from typing import Any

from .backend import (
    BACKENDS,
    MATCH_MODES,
    FacetValue,
    Health,
    Hit,
    SearchBackend,
    SearchHit,
    SearchResult,
    SimilarHit,
    StagedIndex,
    search_backend,
)
from .errors import IndexBusy, IndexDamaged

# name -> module: loaded on first use (they bring in Whoosh, NumPy and the Thai analyzer)
_ENGINE = {
    "SearchIndex": ".index",
    "WhooshBackend": ".whoosh_backend",
}

__all__ = [
    "BACKENDS",
    "MATCH_MODES",
    "FacetValue",
    "Health",
    "Hit",
    "IndexBusy",
    "IndexDamaged",
    "SearchBackend",
    "SearchHit",
    "SearchIndex",
    "SearchResult",
    "SimilarHit",
    "StagedIndex",
    "WhooshBackend",
    "search_backend",
]


def __getattr__(name: str) -> Any:
    module = _ENGINE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
