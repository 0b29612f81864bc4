"""The part of ingesting one file that needs no database: identify it, extract and repair its
text, read what it is. ``prepare`` touches nothing; the ``Prefetcher`` also receives the file
in its worker processes (the staging copy in the store's tmp folder, hashed and fsynced),
so that the main process only moves it into place, records and indexes.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from pathlib import Path, PurePosixPath

from archive import ObjectStore, Staged
from indexer.extract import Extraction, UnsoundFile, extract, ocr_pages
from indexer.extract.model import REPAIR_CLOCK
from indexer.ingest.bundles import BUNDLE_MIMES, listing_extraction
from indexer.ingest.identify import Identification, identify
from indexer.runtime.workers import mark_job_worker, memory_limit, worker_pool
from indexer.understand import Understanding, understand
from schemas.config import ExtractionLimits
from schemas.pieces import piece_chars

# How much lower the prepare workers' priority is than the job's (see Prefetcher).
PREPARE_NICENESS = 5


@dataclass
class Prepared:
    sha256: str | None  # of the bytes prepared, when a Prefetcher worker staged them
    identification: Identification
    extraction: Extraction | None
    understanding: Understanding | None
    error: str | None  # why the file is unsound (then extraction is None)
    timings: dict[str, float] = field(default_factory=dict)
    # Set by the Prefetcher: the staged copy the file was prepared from.
    staged: Staged | None = None


def prepare(path: Path, original_name: str, name: str) -> Prepared:
    """Identify, extract and understand the file at ``path`` (named ``original_name`` when
    it arrived, ``name`` in the archive)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    identification = identify(path, original_name)
    timings["identify"] = time.perf_counter() - started
    started = time.perf_counter()
    repair_before = REPAIR_CLOCK.seconds
    bundle = identification.mime in BUNDLE_MIMES
    try:
        if bundle:
            extraction = listing_extraction(path, identification.mime)
            # A bundle is titled by its own name, not by its first member's path.
            extraction.title = PurePosixPath(name).name
        else:
            with ocr_pages.reading(name):  # a page's reason names the file, not the copy
                extraction = extract(path, identification.mime, filename=original_name)
    except UnsoundFile as exc:
        return Prepared(None, identification, None, None, str(exc), timings)
    finally:
        timings["repair"] = REPAIR_CLOCK.seconds - repair_before
        timings["extract"] = time.perf_counter() - started - timings["repair"]
    started = time.perf_counter()
    # A bundle's text is its members' paths: nothing in it is a project, date or letter.
    # What a document is (kind, letter, dates, places) is read from its beginning: a
    # 100 MB text read whole held GBs, and its first pieces say what it is.
    head = extraction.text[: piece_chars()] if not bundle else ""
    understanding = understand(head, filename=name) if head else None
    timings["analyse"] = time.perf_counter() - started
    return Prepared(None, identification, extraction, understanding, None, timings)


def _receive_in_worker(
    path: str, original_name: str, name: str, store_root: str, tmp_dir: str, max_size: int
) -> Prepared | None:
    """Stage the file in the store (copy, hash, fsync) and prepare it from the staged copy:
    that waiting and work happen here, in parallel, instead of in the ingestor's loop. The
    ingestor moves the staged copy into place itself, so that a move that heals a missing
    object is recorded, and a batch stopped early leaves no object without its document
    (staged copies it never took are discarded; see Prefetcher.close).

    None when the file cannot be staged (empty, over the limit, unreadable, gone): the
    ingestor then takes the file itself and gives the reason."""
    source = Path(path)
    try:
        if source.stat().st_size == 0:
            return None
        store = ObjectStore(Path(store_root), Path(tmp_dir))
        started = time.perf_counter()
        staged = store.stage_file(source, max_size=max_size)
    except (OSError, ValueError):
        return None
    received = time.perf_counter() - started
    try:
        prepared = prepare(staged.path, original_name, name)
    except MemoryError:
        prepared = _over_memory(staged.path, original_name)
    except BaseException:
        store.discard(staged)
        raise
    prepared.sha256 = staged.sha256
    prepared.staged = staged
    prepared.timings["receive"] = received
    return prepared


def _limit_shown() -> str:
    limit = memory_limit() or ExtractionLimits.load().worker_memory
    return f"KHLANG_WORKER_MEMORY = {limit / 1024**2:,.0f} MiB"


def _over_memory_reason() -> str:
    return (
        f"อ่านข้อความไม่ได้ เพราะต้องใช้หน่วยความจำเกินขีดจำกัด ({_limit_shown()}) "
        f"จึงเก็บไฟล์ไว้โดยไม่มีข้อความ (reading its text needed more memory than a worker "
        f"may use, {_limit_shown()}; stored without text)"
    )


def _over_memory(path: Path, original_name: str) -> Prepared:
    """A file whose reading went past the worker's memory bound (KHLANG_WORKER_MEMORY) is
    sound as far as anyone knows: it is stored without text, with the reason, and this
    worker, its memory freed with the exception, goes on to the next file."""
    extraction = Extraction.without_text(_over_memory_reason())
    return Prepared(None, identify(path, original_name), extraction, None, None)


