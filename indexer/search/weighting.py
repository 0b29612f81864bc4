"""How a word match is scored: Whoosh's BM25F with the standard BM25 idf.

Whoosh's idf is ``log(N / (df + 1)) + 1``: never below 1, so a word in nearly every
document (ที่, ของ, ใน, เป็น) still weighs about a fifth of the rarest word, and a passage
that repeats it often outranks the one with the question's rarer words. The Robertson /
Spärck Jones idf of BM25, ``log(1 + (N - df + 0.5) / (df + 0.5))`` (the form Lucene uses:
always positive), gives such a word nearly nothing and a rare word its full weight. With
it, the query's function words can count like any other word in the score instead of at a
hand-set share (on every question, MRR@10: XQuAD-th 0.9553 -> 0.9576, iapp 0.9777 ->
0.9779; see README "Searching in Thai").

The array scoring (:mod:`indexer.search.ranking`) asks the searcher for each idf, so it
and Whoosh's own matchers give the same scores with this weighting.
"""

from __future__ import annotations

import math

from whoosh import scoring


class RsjIdfBM25F(scoring.BM25F):
    """BM25F (Whoosh's defaults, B=0.75, K1=1.2) with the Robertson/Spärck Jones idf."""

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        df = parent.doc_frequency(fieldname, text)
        n = parent.doc_count_all()
        return math.log(1 + (n - df + 0.5) / (df + 0.5))
