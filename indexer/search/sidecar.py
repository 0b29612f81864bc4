"""The substring sidecar: an SQLite FTS5 trigram index of syllable-unit-encoded text.

One file, ``units.sqlite``, inside each index generation directory (so it is created,
rebuilt and swapped together with the Whoosh index). rowid = document id.

* ``units``  -- FTS5, trigram tokenizer, contentless: the encoded text of each document
  (:func:`indexer.search.analysis.encode_units`). A query chunk of three or more encoded
  characters is an FTS5 phrase: an exact substring, i.e. a unit-aligned occurrence.
* ``grams``  -- FTS5, unicode61 tokenizer, contentless, no positions: the distinct aligned
  one- and two-character grams of each document, for the chunks too short for trigrams.
* ``docs``   -- id -> zlib(encoded text): contentless FTS5 tables in SQLite 3.40 can only
  forget a row when given the exact values it was indexed with, so they are kept here.

Writes happen while the caller holds the Whoosh writer lock, in one SQLite transaction each;
WAL mode and a busy timeout let several processes read and take turns writing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .analysis import short_grams

FILE_NAME = "units.sqlite"
SIDECAR_VERSION = "1"

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS units USING fts5(u, tokenize='trigram', content='');
CREATE VIRTUAL TABLE IF NOT EXISTS grams USING fts5(
    g, tokenize='unicode61', content='', detail=none, columnsize=0);
CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, z BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SidecarError(RuntimeError):
    pass


def connect(path: Path, timeout: float = 60.0, *, bulk: bool = False) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    if bulk:  # a fresh generation nobody reads yet: no journal until it is finished
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
    else:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
    con.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    return con


def create(path: Path) -> None:
    con = connect(path)
    try:
        con.executescript(_SCHEMA)
        con.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('version', ?)", (SIDECAR_VERSION,)
        )
    finally:
        con.close()


# An encoded chunk this long (characters: a question's dozen words) is first looked up by
# pieces (see Sidecar.match_ids); each piece is four trigrams, from its middle and both ends.
# At 18 the pieces of a 20-character phrase that many documents have were read on top of
# the whole phrase: the phrase kind's p95 grew by half at 100k documents.
LONG_CHUNK = 30
_PIECE = 6
# At most this many documents having every piece are checked by reading their stored text
# rather than by FTS5's phrase query over the whole collection: a text is a zlib blob of the
# whole encoded document, ~1 ms at 100k documents, so 200 cost more than the phrase query.
VERIFIED_CANDIDATES = 8


def _pieces(encoded: str) -> list[str]:
    middle = (len(encoded) - _PIECE) // 2
    return [encoded[middle : middle + _PIECE], encoded[:_PIECE], encoded[-_PIECE:]]


def fts_phrase(encoded: str) -> str:
    return '"' + encoded.replace('"', '""') + '"'


class SidecarWriter:
    """Add/replace/delete documents inside one transaction (``with`` block)."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self) -> SidecarWriter:
        self.con.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.con.execute("COMMIT")
        elif self.con.in_transaction:
            # SQLite rolls back by itself on some errors (SQLITE_FULL): a second ROLLBACK
            # would raise "no transaction is active" and hide the disk-full error.
            self.con.execute("ROLLBACK")

    def _forget(self, ids: list[int]) -> None:
        cur = self.con.cursor()
        # One lookup for the batch: most ids written by an ingestion are new, and a query
        # per id was a millisecond a document.
        known = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            known += cur.execute(f"SELECT id, z FROM docs WHERE id IN ({marks})", chunk).fetchall()
        for doc_id, z in known:
            old = zlib.decompress(z).decode("utf-8")
            cur.execute("INSERT INTO units(units, rowid, u) VALUES ('delete', ?, ?)", (doc_id, old))
            cur.execute(
                "INSERT INTO grams(grams, rowid, g) VALUES ('delete', ?, ?)",
                (doc_id, " ".join(short_grams(old))),
            )
            cur.execute("DELETE FROM docs WHERE id = ?", (doc_id,))

    def delete(self, ids: Iterable[int]) -> None:
        self._forget([int(i) for i in ids])

    def add(self, rows: list[tuple[int, str]], *, fresh: bool = False) -> None:
        """rows: (id, encoded text). ``fresh``: the ids are known to be absent."""
        if not rows:
            return
        if not fresh:
            self._forget([doc_id for doc_id, _ in rows])
        cur = self.con.cursor()
        cur.executemany("INSERT INTO units(rowid, u) VALUES (?, ?)", rows)
        cur.executemany(
            "INSERT INTO grams(rowid, g) VALUES (?, ?)",
            [(doc_id, " ".join(short_grams(enc))) for doc_id, enc in rows],
        )
        cur.executemany(
            "INSERT INTO docs(id, z) VALUES (?, ?)",
            [(doc_id, zlib.compress(enc.encode("utf-8"), 1)) for doc_id, enc in rows],
        )


