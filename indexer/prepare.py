"""The pure part of ingesting one file: identify it, extract and repair its text, read what
it is. No database, store or index is touched, so it can run in worker processes while the
main process stores, records and indexes (see ``Prefetcher``).
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from indexer.bundles import BUNDLE_MIMES, listing_extraction
from indexer.extract import Extraction, UnsoundFile, extract
from indexer.identify import Identification, identify
from indexer.understand import Understanding, understand
from indexer.workers import worker_pool

CHUNK = 1024 * 1024


@dataclass
class Prepared:
    sha256: str | None  # of the bytes prepared (None when prepared from a staged copy)
    identification: Identification
    extraction: Extraction | None
    understanding: Understanding | None
    error: str | None  # why the file is unsound (then extraction is None)
    timings: dict[str, float] = field(default_factory=dict)


def prepare(path: Path, original_name: str, name: str, *, with_hash: bool = False) -> Prepared:
    """Identify, extract and understand the file at ``path`` (named ``original_name`` when
    it arrived, ``name`` in the archive)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    sha256 = _sha256(path) if with_hash else None
    identification = identify(path, original_name)
    timings["identify"] = time.perf_counter() - started
    started = time.perf_counter()
    try:
        if identification.mime in BUNDLE_MIMES:
            extraction = listing_extraction(path, identification.mime)
        else:
            extraction = extract(path, identification.mime, filename=original_name)
    except UnsoundFile as exc:
        return Prepared(sha256, identification, None, None, str(exc), timings)
    finally:
        timings["extract"] = time.perf_counter() - started
    started = time.perf_counter()
    understanding = understand(extraction.text, filename=name) if extraction.text else None
    timings["analyse"] = time.perf_counter() - started
    return Prepared(sha256, identification, extraction, understanding, None, timings)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _prepare_in_worker(path: str, original_name: str, name: str) -> Prepared:
    return prepare(Path(path), original_name, name, with_hash=True)


class Prefetcher:
    """Prepares upcoming files in worker processes, a bounded window ahead of the ingestor.

    Only plain files given at the top of a batch are prefetched: members of bundles live
    in temporary files that exist only while they are being ingested. The ingestor checks
    that the bytes it staged have the hash the worker prepared, so a file that changed in
    between is prepared again, in-process.
    """

    def __init__(self, sources: list, workers: int, window: int | None = None):
        self.pool = worker_pool(workers)
        self.pending: deque = deque(sources)
        self.window = window or workers * 4
        self.futures: dict[tuple, Future] = {}
        self._top_up()

    @staticmethod
    def key(source) -> tuple:
        return (str(source.local_path), source.bundle_path)

    def _top_up(self) -> None:
        while self.pending and len(self.futures) < self.window:
            source = self.pending.popleft()
            name = source.bundle_path or source.original_name
            future = self.pool.submit(
                _prepare_in_worker, str(source.local_path), source.original_name, name
            )
            self.futures[self.key(source)] = future

    def take(self, source) -> Prepared | None:
        """The prepared result for ``source``, or None when it was not prefetched (or its
        worker failed: the ingestor then prepares it itself)."""
        future = self.futures.pop(self.key(source), None)
        self._top_up()
        if future is None:
            return None
        try:
            return future.result()
        except Exception:
            return None

    def close(self) -> None:
        for future in self.futures.values():
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
