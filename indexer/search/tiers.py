"""The default search: phrase, then all words, then some words.

Staff type a question or a loose description without spaces. Taking an unbroken Thai run as
a phrase found nothing for most questions; taking it as a bag of words lost the exact
matches among the loose ones. The default search ranks in tiers instead:

1. ``phrase``: documents containing every chunk of the query verbatim (after normalisation;
   a unit-aligned substring, as ``match="all"`` finds them: nothing that search finds is
   lost, and it is ranked first);
2. ``all``: documents with every content word of the query;
3. ``some``: documents with at least :func:`min_words` of the content words.

Content words are the words of the unquoted chunks minus question and function words
(:mod:`indexer.search.stopwords`), so that "ใคร" or "เท่าไร" never decide a match. A content
word matches a document that has it as a word (any word field), or, when the index has no
such word at all (a segmentation the documents never produced), as a unit-aligned substring.
Quoted phrases and ``+words`` must occur in every tier; ``-words`` exclude.

Within each tier: word matches by BM25F over the content and function words (Whoosh's
scores with the standard BM25 idf, see :mod:`indexer.search.weighting`), then
substring-only matches by their strength.
"""

from __future__ import annotations

import math

import numpy as np
from whoosh.query.compound import DefaultOr

from .analysis import normalize, word_texts
from .query import Clause, chunk_clause
from .ranking import StateTables, flat_terms, top_by, top_scored
from .similar import content_words
from .stopwords import QUESTION_WORDS

TIERS = ("phrase", "all", "some")  # their labels: schemas.labels.MATCH_TIER_TH
SUBSTRING_SCORE = 0.1  # as searching.SUBSTRING_SCORE: a substring-only match, x its strength


def min_words(n: int) -> int:
    """How many of ``n`` content words a document needs to be in the ``some`` tier: one for
    short queries, then a share that grows with the query's length up to a third (1 of up to
    6 words, 2 of 8, 3 of 9 to 11, 4 of 12), since a document sharing one word of twelve is
    noise. Not more than a third: a question is worded otherwise than the passage answering
    it (staff's own words, a translation), which may share only a third of its content
    words; at half, such passages of long XQuAD-th questions fell out of every tier.
    Relaxed when no document reaches it."""
    if n <= 3:
        return 1
    share = min(1 / 3, 0.15 + 0.03 * n)
    return max(1, math.floor(n * share))


def content_words_of(pq, dictionary: str) -> list[str]:
    """The content words of the unquoted chunks of a parsed query, each once."""
    words = [w for chunk in pq.terms for w in content_words(chunk, dictionary)]
    return list(dict.fromkeys(words))


class TieredQuery:
    """The clauses of a parsed query for the default search."""

    def __init__(self, pq, dictionary: str):
        self.phrases = [c for c in (chunk_clause(t, dictionary) for t in pq.positive) if c]
        self.required = [
            c for c in (chunk_clause(t, dictionary) for t in pq.phrases + pq.required) if c
        ]
        words = content_words_of(pq, dictionary)
        # a quoted phrase or +word (which every document has) counts as one of the words
        self.words = [c for c in (chunk_clause(w, dictionary) for w in words) if c] + self.required
        # the other words of the chunks, question words aside: they only rank, like any
        # word by its idf (:mod:`indexer.search.weighting`: a word in nearly every document
        # weighs nearly nothing, a rarer stopword such as สมัย or ล่าสุด its full share)
        rest = [
            w
            for chunk in pq.terms
            for w in word_texts(normalize(chunk), dictionary)
            if w not in words and w not in QUESTION_WORDS
        ]
        self.function_words = [
            c for c in (chunk_clause(w, dictionary) for w in dict.fromkeys(rest)) if c
        ]

    def __bool__(self) -> bool:
        return bool(self.phrases)


def _word_docs(ix, s, tables: StateTables, clause: Clause) -> np.ndarray:
    """The documents having the clause's word(s) as words in any word field; those having it
    as a substring when the index knows none of its word forms."""
    flat = flat_terms(clause.words)
    if flat is None or len(flat[0][1]) > 1:  # a multi-word chunk (all stopwords): verbatim
        return ix._clause_docs(tables, clause)
    found = tables.empty()
    known = False
    for _boost, terms in flat:
        ((fname, text),) = terms
        if tables.doc_frequency(s, fname, text) > 0:
            known = True
            ids, _weights = tables.postings(s, fname, text)
            found[ids] = True
    if not known:
        return ix._clause_docs(tables, clause)
    return found & tables.live


