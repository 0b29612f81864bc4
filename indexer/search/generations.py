"""Index generations: creating, checking, versioning and swapping them.

Layout of ``index_dir``::

    CURRENT            name of the live generation (replaced atomically)
    .admin.lock        flock held while creating/swapping generations
    gen-<ns>-<pid>/    a Whoosh index (words, facets, stored fields) + units.sqlite (the
                       substring sidecar, :mod:`indexer.search.sidecar`) + khlang.json

``rebuild()`` (:mod:`indexer.search.writing`) fills a fresh generation and then swaps
CURRENT, so searches keep working during a rebuild. A generation a search could not read
is marked damaged (:mod:`indexer.search.damage`); one made in place of a damaged or lost
index is marked ``recreated_empty``: searches refuse to answer from either.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

from whoosh import query as Q
from whoosh.filedb.filestore import FileStorage

from indexer.runtime.locks import file_lock

from . import sidecar as sc
from .codec import KhlangCodec
from .damage import DAMAGED_FILE, RESOURCE_ERRNOS
from .errors import IndexBusy
from .schema import build_schema, decompress, schema_version

log = logging.getLogger(__name__)

META_FILE = "khlang.json"


def write_codec():
    """Whoosh's W3 format, written by :class:`.codec.KhlangCodec`, without zlib on postings
    blocks (compressing each short postings list was a large share of commit time for ~10%
    of size)."""
    return KhlangCodec(compression=0)


def storage(path: Path) -> FileStorage:
    """The Whoosh storage of one index generation, read with plain file reads.

    Whoosh's default (mmap) opens each part of a compound segment as a ``BufferFile``, whose
    ``BytesIO(memoryview)`` copies the whole part into memory: at 100k documents every
    reader (one per thread) held ~3.4 GB and the first search of a thread took 4 s. Plain
    reads go through the page cache, which all threads and workers share; measured warm
    search latency stayed the same."""
    return FileStorage(str(path), supports_mmap=False)


class Generations:
    """The generations part of :class:`indexer.search.index.SearchIndex` (its attributes
    are set there)."""

    @property
    def schema_version(self) -> str:
        return schema_version(self.dictionary)

    def _meta(self, gen: str | None = None) -> dict:
        gen = gen or self._read_current()
        if gen is None:
            return {}
        try:
            return json.loads((self.index_dir / gen / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def stored_schema_version(self) -> str | None:
        return self._meta().get("schema_version")

    def damaged(self) -> str | None:
        """Why the live generation is known to be damaged (a search failed to read it, in
        this or another process), or None."""
        gen = self._read_current()
        if gen is None:
            return None
        try:
            return (self.index_dir / gen / DAMAGED_FILE).read_text("utf-8") or "damaged"
        except OSError:
            return None

    def unavailable(self) -> str | None:
        """Why searches of the live generation cannot be trusted now, or None: there is
        none, a search found it damaged, or it was recreated empty (after damage, or in
        place of a lost index while the database says documents were indexed) and has not
        been rebuilt yet. Such an index must never answer "nothing found"."""
        gen = self._read_current()
        if gen is None:
            return "no live search index"
        reason = self.damaged()
        if reason is not None:
            return f"damaged: {reason}"
        if self._recreated_empty(gen):
            return "recreated empty after damage or loss; being rebuilt from the database"
        return None

    def _recreated_empty(self, gen: str) -> bool:
        # a generation's meta is written once, when it is created: asked once per process
        known = self._empty_gens.get(gen)
        if known is None:
            known = self._empty_gens[gen] = bool(self._meta(gen).get("recreated_empty"))
        return known

    def needs_rebuild(self) -> bool:
        """True when the index is missing, was recreated empty (by this or any process),
        is known to be damaged, or was built by another analyzer/dictionary/schema
        version."""
        meta = self._meta()
        return (
            self.recreated
            or bool(meta.get("recreated_empty"))
            or meta.get("schema_version") != self.schema_version
            or self.damaged() is not None
        )

    def _mark_damaged(self, gen: str, exc: BaseException) -> None:
        log.error("search index generation %s damaged: %r", gen, exc)
        with contextlib.suppress(OSError):  # a generation swapped out and removed meanwhile
            (self.index_dir / gen / DAMAGED_FILE).write_text(repr(exc)[:2000], "utf-8")

    def _read_current(self) -> str | None:
        try:
            gen = (self.index_dir / "CURRENT").read_text("utf-8").strip()
        except OSError:
            return None
        return gen or None

    @contextlib.contextmanager
    def _admin_lock(self):
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.index_dir / ".admin.lock", timeout=self.lock_timeout) as held:
            if not held:
                raise IndexBusy("index administration lock busy")
            yield

    def _new_generation(self, *, recreated_empty: bool = False) -> str:
        gen = f"gen-{time.time_ns()}-{os.getpid()}"
        path = self.index_dir / gen
        path.mkdir(parents=True)
        try:
            storage(path).create_index(build_schema(self.dictionary))
            sc.create(path / sc.FILE_NAME)
            meta = {"schema_version": self.schema_version, "created": time.time()}
            if recreated_empty:  # in the file: the other processes must know it too
                meta["recreated_empty"] = True
            (path / META_FILE).write_text(json.dumps(meta), "utf-8")
        except BaseException:  # a full disk, say: leave no half-made generation behind
            shutil.rmtree(path, ignore_errors=True)
            raise
        return gen

    def _swap(self, gen: str) -> None:
        tmp = self.index_dir / f"CURRENT.{os.getpid()}.tmp"
        try:
            tmp.write_text(gen, "utf-8")
        except BaseException:  # a full disk: CURRENT stays as it was
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, self.index_dir / "CURRENT")

    def _cleanup(self, keep: set[str]) -> None:
        """Remove generations other than ``keep`` (readers in other processes that still
        have old files open keep them until they close: POSIX unlink semantics)."""
        for child in self.index_dir.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def _healthy_gen(self, gen: str, deep: bool = False) -> bool:
        path = self.index_dir / gen
        try:
            json.loads((path / META_FILE).read_text("utf-8"))
            ix = storage(path).open_index()
            with ix.searcher() as s:
                r = s.reader()
                n = r.doc_count_all()
                ids = list(r.lexicon("id"))
                if n and not ids:
                    return False
                for fname in ("title", "text", "province"):
                    for k, term in enumerate(r.lexicon(fname)):
                        list(r.postings(fname, term).all_ids())
                        if not deep and k >= 2:
                            break
                docnums = list(r.all_doc_ids())
                sample = docnums if deep else docnums[:1] + docnums[-1:]
                for d in sample:
                    decompress(r.stored_fields(d).get("body"))
                if docnums:  # one real query through every layer
                    s.search(Q.Term("id", ids[0]), limit=1)
            side = sc.Sidecar(path / sc.FILE_NAME)
            try:
                side.check(deep=deep)
            finally:
                side.close()
            return True
        except Exception as exc:  # any failure to read is "not healthy"...
            if isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS:
                raise  # ...but a machine short of files or memory says nothing of the index
            log.warning("search index generation %s unreadable: %r", gen, exc)
            return False

    def is_healthy(self, deep: bool = False) -> bool:
        """Can the live generation be opened and read (and has no search found it
        damaged)? ``deep`` reads every postings list and stored document (slow on a large
        index)."""
        gen = self._read_current()
        return gen is not None and self.damaged() is None and self._healthy_gen(gen, deep=deep)

    def open_or_create(self, *, lost: Callable[[], bool] | None = None) -> Self:
        """Open the index, creating it if absent and recreating it (empty) if it cannot be
        read. Never fatal for a damaged index: afterwards ``recreated``/``needs_rebuild()``
        tell the caller to re-add documents.

        A recreated index is marked ``recreated_empty`` (searches refuse to answer from it,
        see :meth:`unavailable`, until a rebuild swaps in a full one); so is a new index
        when ``lost()`` says the database has documents it recorded as indexed (the index
        folder was deleted or lost)."""
        with self._lock, self._admin_lock():
            gen = self._read_current()
            if gen is None or not self._healthy_gen(gen):
                stand_in = gen is not None or (lost is not None and lost())
                if stand_in:
                    log.error("search index %s damaged or lost; recreating it empty", gen)
                self._close()
                new = self._new_generation(recreated_empty=stand_in)
                self._swap(new)
                self.recreated = True
                # only the damaged generation goes: another process may be building one
                if gen is not None:
                    shutil.rmtree(self.index_dir / gen, ignore_errors=True)
            self._index()
        return self

    def swap_in(self, gen: str) -> None:
        """Make generation ``gen`` (from :meth:`build_generation`) the live one."""
        with self._lock, self._admin_lock():
            old = self._read_current()
            self._swap(gen)
            self._close()
            self.recreated = False
            self._cleanup(keep={gen} | ({old} if old else set()))
            self._index()
