"""The ``postgres`` backend's tiers from sets of document ids (:func:`indexer.search.tiers.id_tiers`):
the same documents in each tier as counting each word's documents one by one, the rule the
Whoosh backend's masks follow (:func:`~indexer.search.tiers.match_tiers`)."""

from __future__ import annotations

import random

from indexer.search.tiers import id_tiers, min_words


def counted_one_by_one(word_docs: list[set[int]], phrase: set[int]) -> list[set[int]]:
    counts: dict[int, int] = {}
    for docs in word_docs:
        for d in docs:
            counts[d] = counts.get(d, 0) + 1
    n = len(word_docs)
    need = min_words(n)
    while need > 1 and not any(v >= need for v in counts.values()):
        need -= 1
    every = {d for d, v in counts.items() if v >= n} - phrase
    some = {d for d, v in counts.items() if need <= v < n} - phrase
    return [set(phrase), every, some]


def test_a_question_s_words_fall_in_the_tiers_counting_them_one_by_one_gives():
    rng = random.Random(19)
    for trial in range(300):
        n = rng.randint(0, 14)
        # dense ids (counted per id) and, every third trial, ids spread over millions
        top = 5_000_000_000 if trial % 3 == 0 else 3000
        pool = [rng.randrange(1, top) for _ in range(400)]
        word_docs = [set(rng.sample(pool, rng.randint(0, 200))) for _ in range(n)]
        phrase = set(rng.sample(pool, rng.randint(0, 30)))
        assert id_tiers(word_docs, phrase) == counted_one_by_one(word_docs, phrase), trial


def test_a_long_question_no_document_fully_meets_still_has_a_some_tier():
    """Twelve words need four in a document; where none has more than two, two do."""
    word_docs = [{1, 2}, {1, 3}, {4}, *[set() for _ in range(9)]]
    phrase, every, some = id_tiers(word_docs, set())
    assert (phrase, every, some) == (set(), set(), {1})
    assert id_tiers([{1, 2}, {1, 2}, {2}], {2}) == [{2}, set(), {1}]