class Sidecar:
    """Read side: which document ids contain an encoded query chunk."""

    def __init__(self, path: Path, timeout: float = 60.0):
        self.path = Path(path)
        if not self.path.exists():
            raise SidecarError(f"{self.path} missing")
        self.con = connect(self.path, timeout)

    def close(self) -> None:
        self.con.close()

    def writer(self) -> SidecarWriter:
        return SidecarWriter(self.con)

    def match(self, encoded: str) -> list[int]:
        """Ids of the documents containing ``encoded`` unit-aligned."""
        return self.match_ids(encoded).tolist()

    def match_ids(self, encoded: str, lo: int = 0, hi: int = 2**63 - 1) -> np.ndarray:
        """:meth:`match` as an array (what searching works with), for ids in [lo, hi).

        A long chunk (a question typed without spaces, as a whole) is first looked up as
        three short pieces of it, all in one document: FTS5 checks the positions of every
        trigram of a phrase in every document having them all, which took ~100 ms for a
        question at 10k documents that no document contains. Documents lacking a piece
        cannot contain the chunk; FTS5 stops after a few hundred that have them all (a
        boilerplate phrase), else they are checked against their stored encoded text."""
        if not encoded:
            return np.zeros(0, dtype=np.int64)
        if len(encoded) < LONG_CHUNK:
            return self._phrase_ids(encoded, lo, hi)
        pieces = " AND ".join(fts_phrase(piece) for piece in _pieces(encoded))
        rows = self.con.execute(
            "SELECT rowid FROM units WHERE units MATCH ? AND rowid >= ? AND rowid < ? LIMIT ?",
            (pieces, lo, hi, VERIFIED_CANDIDATES + 1),
        ).fetchall()
        if len(rows) <= VERIFIED_CANDIDATES:
            return self._containing(np.array(sorted(r[0] for r in rows), dtype=np.int64), encoded)
        return self._phrase_ids(encoded, lo, hi)

    def _phrase_ids(self, encoded: str, lo: int, hi: int) -> np.ndarray:
        """FTS5's ids of the documents containing ``encoded``. The ids come back as one
        string: a common word's tens of thousands of rows, one Python tuple each, took as
        long as the match itself."""
        table = "units" if len(encoded) >= 3 else "grams"
        joined = self.con.execute(
            f"SELECT group_concat(rowid) FROM {table} WHERE {table} MATCH ?"
            " AND rowid >= ? AND rowid < ?",
            (fts_phrase(encoded), lo, hi),
        ).fetchone()[0]
        return np.fromstring(joined or "", dtype=np.int64, sep=",")

    def _containing(self, ids: np.ndarray, encoded: str) -> np.ndarray:
        """Those of ``ids`` whose stored encoded text contains ``encoded`` (ascending): what
        FTS5's trigram phrase finds (an exact substring; the text is normalised, so
        FTS5's case folding changes nothing)."""
        if not len(ids):
            return ids
        marks = ",".join("?" * len(ids))
        rows = self.con.execute(
            f"SELECT id, z FROM docs WHERE id IN ({marks}) ORDER BY id", ids.tolist()
        )
        found = [i for i, z in rows if encoded in zlib.decompress(z).decode("utf-8")]
        return np.array(found, dtype=np.int64)

    def top_id(self) -> int:
        return self.con.execute("SELECT coalesce(max(id), 0) FROM docs").fetchone()[0]

    def strength_arrays(self, encoded: str) -> tuple[np.ndarray, np.ndarray]:
        """Ids of the documents containing the chunk and their strengths in (0, 1), which
        grow with FTS5's bm25 for the chunk (trigram table; short grams all get 0.5). Costs
        about three times :meth:`match`: asked only when substring-only matches have to be
        ordered."""
        if len(encoded) < 3:
            ids = self.match_ids(encoded)
            return ids, np.full(len(ids), 0.5)
        ids, ranks = self.con.execute(
            "SELECT group_concat(rowid), group_concat(rank) FROM units WHERE units MATCH ?",
            (fts_phrase(encoded),),
        ).fetchone()
        ids = np.fromstring(ids or "", dtype=np.int64, sep=",")
        x = -np.fromstring(ranks or "", dtype=np.float64, sep=",")
        strengths = np.full(len(x), 0.01)
        positive = x > 0
        strengths[positive] = x[positive] / (1.0 + x[positive])
        return ids, strengths

    def strengths(self, encoded: str) -> dict[int, float]:
        """{id: strength} (see :meth:`strength_arrays`)."""
        ids, strengths = self.strength_arrays(encoded)
        return dict(zip(ids.tolist(), strengths.tolist(), strict=True))

    def ids(self) -> set[int]:
        return {r[0] for r in self.con.execute("SELECT id FROM docs")}

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM docs").fetchone()[0]

    def check(self, deep: bool = False) -> None:
        """Raise (sqlite3.DatabaseError or SidecarError) when the file is unreadable."""
        con = self.con
        version = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if not version or version[0] != SIDECAR_VERSION:
            raise SidecarError(f"sidecar version {version!r}")
        row = con.execute("SELECT id, z FROM docs ORDER BY id LIMIT 1").fetchone()
        if row is not None:
            zlib.decompress(row[1])
        con.execute("SELECT rowid FROM units WHERE units MATCH '\"\ue200a\ue201\"' LIMIT 1")
        con.execute("SELECT rowid FROM grams WHERE grams MATCH '\"\ue181\"' LIMIT 1")
        if deep:
            res = con.execute("PRAGMA integrity_check").fetchone()
            if not res or res[0] != "ok":
                raise SidecarError(f"integrity_check: {res!r}")
            con.execute("INSERT INTO units(units) VALUES ('integrity-check')")
            con.execute("INSERT INTO grams(grams) VALUES ('integrity-check')")
            for _id, z in con.execute("SELECT id, z FROM docs"):
                zlib.decompress(z)
        else:  # cheap: the first and last rows of the b-trees, the FTS5 structure records
            row = con.execute("SELECT id, z FROM docs ORDER BY id DESC LIMIT 1").fetchone()
            if row is not None:
                zlib.decompress(row[1])
            con.execute("SELECT count(*) FROM units_data").fetchone()
            con.execute("SELECT count(*) FROM grams_data").fetchone()