def _died_reason() -> str:
    return (
        f"กระบวนการที่อ่านไฟล์นี้หยุดทำงานกลางคันสองครั้ง (เช่น ใช้หน่วยความจำเกินขีดจำกัด "
        f"{_limit_shown()}) จึงเก็บไฟล์ไว้โดยไม่มีข้อความ (the process reading this file died, "
        f"twice, e.g. past its memory bound, {_limit_shown()}; stored without text)"
    )


class Prefetcher:
    """Receives and prepares upcoming files in worker processes, a bounded window ahead of
    the ingestor.

    Only plain files given at the top of a batch are prefetched: members of bundles live
    in temporary files that exist only while they are being ingested. What a worker staged
    and the ingestor does not take is discarded at ``close``.
    """

    def __init__(
        self,
        sources: list,
        workers: int,
        store: ObjectStore,
        max_size: int,
        context: BaseContext,
        window=None,
    ):
        # At a lower priority than the job's process and its indexing process, the
        # pipeline's two serial stages: starved of CPU by the workers, they fall behind,
        # the window fills and the workers wait, and the last index batches run alone at
        # the end (measured on two cores: 8-10% more files a second).
        # Each worker is bounded in memory (KHLANG_WORKER_MEMORY): sixteen pixel floods on
        # two workers once took the process tree to 3.5 GB.
        self.workers = workers
        self.context = context
        self.memory = ExtractionLimits.load().worker_memory
        self.pool = self._new_pool(workers)
        self.store = store
        self.max_size = max_size
        # one future a file: the same file named twice (a folder and a file in it) is
        # received once ahead, and the second time by the ingestor itself
        unique: dict[tuple, object] = {}
        for source in sources:
            unique.setdefault(self.key(source), source)
        self.pending: deque = deque(unique.values())
        self.window = window or workers * 4
        self.futures: dict[tuple, Future] = {}
        self._top_up()

    @staticmethod
    def key(source) -> tuple:
        return (str(source.local_path), source.bundle_path)

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        return worker_pool(
            workers, self.context, mark_job_worker, nice=PREPARE_NICENESS, memory=self.memory
        )

    def _submit(self, pool: ProcessPoolExecutor, source) -> Future:
        name = source.bundle_path or source.original_name
        return pool.submit(
            _receive_in_worker,
            str(source.local_path),
            source.original_name,
            name,
            str(self.store.root),
            str(self.store.tmp_dir),
            self.max_size,
        )

    def _top_up(self) -> None:
        while self.pending and len(self.futures) < self.window:
            source = self.pending.popleft()
            try:
                future = self._submit(self.pool, source)
            except BrokenProcessPool:
                # A worker died (killed, or crashed past its memory bound): the pool takes
                # no more work, and a new one takes the files still to come.
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new_pool(self.workers)
                future = self._submit(self.pool, source)
            self.futures[self.key(source)] = future

    def take(self, source) -> Prepared | None:
        """The received and prepared file for ``source``, or None when it was not prefetched
        (or its worker could not take it: the ingestor then takes it itself)."""
        future = self.futures.pop(self.key(source), None)
        self._top_up()
        if future is None:
            return None
        try:
            return future.result()
        except BrokenProcessPool:
            return self._alone(source)
        except MemoryError:
            # past the bound outside the reading itself (a bound too small for a worker
            # to work at all): never read in the job's own, unbounded, process
            return self._unread(source, _over_memory_reason())
        except Exception:
            return None

    def _alone(self, source) -> Prepared | None:
        """A worker died while this file was in flight, with others: any of them may have
        killed it. This one is prepared again in a worker of its own; if that dies too,
        this file is the cause, and it is stored without text (never read here, without
        the bound)."""
        pool = self._new_pool(1)
        try:
            return self._submit(pool, source).result()
        except BrokenProcessPool:
            return self._unread(source, _died_reason())
        except MemoryError:
            return self._unread(source, _over_memory_reason())
        except Exception:
            return None
        finally:
            pool.shutdown(wait=True)

    def _unread(self, source, reason: str) -> Prepared | None:
        """``source`` staged by this process, and stored without text for ``reason``."""
        try:
            staged = self.store.stage_file(source.local_path, max_size=self.max_size)
        except (OSError, ValueError):
            return None  # the ingestor takes it and says why
        identification = identify(staged.path, source.original_name)
        extraction = Extraction.without_text(reason)
        return Prepared(staged.sha256, identification, extraction, None, None, staged=staged)

    def close(self) -> None:
        self.pending.clear()
        for future in self.futures.values():
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
        for future in self.futures.values():
            if future.done() and not future.cancelled() and future.exception() is None:
                prepared = future.result()
                if prepared is not None and prepared.staged is not None:
                    self.store.discard(prepared.staged)
        self.futures.clear()