def match_tiers(ix, s, tables: StateTables, tq: TieredQuery, allowed: np.ndarray):
    """Per document: its tier (0 phrase, 1 all, 2 some, 3 none), within ``allowed``."""
    tier = np.full(tables.size, 3, dtype=np.int8)
    phrase = np.logical_and.reduce([ix._clause_docs(tables, c) for c in tq.phrases]) & allowed
    counts = np.zeros(tables.size, dtype=np.int32)
    for c in tq.words:
        counts += _word_docs(ix, s, tables, c)
    counts[~allowed] = 0
    n = len(tq.words)
    need = min_words(n)
    while need > 1 and not np.any(counts >= need):
        need -= 1  # never an empty page while some document has a content word
    tier[counts >= need] = 2
    tier[counts >= n] = 1
    tier[phrase] = 0
    return tier


def id_tiers(word_docs: list[set[int]], phrase: set[int]) -> list[set[int]]:
    """The documents of each tier (0 phrase, 1 all, 2 some), as :func:`match_tiers` finds
    them, given the documents of each content word and of the phrase tier as sets of ids
    (the ``postgres`` backend's). Counted in NumPy: a three-word query's or a question's
    words hold 100,000 to 500,000 ids at 100k documents, counted one by one in a dict
    25 to 50 ms a query."""
    n = len(word_docs)
    arrays = [np.fromiter(d, dtype=np.int64, count=len(d)) for d in word_docs if d]
    ids = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
    if ids.size and ids.max() < 8 * ids.size + 1_000_000:  # a count per id up to the largest
        counts = np.bincount(ids)
        held = np.flatnonzero(counts)
        counts = counts[held]
    else:  # sparse ids: sorted instead
        held, counts = np.unique(ids, return_counts=True)
    need = min_words(n)
    top = counts.max() if counts.size else 0
    while need > 1 and top < need:
        need -= 1  # never an empty page while some document has a content word
    every = set(held[counts >= n].tolist()) - phrase
    some = set(held[(counts >= need) & (counts < n)].tolist()) - phrase
    return [set(phrase), every, some]


def rank(ix, s, tables: StateTables, tq: TieredQuery, docs: np.ndarray, sort: str, want: int):
    """(documents matched, those in the phrase or all tier, page [(docnum, score)], the tier
    name of each page entry)."""
    tier = match_tiers(ix, s, tables, tq, docs)
    matched = tier < 3
    whole = tier < 2
    if sort == "date":
        page = [(d, None) for d in tables.by_date(s, matched, want)]
        return matched, whole, page, [TIERS[tier[d]] for d, _ in page]
    page: list[tuple[int, float | None]] = []
    names: list[str] = []
    phrase_q = DefaultOr([c.words for c in tq.phrases])
    words_q = DefaultOr([c.words for c in tq.words + tq.function_words])
    levels = ((0, phrase_q, tq.phrases), (1, words_q, tq.words), (2, words_q, tq.words))
    # the all and some tiers rank by the same words: scored once for both when the all tier
    # cannot fill the page (else the some tier, often most of the matches, is never scored)
    shared: np.ndarray | None = None
    for level, word_q, clauses in levels:
        need = want - len(page)
        if need <= 0:
            break
        members = tier == level
        if not members.any():
            continue
        if level == 1 and np.count_nonzero(members) < need:
            shared = ix._word_scores(s, tables, words_q, (tier == 1) | (tier == 2))
        if level > 0 and shared is not None:
            got = top_scored(shared, members, need)
        else:
            got = ix._word_top(s, tables, word_q, members, need)
        rest = members.copy()
        rest[[d for d, _ in got]] = False
        # the rest of the tier has none of the words as words: by substring strength (one
        # sidecar query a clause, so only when there is such a rest)
        if len(got) < need and rest.any():
            strength = np.sum([ix._strength(tables, c) for c in clauses], axis=0)
            candidates = np.flatnonzero(rest)
            scale = SUBSTRING_SCORE / len(clauses)
            got += [
                (d, scale * float(strength[d]))
                for d in top_by(candidates, strength[candidates], need - len(got))
            ]
        page += got
        names += [TIERS[level]] * len(got)
    return matched, whole, page, names
