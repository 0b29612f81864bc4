"""Matching, ranking and counting over one committed index state, with NumPy.

A search works on sets of Whoosh docnums. Here a set is a boolean mask over the docnums of
the index state (``StateTables.size`` of them), so that unions, intersections, filters and
facet counts are array operations, and a term's postings are decoded into arrays once and
kept (``PostingsCache``), so that a common word is not decoded again by the next query.

Scores are Whoosh's BM25F, computed the way Whoosh computes them (same statistics, the same
quantised field lengths, the same order of floating-point operations, ties to the lower
docnum): the tests compare them with Whoosh's own. Whoosh's matchers step one posting at
a time in Python (~15 us a posting); reading a term's postings here is one file read and a
pickle per block.

Every reader of one TOC generation opens the same segments in the same order, so docnums
agree between the searchers of all threads, and a ``StateTables`` is shared by them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
from whoosh import query as Q

from schemas.search_index import FACET_FIELDS

from .caches import LockedLRU
from .postings import EMPTY_IDS, term_postings
from .query import PARTIAL_FIELDS
from .spelling import Speller

_UNKNOWN = object()


def state_key(searcher) -> tuple:
    """What identifies the committed index state a searcher reads: its storage directory
    and TOC generation."""
    return (
        getattr(searcher._ix.storage, "folder", id(searcher._ix)),
        searcher.reader().generation(),
    )


def _nbytes(arrays: tuple[np.ndarray, ...]) -> int:
    return sum(a.nbytes for a in arrays)


def _array_cache(budget: int) -> LockedLRU:
    """Arrays bounded by their total size in bytes; one entry may take a quarter."""
    return LockedLRU(budget, getsizeof=_nbytes, max_entry=budget // 4)


# Per index state and process. A common word at 100k documents has ~50k postings (600 KB
# as arrays); the budget keeps a few hundred of them.
POSTINGS_CACHE_BYTES = 96 * 1024 * 1024
MATCH_CACHE_BYTES = 32 * 1024 * 1024
FREQUENCIES_KEPT = 200_000  # (field, word) -> document frequency; ~20 MB when full


# --- the tables of one index state ----------------------------------------------------------


class StateTables:
    """Built once per committed index state, shared by the searchers of every thread:
    document ids and live docnums, facet values, field lengths, date order, and the caches
    of decoded postings and of substring matches. Read-only once built, but for the caches
    and memos, whose single operations are atomic or locked."""

    def __init__(self, searcher):
        reader = searcher.reader()
        self.key = state_key(searcher)
        self.size = size = reader.doc_count_all()
        self.live = np.zeros(size, dtype=bool)
        live = np.fromiter(reader.all_doc_ids(), dtype=np.int64)
        self.live[live] = True
        ids = (
            np.array([int(i) for i in reader.column_reader("id")], dtype=np.int64)
            if size
            else EMPTY_IDS
        )
        top = int(ids[live].max()) + 1 if len(live) else 0
        # document id -> docnum of its live document, -1 for none
        self.docnum_by_id = np.full(top, -1, dtype=np.int64)
        self.docnum_by_id[ids[live]] = live
        self.ids = ids  # docnum -> document id
        # facet and filter fields: the values of each field, and (docnum, value index)
        # pairs, one per value a document has (province, project and agency have several)
        self.values: dict[str, list[str]] = {}
        self._pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._value_masks: dict[tuple[str, str], np.ndarray] = {}
        for fname in (*FACET_FIELDS, "publication"):
            names: list[str] = []
            docs: list[np.ndarray] = []
            codes: list[np.ndarray] = []
            for term in reader.lexicon(fname):
                value = term.decode("utf-8") if isinstance(term, bytes) else term
                if not value:
                    continue
                members, _weights = term_postings(reader, fname, term)
                members = members[self.live[members]] if len(members) else members
                docs.append(members)
                codes.append(np.full(len(members), len(names), dtype=np.int32))
                names.append(value)
            self.values[fname] = names
            self._pairs[fname] = (
                np.concatenate(docs) if docs else EMPTY_IDS,
                np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32),
            )
        self._index_of = {f: {v: i for i, v in enumerate(vs)} for f, vs in self.values.items()}
        self._date_rank: np.ndarray | None = None
        self._lock = threading.Lock()
        self._lengths: dict[str, np.ndarray | None] = {}
        self._filters: dict[tuple, np.ndarray | None] = {}
        self._project_of: dict[int, list[str]] | None = None
        self._frequencies: dict[tuple[str, str], int] = {}
        self.postings_cache = _array_cache(POSTINGS_CACHE_BYTES)
        self.match_cache = _array_cache(MATCH_CACHE_BYTES)
        self.speller = Speller()
        self._top_id: int | None = None  # the sidecar's highest id, once asked

    # --- sets ------------------------------------------------------------------------------

    def empty(self) -> np.ndarray:
        return np.zeros(self.size, dtype=bool)

    def mask_of(self, docnums: np.ndarray) -> np.ndarray:
        mask = self.empty()
        mask[docnums] = True
        return mask

    def docnums_of_ids(self, ids: np.ndarray) -> np.ndarray:
        """Live docnums of document ids (ids not in this state are dropped)."""
        ids = ids[(ids >= 0) & (ids < len(self.docnum_by_id))]
        docnums = self.docnum_by_id[ids]
        return docnums[docnums >= 0]

    # --- filters and facets ----------------------------------------------------------------

    def _value_mask(self, fname: str, code: int) -> np.ndarray:
        """The documents with one value (by its index in ``values[fname]``); kept, since the
        same filter comes back with every search of a filtered page."""
        key = (fname, code)
        got = self._value_masks.get(key)
        if got is None:
            docs, codes = self._pairs[fname]
            got = self.mask_of(docs[codes == code])
            if len(self._value_masks) > 128:  # 100 KB each at 100k documents
                self._value_masks.clear()
            self._value_masks[key] = got
        return got

    def value_docs(self, fname: str, values: Iterable[str]) -> np.ndarray:
        """The documents having any of ``values`` in field ``fname``. For the fields of long
        official names (project, agency), a value that is not a whole name stands for every
        name that contains it: staff type part of a project's name."""
        known = self._index_of.get(fname, {})
        names: set[str] = set()
        for v in values:
            if v in known or fname not in PARTIAL_FIELDS:
                names.add(v)
            else:
                part = v.casefold()
                names.update(n for n in known if part in n.casefold())
        wanted = [known[name] for name in names if name in known]
        if len(wanted) == 1:
            return self._value_mask(fname, wanted[0])
        docs, codes = self._pairs[fname]
        # several names (a part of a project's name): one pass, nothing kept per name
        return self.mask_of(docs[np.isin(codes, wanted)])

    def filter_docs(self, filters: dict[str, list[str]], published_only: bool):
        """The documents the filters allow (None: no filter)."""
        key = (tuple(sorted((k, tuple(v)) for k, v in filters.items() if v)), published_only)
        known = self._filters.get(key, _UNKNOWN)  # one look: another thread may clear() it
        if known is not _UNKNOWN:
            return known
        parts = list(key[0])
        if published_only:
            # Visitors see published documents only (approved ones await the publisher).
            parts.append(("publication", ("published",)))
        allowed: np.ndarray | None = None
        for fname, values in parts:
            got = self.value_docs(fname, values)
            allowed = got if allowed is None else allowed & got
        if len(self._filters) > 64:
            self._filters.clear()
        self._filters[key] = allowed
        return allowed

    def facet_counts(self, docs: np.ndarray) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for fname in FACET_FIELDS:
            pair_docs, codes = self._pairs[fname]
            names = self.values[fname]
            counts = np.bincount(codes[docs[pair_docs]], minlength=len(names))
            found = [(names[i], int(counts[i])) for i in np.flatnonzero(counts)]
            found.sort(key=lambda vc: (-vc[1], vc[0]))
            out[fname] = [{"value": v, "count": c} for v, c in found]
        return out

    def projects_of(self, docnum: int) -> list[str]:
        """The project names of one document (the project facet, read backwards)."""
        if self._project_of is None:
            inverse: dict[int, list[str]] = {}
            docs, codes = self._pairs["project"]
            names = self.values["project"]
            for code in sorted(range(len(names)), key=names.__getitem__):
                for d in docs[codes == code].tolist():
                    inverse.setdefault(d, []).append(names[code])
            self._project_of = inverse
        return self._project_of.get(docnum, [])

    # --- order by date ---------------------------------------------------------------------

    def by_date(self, searcher, docs: np.ndarray, n: int) -> list[int]:
        """The ``n`` most recent of ``docs`` (undated last, then by docnum, latest first).
        ``searcher``: the calling thread's, of the same index state (the date column is
        read on first use)."""
        if self._date_rank is None:
            with self._lock:
                if self._date_rank is None:
                    col = searcher.reader().column_reader("date")
                    dates = list(col) if self.size else []
                    order = sorted(
                        range(self.size), key=lambda d: (dates[d] or "", d), reverse=True
                    )
                    rank = np.empty(self.size, dtype=np.int64)
                    rank[np.array(order, dtype=np.int64)] = np.arange(self.size)
                    self._date_rank = rank
        candidates = np.flatnonzero(docs)
        return top_by(candidates, self._date_rank[candidates], n, descending=False)

    # --- postings and scoring --------------------------------------------------------------

    def doc_frequency(self, searcher, fieldname: str, text: str) -> int:
        """How many documents have the word in the field. Kept: each is a lookup in every
        segment's term table (several file reads), and a question asks it of each of its
        words in each word field several times over (tiers, rarest-first order)."""
        key = (fieldname, text)
        got = self._frequencies.get(key)
        if got is None:
            got = searcher.reader().doc_frequency(fieldname, text)
            if len(self._frequencies) > FREQUENCIES_KEPT:
                self._frequencies.clear()
            self._frequencies[key] = got
        return got

    def postings(self, searcher, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (fieldname, text)
        got = self.postings_cache.get(key)
        if got is None:
            got = term_postings(searcher.reader(), fieldname, text)
            self.postings_cache.put(key, got)
        return got

    def lengths(self, searcher, fieldname: str) -> np.ndarray:
        """Every document's (quantised) length of ``fieldname`` as Whoosh's scorer sees it.
        A segment that keeps no lengths for the field has no postings in it either: zeros."""
        got = self._lengths.get(fieldname)
        if got is None:
            parts = [_segment_lengths(r, fieldname) for r, _b in searcher.reader().leaf_readers()]
            sizes = [r.doc_count_all() for r, _b in searcher.reader().leaf_readers()]
            got = np.concatenate(
                [np.zeros(n) if p is None else p for p, n in zip(parts, sizes, strict=True)]
                or [np.zeros(0)]
            )
            self._lengths[fieldname] = got
        return got

    def has_term(self, searcher, docnum: int, fieldnames: Iterable[str], text: str) -> bool:
        """Whether the document has the word in any of the fields."""
        for fname in fieldnames:
            ids, _weights = self.postings(searcher, fname, text)
            at = int(np.searchsorted(ids, docnum))
            if at < len(ids) and ids[at] == docnum:
                return True
        return False

    def bm25_top(self, searcher, flat, tier: np.ndarray, need: int):
        """The ``need`` best documents of ``tier`` by the BM25F score Whoosh would give the
        flat query ``flat`` (see :func:`flat_terms`), as [(docnum, score)], best first."""
        return top_scored(self.bm25(searcher, flat, tier), tier, need)

    def bm25(self, searcher, flat, within: np.ndarray | None) -> np.ndarray:
        """Every document's BM25F score for ``flat`` (0 where it does not match), limited
        to ``within`` when given. Per And group, the rarest word first: the group's
        documents only shrink.

        A group's scores are kept for its documents only, and a word's postings are
        looked up at the allowed documents when these are far fewer than its postings (a
        page's worth of tier against a word in most documents), rather than masking every
        posting. The sums are the same, in the same order, as over whole arrays."""
        weighting = searcher.weighting
        k1 = weighting.K1
        total = np.zeros(self.size, dtype=np.float64)
        allowed = np.flatnonzero(within) if within is not None else None
        for boost, terms in flat:
            docs: np.ndarray | None = None  # the documents with every word so far
            group: np.ndarray | None = None  # their score so far
            for fname, text in sorted(terms, key=lambda term: self.doc_frequency(searcher, *term)):
                ids, tf = self.postings(searcher, fname, text)
                if docs is not None:
                    at, found = _lookup(ids, docs)
                    ids, tf, group = docs[found], tf[at[found]], group[found]
                elif allowed is not None and len(allowed) * _LOOKUP_RATIO < len(ids):
                    at, found = _lookup(ids, allowed)
                    ids, tf = allowed[found], tf[at[found]]
                elif within is not None:
                    keep = within[ids]
                    ids, tf = ids[keep], tf[keep]
                if not len(ids):
                    docs = None
                    break
                lengths = self.lengths(searcher, fname)
                idf = searcher.idf(fname, text)
                avgfl = searcher.avg_field_length(fname) or 1
                b = weighting._field_B.get(fname, weighting.B)
                c1 = idf * (k1 + 1)
                c2 = k1 * (1 - b)
                c3 = k1 * b / avgfl
                w = tf.astype(np.float64)
                scores = c1 * w / (w + c2 + c3 * lengths[ids])
                group = scores if docs is None else group + scores
                docs = ids
            if docs is not None:
                total[docs] += group * boost
        return total

    # --- substring matches (the sidecar) -----------------------------------------------------

    def sidecar_docs(self, side, encoded: str, matcher=None) -> np.ndarray:
        """Docnums of the documents containing the encoded chunk unit-aligned; through a
        :class:`~indexer.search.sidecar.ParallelMatcher` when one is given."""
        key = ("match", encoded)
        got = self.match_cache.get(key)
        if got is None:
            if matcher is None:
                ids = side.match_ids(encoded)
            else:
                if self._top_id is None:
                    self._top_id = side.top_id()
                ids = matcher.match_ids(side.path, encoded, self._top_id)
            got = (self.docnums_of_ids(ids),)
            self.match_cache.put(key, got)
        return got[0]

    def sidecar_strengths(self, side, encoded: str) -> tuple[np.ndarray, np.ndarray]:
        """Docnums and strengths (0..1) of the documents containing the chunk."""
        key = ("strength", encoded)
        got = self.match_cache.get(key)
        if got is None:
            ids, strengths = side.strength_arrays(encoded)
            keep = (ids >= 0) & (ids < len(self.docnum_by_id))
            docnums = self.docnum_by_id[ids[keep]]
            strengths = strengths[keep]
            live = docnums >= 0
            got = (docnums[live], strengths[live])
            self.match_cache.put(key, got)
        return got


# Look a word's postings up at the allowed documents when they are this many times fewer.
_LOOKUP_RATIO = 8


def _lookup(ids: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``docs`` is in the ascending ``ids``, and whether it is there."""
    at = np.searchsorted(ids, docs)
    found = at < len(ids)
    found[found] = ids[at[found]] == docs[found]
    return at, found


def top_scored(scores: np.ndarray, tier: np.ndarray, need: int) -> list[tuple[int, float]]:
    """The ``need`` best documents of ``tier`` that have a score, as [(docnum, score)]."""
    candidates = np.flatnonzero(tier & (scores != 0))
    return [(d, float(scores[d])) for d in top_by(candidates, scores[candidates], need)]


def top_by(docnums: np.ndarray, keys: np.ndarray, n: int, descending: bool = True) -> list[int]:
    """The ``n`` docnums with the best keys (highest, or lowest), ties to the lower docnum."""
    if n <= 0 or not len(docnums):
        return []
    order_keys = -keys if descending else keys
    if len(docnums) > n:
        # every document whose key ties the n-th best stays in, then exact order below
        cut = np.partition(order_keys, n - 1)[n - 1]
        near = order_keys <= cut
        docnums, order_keys = docnums[near], order_keys[near]
    order = np.lexsort((docnums, order_keys))[:n]
    return docnums[order].tolist()


def flat_terms(q) -> list[tuple[float, list[tuple[str, str]]]] | None:
    """A clause's word query as [(boost, [(field, word), ...])]: Terms, or Ands of Terms,
    under (Default)Ors. None for anything else (then Whoosh scores it)."""
    if isinstance(q, Q.Term):
        return [(q.boost, [(q.fieldname, q.text)])]
    if isinstance(q, Q.And) and all(isinstance(t, Q.Term) and t.boost == 1.0 for t in q.subqueries):
        return [(q.boost, [(t.fieldname, t.text) for t in q.subqueries])]
    if isinstance(q, Q.Or) and q.boost == 1.0 and not q.minmatch and not q.scale:
        out = []
        for sub in q.subqueries:
            part = flat_terms(sub)
            if part is None:
                return None
            out += part
        return out
    return None


_BYTE_LENGTH: np.ndarray | None = None


def _segment_lengths(segreader, fieldname: str) -> np.ndarray | None:
    """The (quantised) length of ``fieldname`` of every document of one segment, as Whoosh's
    scorer sees them; None when the segment keeps no lengths for the field."""
    global _BYTE_LENGTH
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.util.numeric import byte_to_length

    if _BYTE_LENGTH is None:
        _BYTE_LENGTH = np.array([float(byte_to_length(i)) for i in range(256)])
    perdoc = getattr(segreader, "_perdoc", None)
    if perdoc is None:
        return None
    col = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if col is None:
        return None
    return _BYTE_LENGTH[_byte_column(col)]


def _byte_column(col) -> np.ndarray:
    """The values of a one-byte numeric column (Whoosh's field lengths). Whoosh reads a
    column one value at a time (a seek and a read each: 1.7 s for 100k documents); read
    it in one piece when the reader has the fixed-width layout this expects."""
    try:
        width, count, doccount = col._fixedlen, col._count, col._doccount
        data = col._dbfile.get(col._basepos, count) if width == 1 else None
    except AttributeError:
        data = None
    if data is None or len(data) != count:
        return np.array(list(col), dtype=np.int64)
    values = np.frombuffer(bytes(data), dtype=np.uint8).astype(np.int64)
    if doccount > count:
        values = np.concatenate([values, np.full(doccount - count, col._default)])
    return values
