""" "Did you mean": the nearest known words to a query's unknown words.

A word is known when the segmentation dictionary or the index has it; a query of known words
gets no suggestion, and the search offers one only when it finds more documents than the
query did (:meth:`indexer.search.index.SearchIndex.search`).

Each query chunk is corrected whole when it is short enough to be one misspelled word, else
word by word: a word the index knows stays; a run of unknown words (the segmenter cuts a
misspelt word into pieces it does not know) is corrected as one word, or else each of its
words is. A correction is the known word nearest to the misspelt one (Damerau-Levenshtein
distance 1 for words of up to four characters, 2 above), the most frequent of the
nearest. Candidates share the word's first character, as staff rarely mistype the first
letter.

Whoosh's corrector computes the distance in Python for every word of the lexicon with the
same first character (half a second for one long Thai chunk at 20k documents); here the
candidates of a first character are listed once per index state, those whose length is too
far off are never compared, and the distances come from RapidFuzz (C++).
"""

from __future__ import annotations

import threading
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from .analysis import normalize, word_texts
from .dictionary import DEFAULT_DICTIONARY, word_list
from .stopwords import is_stopword

FIELD = "text"
# A chunk longer than this is a phrase, not one misspelled word: corrected word by word.
WHOLE_WORD_MAX = 20
# Shorter dictionary words are not taken as spelt right: misspellings segment into them.
DICTIONARY_WORD_MIN = 4


class Speller:
    """Corrections against the word lexicon of one index state (shared by threads)."""

    def __init__(self):
        self._by_first: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def _candidates(self, reader, first: str) -> list[str]:
        got = self._by_first.get(first)
        if got is None:
            terms = [
                t.decode("utf-8") if isinstance(t, bytes) else t
                for t in reader.expand_prefix(FIELD, first)
            ]
            with self._lock:
                got = self._by_first.setdefault(first, terms)
        return got

    def nearest(self, reader, word: str) -> str | None:
        """The known word nearest to ``word``, or None."""
        if len(word) < 3:
            return None
        maxdist = 1 if len(word) <= 4 else 2
        near = [t for t in self._candidates(reader, word[0]) if abs(len(t) - len(word)) <= maxdist]
        found = process.extract(
            word,
            near,
            scorer=DamerauLevenshtein.distance,
            score_cutoff=maxdist,
            limit=None,
        )
        if not found:
            return None
        best = min(found, key=lambda f: (f[1], -reader.doc_frequency(FIELD, f[0]), f[0]))
        return best[0] if best[0] != word else None

    def suggest(
        self, reader, chunks: list[str], dictionary: str = DEFAULT_DICTIONARY
    ) -> str | None:
        """The query with its unknown words corrected; None when nothing changed."""

        words = _dictionary_words(dictionary)

        def indexed(w: str) -> bool:
            return reader.doc_frequency(FIELD, w) > 0

        def known(w: str) -> bool:
            # a dictionary word of a few letters may be a piece of a misspelt word
            # (งบประมาน -> งบ|ประ|มาน): only longer ones, and function words, count
            return (
                indexed(w)
                or is_stopword(w)
                or (len(w) >= DICTIONARY_WORD_MIN and w in words)
                or not any(ch.isalpha() for ch in w)
            )

        changed = False
        out = []
        for chunk in chunks:
            parts = word_texts(normalize(chunk), dictionary)
            whole = "".join(parts)
            # a question is made of known words: nothing to correct (correcting it whole
            # would turn it into whatever indexed word is nearest)
            if known(whole) or all(known(p) for p in parts):
                out.append(whole)
                continue
            candidate = self.nearest(reader, whole) if len(whole) <= WHOLE_WORD_MAX else None
            if candidate:
                out.append(candidate)
                changed = True
                continue
            fixed = []
            # runs of words the index does not know: a misspelt word's pieces may be
            # dictionary words ("เชียง|ไหม่")
            for run_known, run in _runs(parts, indexed):
                joined = "".join(run)
                if run_known:
                    fixed.append(joined)
                    continue
                # a misspelt word is often cut into unknown pieces ("เชียง|ไหม่"): the run
                # of unknown pieces is corrected as one word first, then piece by piece
                candidate = self.nearest(reader, joined) if len(run) > 1 else None
                if candidate is None:
                    pieces = [w if known(w) else self.nearest(reader, w) or w for w in run]
                    candidate = "".join(pieces) if pieces != run else None
                fixed.append(candidate or joined)
                changed = changed or bool(candidate)
            out.append("".join(fixed))
        return " ".join(out) if changed else None


@lru_cache(maxsize=2)
def _dictionary_words(dictionary: str) -> frozenset[str]:
    """The segmentation dictionary's words: a word in it is spelt right, even when no
    document has it yet."""
    return frozenset(word_list(dictionary)[2])


def _runs(words: list[str], known) -> list[tuple[bool, list[str]]]:
    """Consecutive words grouped by whether the index knows them."""
    runs: list[tuple[bool, list[str]]] = []
    for w in words:
        k = known(w)
        if runs and runs[-1][0] == k:
            runs[-1][1].append(w)
        else:
            runs.append((k, [w]))
    return runs
