"""Ranking the ``postgres`` backend's matches: BM25F per field over a *bounded* candidate
set, never every match (:mod:`indexer.search.pg_search` finds the matches):

* a tier of at most :data:`EXACT_LIMIT` documents is scored whole;
* a larger one is cut to the union of each query word's best :data:`TOP_K` documents by
  their stored impact (the postings' impact index: an index range, no sort) plus, for the
  rarest word, every document (which a document with all the words must have): when fewer
  than a page remain, the whole tier is scored.

Scores are BM25F per field (boosts of :data:`schemas.search_index.WORD_FIELDS`, the RSJ
idf of :mod:`indexer.search.weighting`) from Khlang's own statistics (``khlang_search.terms``,
``khlang_search.generations``), so they match the Whoosh backend's up to its quantised
lengths. Word statistics are asked once a search (:meth:`Scorer.stats`): 5 to 17 round
trips a search before.

A tier's matches without a word clause (substring-only) follow by strength, their
occurrences counted in the pieces holding the chunks (:func:`substring_top`).

Not done yet: a tier of up to :data:`EXACT_LIMIT` documents has all its candidates'
postings read (index-only since migration 0017: 10-13 ms at 10k for a question's ten
words and 2,000-3,000 candidates); per-word top-k by impact with early stopping
(MaxScore) would read fewer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from schemas.search_index import PIECE_STEP, WORD_FIELDS

from .pg_rows import FIELDS, PIECE_CHUNK, bm25_tf, like
from .pg_store import Store
from .query import WORD_BOOST
from .searching import SUBSTRING_SCORE

if TYPE_CHECKING:
    from .pg_search import Chunk, State

EXACT_LIMIT = 2000  # a tier this small is scored whole
TOP_K = 500  # else each word's best documents by impact, at least this many


class Scorer:
    """BM25F of word clauses over candidate documents."""

    def __init__(self, store: Store, state: State):
        self.store, self.state = store, state
        self._stats: dict[str, tuple | None] = {}  # a search asked 5 to 17 times otherwise

    def stats(self, words: list[str]) -> dict[str, tuple[int, int, int, int]]:
        """:meth:`Store.term_stats`, each word asked once a search."""
        missing = sorted({w for w in words if w not in self._stats})
        if missing:
            got = self.store.term_stats(self.state.gen, missing)
            self._stats.update({w: got.get(w) for w in missing})
        return {w: self._stats[w] for w in words if self._stats[w] is not None}

    def idf(self, df: int) -> float:
        n = self.state.n
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scores(
        self, clauses: list[tuple[float, list[str]]], ids: list[int], boosts: dict | None = None
    ) -> dict[int, float]:
        """doc -> the summed score of ``clauses`` ((weight, words): all words in one field);
        documents without any clause are absent. ``boosts``: per field (default: the word
        fields' boosts x WORD_BOOST, as a query clause)."""
        boosts = boosts or {f: WORD_FIELDS[f] * WORD_BOOST for f in FIELDS}
        words = sorted({w for _, ws in clauses for w in ws})
        if not ids or not words:
            return {}
        stats = self.stats(words)
        tf: dict[tuple[str, int], tuple] = {}
        for term, doc, *tfs in self.store.postings(self.state.gen, words, ids):
            tf[(term, doc)] = tfs
        docs = sorted({doc for _, doc in tf})
        lengths = self.store.lengths(self.state.gen, docs)
        out: dict[int, float] = {}
        for doc in docs:
            total = 0.0
            for weight, ws in clauses:
                for k, f in enumerate(FIELDS):
                    parts = []
                    for w in ws:
                        t = tf.get((w, doc))
                        if not t or not t[k]:
                            break
                        idf = self.idf(stats[w][1 + k])
                        parts.append(idf * bm25_tf(t[k], lengths[doc][k], self.state.avg[f]))
                    else:
                        total += weight * boosts.get(f, 0.0) * sum(parts)
            if total > 0:
                out[doc] = total
        return out

    def candidates(self, words: list[str], members: set[int], need: int) -> set[int]:
        """Which of ``members`` to score (see the module docstring)."""
        if len(members) <= EXACT_LIMIT or not words:
            return members
        stats = self.stats(words)
        known = sorted((w for w in words if w in stats), key=lambda w: stats[w][0])
        found: set[int] = set()
        k = max(TOP_K, 4 * need)
        for w in known:
            found.update(self.store.top_postings(self.state.gen, w, k))
        if known and stats[known[0]][0] <= EXACT_LIMIT:
            found.update(self.store.term_docs(self.state.gen, known[0]))
        found &= members
        return found if len(found) >= need else members


def word_clauses(cs: list[Chunk]) -> list[tuple[float, list[str]]]:
    """A clause (weight 1: all its words in one field) a chunk."""
    return [(1.0, c.words) for c in cs]


def substring_top(store: Store, gen: int, cs: list[Chunk], ids: set[int], n: int) -> list:
    """(doc, score) of the ``n`` documents of ``ids`` with the most occurrences of the
    chunks (a substring-only match's strength, occurrences/(1+occurrences)). Counted in
    the pieces, each occurrence in the piece where it starts (its first PIECE_STEP
    characters and the chunk's length less one: the overlap is the next piece's); a chunk
    longer than a piece's overlap is counted in the whole text."""
    if not ids or n <= 0:
        return []
    in_pieces = all(len(c.encoded) <= PIECE_CHUNK for c in cs)
    occ = []
    for i, c in enumerate(cs):
        width = max(1, len(c.encoded))
        text = f"left(units, {PIECE_STEP + width - 1})" if in_pieces else "units"
        # in bytes: the length of multibyte text is a pass over it (10-30% of the count)
        occ.append(
            f"(octet_length({text}) - octet_length(replace({text}, %s, '')))"
            f" / octet_length(%s)::numeric AS o{i}"
        )
    params = [x for c in cs for x in (c.encoded, c.encoded)]
    names = [f"o{i}" for i in range(len(cs))]
    table = "pieces" if in_pieces else "documents"
    counted = (
        f"SELECT doc_id, {', '.join(occ)} FROM khlang_search.{table}"
        " WHERE gen = %s AND doc_id = ANY(%s)"
    )
    holding = []
    if in_pieces:
        # only the pieces holding a chunk count (the others add nothing; all the pieces of a
        # common chunk's documents was 520 ms at 10k documents), each counted before they
        # are grouped (OFFSET 0: sorting the pieces themselves spilled to disk)
        holding = [like(c.encoded) for c in cs]
        counted = (
            f"SELECT doc_id, {', '.join(f'sum({o}) AS {o}' for o in names)} FROM ({counted}"
            f" AND ({' OR '.join(['units LIKE %s'] * len(cs))}) OFFSET 0) p GROUP BY doc_id"
        )
    strength = " + ".join(f"({o}) / (1 + {o})" for o in names)
    scale = SUBSTRING_SCORE / max(1, len(cs))
    rows = store.rows(
        f"SELECT doc_id, {strength} AS s FROM ({counted}) c ORDER BY s DESC, doc_id LIMIT %s",
        (*params, gen, sorted(ids), *holding, n),
    )
    got = [(doc, scale * float(s)) for doc, s in rows]
    if len(got) < n:  # documents with no piece holding a chunk: strength 0, by id
        seen = {doc for doc, _ in got}
        got += [(doc, 0.0) for doc in sorted(ids - seen)[: n - len(got)]]
    return got
