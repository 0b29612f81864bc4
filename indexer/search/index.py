"""SearchIndex: the Whoosh (+ substring sidecar) index behind the ``whoosh`` search backend.

Each job is a module of its own, and ``SearchIndex`` puts them together over one set of
attributes (set in ``__init__`` below):

- :mod:`.generations`: the generations in ``index_dir``, their versions, health and swaps;
- :mod:`.readers`: each thread's searcher and sidecar, the tables shared per index state,
  and reads that turn damage (:mod:`.damage`) into :class:`IndexDamaged`;
- :mod:`.writing`: adding, replacing and deleting documents, and rebuilds;
- :mod:`.searching`: the search itself, its tiers, "did you mean" and the result cache;
- :mod:`.similar`: the reuse lookup (similar documents).

Callers that should not care which engine answers use :mod:`indexer.search.backend`.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

from . import sidecar as sc
from .backend import MATCH_MODES
from .damage import DAMAGED_FILE
from .dictionary import DEFAULT_DICTIONARY
from .errors import IndexBusy, IndexDamaged
from .generations import META_FILE, Generations
from .ranking import StateTables
from .readers import ReaderPool, _Readers
from .searching import (
    CACHED_RESULTS,
    RESULT_WINDOW,
    SUBSTRING_SCORE,
    RankedSearch,
    _ResultCache,
)
from .similar import SimilarDocuments
from .writing import IndexWriting

__all__ = [
    "CACHED_RESULTS",
    "DAMAGED_FILE",
    "MATCH_MODES",
    "META_FILE",
    "RESULT_WINDOW",
    "SUBSTRING_SCORE",
    "IndexBusy",
    "IndexDamaged",
    "SearchIndex",
]


class SearchIndex(Generations, ReaderPool, IndexWriting, RankedSearch, SimilarDocuments):
    def __init__(
        self,
        index_dir: Path | str,
        *,
        dictionary: str = DEFAULT_DICTIONARY,
        lock_timeout: float = 60.0,
    ):
        self.index_dir = Path(index_dir)
        self.dictionary = dictionary
        self.lock_timeout = lock_timeout
        self.recreated = False  # set by open_or_create() when it had to start empty
        self._lock = threading.RLock()
        self._gen: str | None = None
        self._ix: Any = None
        # Readers are per thread (a Whoosh searcher and an SQLite connection are not safe to
        # share); the tables derived from an index state are shared (``_cache``).
        self._local = _Readers()
        # every thread's open searchers and sidecars, for close() (weak: a thread that ends
        # takes its readers with it)
        self._open_readers: weakref.WeakSet = weakref.WeakSet()
        self._cache: StateTables | None = None
        self._cache_lock = threading.Lock()
        self._results = _ResultCache()
        self._matcher = sc.ParallelMatcher(timeout=lock_timeout)
        self._empty_gens: dict[str, bool] = {}  # generation -> created as a stand-in
