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

A tier's matches without a word clause (substring-only) follow by strength
(:func:`indexer.search.pg_substrings.substring_top`).

Not done yet: a tier of up to :data:`EXACT_LIMIT` documents has all its candidates'
postings read (index-only since migration 0017: 10-13 ms at 10k for a question's ten
words and 2,000-3,000 candidates); per-word top-k by impact with early stopping
(MaxScore) would read fewer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from schemas.search_index import WORD_FIELDS

from .pg_rows import FIELDS, bm25_tf
from .pg_store import Store
from .query import WORD_BOOST

if TYPE_CHECKING:
    from .pg_chunks import Chunk
    from .pg_search import State

EXACT_LIMIT = 2000  # a tier this small is scored whole
TOP_K = 500  # else each word's best documents by impact, at least this many

# a word in more than this many times as many documents as the candidates scored has its
# postings looked up candidate by candidate in the postings' key (about 5 us a candidate)
# rather than read whole and joined by hash (about 0.35 us a posting): measured at 100k on
# 38 words of the mix's three-word queries and questions (each way timed, best of three),
# the two ways cross at 7 to 10 times; ที่, in 94,881 documents, for 1,312 candidates 34 ms
# by hash, 9 by key; the statements in all 960 ms by hash, 510 with the better way a word
PROBE_DF = 8


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
        probed = [w for w in words if w in stats and stats[w][0] > PROBE_DF * len(ids)]
        rows = self.store.postings(self.state.gen, words, ids, probed)
        docs = sorted({doc for _, doc, *_tfs in rows})
        if not docs:
            return {}
        at = {doc: i for i, doc in enumerate(docs)}
        # each word's frequencies in each field, a row a document (0: not there)
        tf = {w: np.zeros((len(docs), len(FIELDS))) for w in words}
        for term, doc, *tfs in rows:
            tf[term][at[doc]] = tfs
        got = self.store.lengths(self.state.gen, docs)
        lengths = np.array([got[doc] for doc in docs], dtype=float)
        # every document at once, in the order the terms were once added one document at a
        # time (the same floating-point sums: ranks and ties are unchanged)
        total = np.zeros(len(docs))
        for weight, ws in clauses:
            for k, f in enumerate(FIELDS):
                present = np.logical_and.reduce([tf[w][:, k] > 0 for w in ws])
                if not present.any():
                    continue
                part = np.zeros(len(docs))
                for w in ws:
                    idf = self.idf(stats[w][1 + k])
                    part = part + idf * bm25_tf(tf[w][:, k], lengths[:, k], self.state.avg[f])
                total = total + np.where(present, weight * boosts.get(f, 0.0) * part, 0.0)
        return {doc: float(t) for doc, t in zip(docs, total.tolist(), strict=True) if t > 0}

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


class Lexicon:
    """The index's words as :class:`~indexer.search.spelling.Speller` and
    :func:`~indexer.search.similar.key_terms` ask for them (their ``reader``): document
    frequencies in the ``text`` field, from the search's own word statistics (the query's
    words were asked for its ranking: asking the speller's again, a word at a time, was
    about 3 ms a query at 100k)."""

    def __init__(self, scorer: Scorer):
        self.scorer = scorer
        self._prefixed: dict[str, int] = {}  # words of expand_prefix, with their df in text

    def doc_count(self) -> int:
        return self.scorer.state.n

    def doc_frequency(self, field: str, word: str) -> int:
        if word in self._prefixed:
            return self._prefixed[word]
        got = self.scorer.stats([word]).get(word)
        return got[3] if got else 0

    def expand_prefix(self, field: str, first: str) -> list[str]:
        found = self.scorer.store.prefix_terms(self.scorer.state.gen, first)
        self._prefixed.update(found)
        return [t for t, _ in found]


def word_clauses(cs: list[Chunk]) -> list[tuple[float, list[str]]]:
    """A clause (weight 1: all its words in one field) a chunk."""
    return [(1.0, c.words) for c in cs]