class ParallelMatcher:
    """Matches a chunk over ranges of document ids in parallel threads, each with its own
    connection: SQLite releases the GIL while it works, so the cores share one query
    (a common word at 100k documents: 34 -> 25 ms on two cores). FTS5 seeks to a rowid
    range in its doclists, so the parts cost no more than the whole."""

    def __init__(self, workers: int | None = None, timeout: float = 60.0):
        self.workers = max(1, min(4, workers or os.cpu_count() or 1))
        self.timeout = timeout
        self._pool: ThreadPoolExecutor | None = None
        self._sidecars: dict[int, Sidecar] = {}  # worker thread -> its connection
        self._lock = threading.Lock()

    def _worker_sidecar(self, path: Path) -> Sidecar:
        me = threading.get_ident()
        side = self._sidecars.get(me)
        if side is None or side.path != path:
            if side is not None:
                side.close()  # a generation swapped out: its file goes
            side = Sidecar(path, self.timeout)
            with self._lock:
                self._sidecars[me] = side
        return side

    def _part(self, path: Path, encoded: str, lo: int, hi: int) -> np.ndarray:
        return self._worker_sidecar(path).match_ids(encoded, lo, hi)

    def match_ids(self, path: Path, encoded: str, top_id: int) -> np.ndarray:
        """Ids of the documents containing ``encoded`` (see :meth:`Sidecar.match_ids`);
        ``top_id``: the highest id in the sidecar."""
        if self.workers == 1:
            return self._part(path, encoded, 0, top_id + 1)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="khlang-match")
            pool = self._pool
        step = top_id // self.workers + 1
        parts = [
            pool.submit(self._part, path, encoded, n * step, (n + 1) * step)
            for n in range(self.workers)
        ]
        return np.concatenate([part.result() for part in parts])

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            sidecars, self._sidecars = list(self._sidecars.values()), {}
        if pool is not None:
            pool.shutdown(wait=True)
        for side in sidecars:
            side.close()
