"""Searching and ranking: the query's documents as masks, their tiers, the result cache.

Search (relevance) works on sets of Whoosh docnums (NumPy masks, see
:mod:`indexer.search.ranking`). The default search ranks in tiers (phrase, all content
words, some: :mod:`indexer.search.tiers`). ``match="all"``: per chunk, the documents
containing it as a unit-aligned substring (sidecar), which include those that have it as
words; tier 1 = documents matching every chunk, tier 2 = the others; within a tier,
documents with a word/phrase match come first in Whoosh's BM25F order, then substring-only
matches by BM25F over any of the chunk's words (by the sidecar's bm25 when none of them is
a known word). ``total`` and the facets count the union, after filters and
``published_only``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from whoosh import scoring
from whoosh.query.compound import DefaultOr

from . import tiers
from .backend import check_search_arguments
from .caches import LockedLRU
from .query import Clause, chunk_clause, normalize_filters, parse
from .ranking import StateTables, flat_terms, top_by, top_scored
from .snippet import snippet_of_compressed

SUBSTRING_SCORE = 0.1  # score of a substring-only match (x its strength, 0..1)


RESULT_WINDOW = 50  # results ranked (and kept) per query: the first pages
CACHED_RESULTS = 4 * RESULT_WINDOW  # the deepest result kept for the next request

# the former names of the two modes of MATCH_MODES (indexer.search.backend)
_MODE_ALIASES = {"any": "default", "strict": "all"}


class _Ranked:
    """One query's result on one index state: its count, facets, suggestion and the first
    documents in order, with the hits built so far (stored fields and snippet)."""

    def __init__(
        self, total, page, facets, suggestion, *, complete: bool, tiers: list, whole: int = 0
    ):
        self.total = total
        self.whole = whole  # how many documents have the whole query (phrase or all words)
        self.page: list[tuple[int, float | None]] = page
        self.tiers = tiers  # per page entry: the tier it came from (tiers.TIERS), or None
        self.facets = facets
        self.suggestion = suggestion
        self.complete = complete  # the page holds every match
        self._hits: dict[int, dict] = {}

    def covers(self, want: int) -> bool:
        return self.complete or len(self.page) >= want

    def hit(self, n: int, build: Callable[[int, float | None], dict]) -> dict:
        got = self._hits.get(n)
        if got is None:
            docnum, score = self.page[n]
            got = self._hits[n] = build(docnum, score)
        return got


class _ResultCache:
    """Recent results, least recently used out first, like Solr's queryResultCache.

    Staff repeat popular searches and page through results, and each page would otherwise
    rank the whole query again (tens of ms for a common word at 100k documents). Keys carry
    the index state, so a commit makes every older entry unreachable; they age out."""

    def __init__(self, size: int = 256):
        self.size = size
        self._entries = LockedLRU(size)

    def get(self, state: tuple, key: tuple, want: int) -> _Ranked | None:
        ranked = self._entries.get((state, key))
        return ranked if ranked is not None and ranked.covers(want) else None

    def put(self, state: tuple, key: tuple, ranked: _Ranked) -> None:
        self._entries.put((state, key), ranked)

    def __len__(self) -> int:
        return len(self._entries)

    def values(self):
        return self._entries.values()


class RankedSearch:
    """The searching part of :class:`indexer.search.index.SearchIndex` (its attributes are
    set there)."""

    def _clause_docs(self, tables: StateTables, clause: Clause) -> np.ndarray:
        """The documents containing the chunk.

        The sidecar answers alone: a whole-word or word-phrase match is also a unit-aligned
        substring match (nlpo3 cuts only at TCC boundaries, and words, phrases and the
        sidecar all skip the same separators), which the tests check on real text; Whoosh is
        asked only to rank the word matches among these documents."""
        return tables.mask_of(tables.sidecar_docs(self._sidecar(), clause.encoded, self._matcher))

    def _strength(self, tables: StateTables, clause: Clause) -> np.ndarray:
        """Every document's strength of substring match with the chunk (0 where there is
        none; see Sidecar.strengths)."""
        docnums, strengths = tables.sidecar_strengths(self._sidecar(), clause.encoded)
        dense = np.zeros(tables.size, dtype=np.float64)
        dense[docnums] = strengths
        return dense

    def _word_strength(self, s, tables: StateTables, clause: Clause, within) -> np.ndarray:
        """For documents that contain the chunk but not as its words together: how much
        of the chunk's words they have, as BM25F over any of the words, in (0, 1).

        FTS5's bm25 of the chunk would say how often it occurs, but costs a second full
        scan of the chunk's trigrams (18 ms a chunk at 100k documents, twice a match)."""
        flat = flat_terms(clause.words)
        if flat is None:
            return self._strength(tables, clause)
        any_word = [(boost, [term]) for boost, terms in flat for term in terms]
        scores = tables.bm25(s, any_word, within)
        return scores / (1.0 + scores)

    def _words_can_match(self, s, clause: Clause) -> bool:
        """Whether the clause's word query can match at all (all of its words in one field's
        lexicon). When it cannot, its documents are ranked by substring strength only, so
        the strengths are fetched at once and give the documents too (one sidecar query)."""
        flat = flat_terms(clause.words)
        if flat is None:
            return True
        tables = self._tables(s)
        return any(all(tables.doc_frequency(s, f, w) > 0 for f, w in terms) for _b, terms in flat)

    def _word_scores(self, s, tables: StateTables, word_q, within: np.ndarray):
        """Every document's BM25F score for ``word_q`` within ``within`` (0 elsewhere and
        where it does not match), as Whoosh would score it; None for a query shape or
        weighting the arrays do not handle (see :mod:`indexer.search.ranking`)."""
        flat = flat_terms(word_q)
        if flat is not None and isinstance(s.weighting, scoring.BM25F):
            return tables.bm25(s, flat, within)
        return None

    def _word_top(
        self, s, tables: StateTables, word_q, tier: np.ndarray, need: int
    ) -> list[tuple[int, float]]:
        """The ``need`` best documents of ``tier`` with a word or word-phrase match, in the
        BM25F order Whoosh would give ``word_q``."""
        scores = self._word_scores(s, tables, word_q, tier)
        if scores is not None:
            return top_scored(scores, tier, need)
        # a query shape or weighting the arrays do not handle: Whoosh ranks
        allowed = {int(d) for d in np.flatnonzero(tier)}
        return [(h.docnum, h.score) for h in s.search(word_q, limit=need, filter=allowed)]

    def _hit(self, searcher, docnum: int, score: float | None, chunks: list[str]) -> dict:
        f = searcher.stored_fields(docnum)
        fy = f.get("fiscal_year") or ""
        return {
            "document_id": int(f["id"]),
            "title": f.get("title") or "",
            "filename": f.get("filename") or "",
            "score": round(float(score or 0.0), 4),
            "snippet": snippet_of_compressed(f.get("body"), chunks, dictionary=self.dictionary),
            "kind": f.get("kind") or "",
            "category": f.get("category") or "",
            "fiscal_year": int(fy) if fy.isdigit() else None,
            "date": f.get("date") or None,  # the document's own date; None when undated
            "received": f.get("received") or None,  # when it came into Khlang
        }

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        offset: int = 0,
        sort: str = "relevance",
        published_only: bool = False,
        filters: dict | None = None,
        match: str = "default",
    ) -> dict:
        """Search; see the module docstring of :mod:`indexer.search.query` for the language.

        The default ranks in tiers (:mod:`indexer.search.tiers`): the query verbatim, then
        every content word, then some of them; each hit's ``match`` names its tier
        (``phrase``, ``all``, ``some``). ``match="all"``: each chunk is a phrase; documents
        with every chunk first (``phrase``), then those with some chunks (``some``).
        ``total`` and ``facets`` count every match after filters (and the
        ``published_only`` visibility filter).

        Raises :class:`IndexDamaged` when the index cannot be read (and marks it so)."""
        check_search_arguments(sort, match)
        match = _MODE_ALIASES.get(match, match)
        limit = max(0, int(limit))
        offset = max(0, int(offset))
        pq = parse(query)
        merged = normalize_filters(filters)
        for k, vs in pq.filters.items():
            merged.setdefault(k, []).extend(vs)
        pq.filters = merged

        positive = pq.positive
        if match == "default":  # a question's words are marked where they occur
            positive = positive + tiers.content_words_of(pq, self.dictionary)
        key = (
            query,
            sort,
            bool(published_only),
            match,
            tuple(sorted((k, tuple(vs)) for k, vs in merged.items() if vs)),
        )
        want = offset + limit

        def run() -> dict:
            s = self._get_searcher()
            tables = self._tables(s)
            ranked = self._results.get(tables.key, key, want)
            if ranked is None:
                # a window of at least RESULT_WINDOW, so the next pages come from the cache
                window = max(want, RESULT_WINDOW)
                ranked = self._ranked(s, tables, pq, match, sort, published_only, window)
                # far pages are ranked for the asker only: keeping them would keep one
                # entry per matching document (12 MB for a common word at 100k)
                if want <= CACHED_RESULTS:
                    self._results.put(tables.key, key, ranked)
            hits = [
                dict(ranked.hit(n, lambda d, score: self._hit(s, d, score, positive)))
                | {"match": ranked.tiers[n]}
                for n in range(offset, min(want, len(ranked.page)))
            ]
            return {
                "total": ranked.total,
                "hits": hits,
                "facets": {f: [dict(v) for v in vs] for f, vs in ranked.facets.items()},
                "suggestion": ranked.suggestion,
                "query": pq.to_dict(),
            }

        return self._answering(run)

    def _ranked(self, s, tables, pq, match, sort, published_only, want, *, suggest=True) -> _Ranked:
        """The documents matching a parsed query: their count and facets, the first ``want``
        of them in result order with their tiers, and "did you mean". Sets of documents are
        masks over the docnums."""
        clauses = [c for c in (chunk_clause(t, self.dictionary) for t in pq.positive) if c]
        docs = tables.live.copy()
        for c in (c for c in (chunk_clause(t, self.dictionary) for t in pq.excluded) if c):
            docs &= ~self._clause_docs(tables, c)
        for fname, values in pq.excluded_filters.items():
            docs &= ~tables.value_docs(fname, values)
        allowed = tables.filter_docs(pq.filters, published_only)
        if allowed is not None:
            docs &= allowed
        # +words, and in the tiers of the default the quoted phrases: in every document
        must = pq.required + (pq.phrases if match == "default" else [])
        for c in (c for c in (chunk_clause(t, self.dictionary) for t in must) if c):
            docs &= self._clause_docs(tables, c)
        if not clauses:
            page = [(d, None) for d in tables.by_date(s, docs, want)]
            names: list = [None] * len(page)
            whole = docs
        elif match == "default":
            docs, whole, page, names = tiers.rank(
                self, s, tables, tiers.TieredQuery(pq, self.dictionary), docs, sort, want
            )
        else:
            docs, whole, page, names = self._rank_all(s, tables, clauses, docs, sort, want)
        total = int(np.count_nonzero(docs))
        whole_count = int(np.count_nonzero(whole))
        suggestion = None
        if suggest and pq.positive:
            suggestion = self._better_spelling(s, tables, pq, match, published_only, whole_count)
        return _Ranked(
            total,
            page,
            # the corrected query's result (suggest off) is only counted: no facets
            tables.facet_counts(docs) if suggest else {},
            suggestion,
            complete=len(page) < want,
            tiers=names,
            whole=whole_count,
        )

    def _better_spelling(self, s, tables, pq, match, published_only, whole) -> str | None:
        """The query with its unknown words corrected, when more documents have the whole
        corrected query (verbatim, or all its content words) than have the query's
        (a word the dictionary or the index knows is never corrected)."""
        candidate = tables.speller.suggest(s.reader(), pq.positive, self.dictionary)
        if candidate is None:
            return None
        fixed = parse(candidate)
        fixed.filters, fixed.excluded = pq.filters, pq.excluded
        fixed.excluded_filters = pq.excluded_filters
        found = self._ranked(s, tables, fixed, match, "relevance", published_only, 0, suggest=False)
        return candidate if found.whole > whole else None

    def _rank_all(self, s, tables, clauses, allowed, sort, want):
        """``match="all"``: documents with every chunk (as a phrase or unit-aligned
        substring) first, then documents with some chunks: (documents matched, those with
        every chunk, page, tier names)."""
        # substring-only clauses: strengths now, they give the documents too
        early = {
            n: self._strength(tables, c)
            for n, c in enumerate(clauses)
            if not self._words_can_match(s, c)
        }
        matches = [
            early[n] > 0 if n in early else self._clause_docs(tables, c)
            for n, c in enumerate(clauses)
        ]
        docs = np.logical_or.reduce(matches) & allowed
        tier1 = np.logical_and.reduce(matches) & docs

        if sort == "date":
            page = [(d, None) for d in tables.by_date(s, docs, want)]
            return docs, tier1, page, ["phrase" if tier1[d] else "some" for d, _ in page]
        page = []
        names = []
        word_q = clauses[0].words if len(clauses) == 1 else DefaultOr([c.words for c in clauses])
        strength: np.ndarray | None = None  # summed over the clauses, when first needed
        for name, tier in (("phrase", tier1), ("some", docs & ~tier1)):
            need = want - len(page)
            if need <= 0:
                break
            if not tier.any():
                continue
            # word/phrase matches first, in BM25F order; fewer than asked for means
            # there are no more of them in the tier
            got = self._word_top(s, tables, word_q, tier, need)
            need -= len(got)
            if need > 0:
                rest = tier.copy()
                rest[[d for d, _ in got]] = False
                if strength is None:
                    strength = np.sum(
                        [
                            early[n] if n in early else self._word_strength(s, tables, c, docs)
                            for n, c in enumerate(clauses)
                        ],
                        axis=0,
                    )
                candidates = np.flatnonzero(rest)
                best = top_by(candidates, strength[candidates], need)
                scale = SUBSTRING_SCORE / len(clauses)
                got += [(d, scale * float(strength[d])) for d in best]
            page += got
            names += [name] * len(got)
        return docs, tier1, page, names
