"""Searching the ``postgres`` backend's rows: the same query language, tiers and BM25F as
the Whoosh backend (:mod:`indexer.search.searching`, :mod:`indexer.search.tiers`), with sets
of document ids where that one has NumPy masks.

PostgreSQL finds documents (postings, GIN on the short grams and junction keys,
``pg_trgm`` GIN on the encoded text's pieces; filters on columns) and returns their ids as
one array; :mod:`indexer.search.pg_ranking` then scores a bounded candidate set, never
every match. Which documents hold a never-miss substring, and how that is proven rather
than read wherever it can be, is :mod:`indexer.search.pg_substrings`'s (with the
measurements that shaped it).

Why this design (profiled at 10,000 documents, ``bench/profile_pg_search.py``: each
statement timed, the slowest EXPLAIN (ANALYZE, BUFFERS)ed, on a loaded 2-core machine):
finding a never-miss substring was most of every query kind (word 316 ms of 492, three
words 600 of 830, substring 490 of 725), because ``pg_trgm`` on a document's whole
encoded text (9 KB, compressed into TOAST) hands back thousands of candidates and each
was read back, decompressed and ``LIKE``-matched: 60 us a candidate, of which
decompressing alone was 62 us (lz4 or uncompressed storage did not help). So substrings
are found in short in-line pieces of the encoded text (``khlang_search.pieces``,
migration 0011, ``STORAGE PLAIN``): the trigram index is more selective on a piece and a
candidate costs about 10 us. Facet counts come from each process's copy of the
generation's facet values (:mod:`indexer.search.pg_facets`), not from every match's row. A
question's ranking read its candidates' postings through the postings' document index
(26 ms a question, up to 160 ms for ten words and 3,000 candidates): the impact index now
covers the frequencies (migration 0017) and more than
:data:`~indexer.search.pg_store.HASH_JOIN_AT` candidates are joined by hash to their
words' index-only ranges (10-13 ms); the reads still grow with the words' postings.

Tried and not kept: batches of 1,000 documents instead of 200 (no faster); a question's
postings read a word at a time (a lateral join: 2 to 4 times slower), joined to the
candidates' ids (no faster before the covering index), or kept off the document index (2
to 4 times slower; through the covering index as a filter, ``doc_id + 0 = ANY``, 4 times
slower than the hash join); at 100k, per-document descents into the postings' key instead
of the hash join for a question's 2,766 candidates (81 against 92 ms hot: no clear gain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import pg_substrings as substrings
from . import tiers
from .pg_arrays import id_array
from .pg_chunks import Chunk, chunks
from .pg_filters import filter_conditions
from .pg_ranking import Lexicon, Scorer, word_clauses
from .pg_rows import encode_chunk
from .pg_store import Store, by_date
from .pg_substrings import JUNCTION_WITHIN
from .query import parse
from .spelling import Speller

# a one-word chunk's proven documents spare confirming the others' pieces only when those
# are at most this many times as many: the pieces of the others cost about 10 us a
# document (their key's bitmap ANDed with the trigrams'), every piece holding the chunk's
# trigrams about 27 us a document holding it. At 100k (pg_substrings.piece_docs, 64 MB),
# the others' then every piece, ms: จังหวัด (37,783 proven, 62,217 others) 631 and 1,013;
# ประชาชน (53,354 and 46,646) 564 and 1,509; การประชุม (20,885 and 79,115) 1,093 and 645;
# ตำบล (7,598 and 92,402) 573 and 120. At 10k (before the bitmaps ANDed), 1 was best of 1
# and 20
PROOF_PAYS = 2.5

# the most words starting with a chunk whose postings are read to prove it (the commonest):
# a syllable such as ต่อ, in 7,461 documents of 10k, inside ต่อไป, ต่อเนื่อง ... was confirmed
# in 20,000 pieces (170-200 ms), the documents with those words among them
PROOF_TERMS = 64

# of a chunk's documents within given ones, at most this many left once its own word
# proved the others have their pieces read (more are asked as all documents are)
READ_REST = 100


@dataclass
class State:
    """The live generation a search reads: its id and BM25 statistics."""

    gen: int
    n: int
    avg: dict[str, float]
    proofs: bool = False  # its postings say which are unaligned (migration 0016)
    junctions: bool = False  # its documents have junction keys (pg_rows.Junctions)
    reach: int = 2  # their long side's characters (pg_rows.JUNCTION_REACH from layout 4)
    pieces: float = 6.0  # pieces a document on average (at 100k: 6.05)


class Searcher:
    """One search on one state (see :meth:`PostgresBackend.search`)."""

    def __init__(self, store: Store, state: State, dictionary: str, published_only: bool):
        self.store, self.state, self.dictionary = store, state, dictionary
        self.scorer = Scorer(store, state)
        self.published_only = published_only
        self.base: list[tuple[str, list]] = []  # the column filters, as SQL
        self.required: list[Chunk] = []  # chunks every match holds (+word, "phrase")
        self.excluded: list[Chunk] = []  # chunks no match holds (-word)
        self._filtered: set[int] | None = None
        self._allowed: set[int] | None = None
        self._substrings: dict[str, set[int]] = {}
        self._term_docs: dict[str, set[int]] = {}
        self._proofs: dict[str, Any] = {}  # chunk -> its proving words
        self._crossing: dict[str, set[int]] = {}  # chunk -> where it may cross words
        # chunk -> the documents whose pieces were read for it -> its pieces holding it
        # (see countable)
        self._hits: dict[str, dict[int, int]] = {}
        self._partly_proven: set[str] = set()  # chunks some of whose words proved documents
        self._proven_whole: dict[str, set[int]] = {}  # chunk -> proven by all its words
        self._crossing_asked: set[str] = set()  # chunks of those whose crossings were asked

    def docs(self, extra: tuple[str, list] | None = None) -> set[int]:
        parts = self.base + ([extra] if extra else [])
        sql = " AND ".join(p for p, _ in parts) or "true"
        return self.store.matching(self.state.gen, sql, [x for _, ps in parts for x in ps])

    def constrained(self) -> bool:
        """Whether matches are cut by filters or by required or excluded chunks."""
        return bool(self.base or self.required or self.excluded)

    def substring_docs(self, c: Chunk) -> set[int]:
        """Documents containing the chunk (asked once a chunk a search), of those
        :meth:`allowed`. A chunk that fits a piece is read from the pieces alone (joining
        each match's document row cost 15-20 ms a common word at 10k documents)."""
        got = self._substrings.get(c.encoded)
        if got is None:
            if any(r.encoded == c.encoded for r in self.required):
                got = self.allowed(None)  # every allowed document holds it
            else:
                got = self.holding(c, self.allowed(None) if self.constrained() else None)
            self._substrings[c.encoded] = got
        return got

    def in_pieces(self, c: Chunk, within: set[int] | None) -> set[int]:
        """The documents (of ``within``; None: all) whose pieces hold a chunk that fits a
        piece. A one-word chunk's postings prove most of them (:meth:`proven`): only the
        others' pieces are confirmed (:meth:`read_pieces`): always within given documents
        (fewer to read than all of them: a three-word query's later words confirmed 50 ms
        a query at 10k documents), else when the proven are not too few for that to pay.
        On a generation with junction keys, every word holding the chunk proves it and
        only where it may cross words is read (:meth:`joined`). The pieces read are kept
        (``_hits``) for ranking a large substring-only tier, where the chunk's documents
        are all either read or proven by every word holding it."""
        if self.state.junctions and within is not None:
            found = self.proven_within(c, within)
            if found is not None:
                return found
        if self.state.junctions and len(c.encoded) <= substrings.JUNCTION_CHUNK:
            joined = self.joined(c, within)
            if joined is not None:
                found, crossing, read = joined
                self._crossing[c.encoded] = crossing
                self._hits.setdefault(c.encoded, {}).update(read)
                return found
        proven = self.proven(c, within)
        if proven:
            rest = (self.filtered(None) if within is None else within) - proven
            if within is not None or len(rest) <= PROOF_PAYS * len(proven):
                self.ranked_by_postings(c, proven)
                return proven | self.read_pieces(c, rest, len(proven)).keys() if rest else proven
        return set(self.read_pieces(c, within))

    def proven_within(self, c: Chunk, within: set[int]) -> set[int] | None:
        """Those of ``within`` holding the chunk, on a generation with junction keys, when
        its own word's postings leave few to look at; None: ask as of all documents.

        Those with the chunk as a word of their own are proven by its postings (the word's
        documents, which its word tier reads anyway). Of the rest, a few have their pieces
        read (asking every word holding the chunk, up to 300,000 postings, to prove it in
        ten documents cost more than their pieces); more are asked as all documents are
        (:func:`~indexer.search.pg_substrings.joined_docs`), but only they. Proving ที่ in
        the 18,237 documents holding ศุกร์ read the 300 words holding it (38 ms) where its
        own postings left a handful; นางสาว's 1,000 left of รัชดา's long documents were
        read in 154 ms, asked so in 40."""
        proven = self.own_word_docs(c, within)
        rest = within - proven
        short = len(c.encoded) <= substrings.JUNCTION_CHUNK
        if len(rest) <= JUNCTION_WITHIN and (len(rest) <= READ_REST or not (proven and short)):
            found = self.read_pieces(c, rest, len(proven)).keys()
        elif proven and short and (joined := self.joined(c, rest)) is not None:
            found = joined[0]
        else:
            return None
        if proven:
            self._partly_proven.add(c.encoded)  # its pieces were not all counted
        return proven | found

    def joined(self, c: Chunk, within: set[int] | None):
        """:func:`~indexer.search.pg_substrings.joined_docs` of the chunk, in one snapshot
        with the words holding it asked afresh (a document changed between the statements
        is neither missed nor half seen); None when too many words hold it."""
        with substrings.snapshot(self.store):
            self._proofs.pop(c.encoded, None)  # the words as of this snapshot
            words, every = self.containing(c)
            if not every:
                return None
            return substrings.joined_docs(
                self.store, self.state.gen, c.encoded, words, within, self.sizes(), self.state.reach
            )

    def sizes(self) -> tuple[float, float]:
        """The generation's pieces and words a document
        (:func:`~indexer.search.pg_substrings.suspects_by_key`)."""
        return self.state.pieces, self.state.avg["text"]

    def own_word_docs(self, c: Chunk, within: set[int] | None) -> set[int]:
        """Those of ``within`` (None: all) having the chunk as a word of their own, but
        where that word is ``unaligned`` (a posting proves it: :meth:`proven`); none for a
        chunk that is not one word, or without the postings' proofs. A new set."""
        word = c.one_word()
        if word is None or not self.state.proofs or not self.scorer.stats([word]):
            return set()
        got = self.term_docs(word) if within is None else self.term_docs(word) & within
        return got - substrings.unaligned_docs(self.store, self.state.gen, word) if got else set()

    def ranked_by_postings(self, c: Chunk, proven: set[int]) -> None:
        """Say how a chunk's documents ``proven`` by postings rank in :func:`likeliest`:
        by every word holding it (junction keys on), with those where it may also cross
        words (whose postings miss those occurrences) always counted; with only some of
        those words (a document with the chunk mostly inside the others would rank low),
        not at all: its tier is counted whole. Where it may cross words is asked only
        when a tier is cut (:meth:`crossing`), not for every such chunk."""
        if self.state.junctions and self.containing(c)[1]:
            self._proven_whole[c.encoded] = proven
        else:
            self._partly_proven.add(c.encoded)

    def crossing(self, c: Chunk) -> set[int]:
        """The chunk's documents where it may cross from one word into the next (junction
        keys): found with its documents, or, for those proven by postings
        (:meth:`ranked_by_postings`), asked now."""
        proven = self._proven_whole.get(c.encoded)
        if proven is not None and c.encoded not in self._crossing_asked:
            self._crossing_asked.add(c.encoded)
            found = substrings.junction_docs(
                self.store, self.state.gen, c.encoded, self.state.reach
            )
            self._crossing[c.encoded] = self._crossing.get(c.encoded, set()) | (found & proven)
        return self._crossing.get(c.encoded, set())

    def read_pieces(self, c: Chunk, within: set[int] | None, proven: int = 0) -> dict[int, int]:
        """:func:`~indexer.search.pg_substrings.read_pieces` of the chunk (``proven``: the
        documents postings proved to hold it), kept in ``_hits``."""
        found = substrings.read_pieces(
            self.store, self.state.gen, c.encoded, within, proven, self.sizes()
        )
        self._hits.setdefault(c.encoded, {}).update(found)
        return found

    def countable(self, c: Chunk) -> bool:
        """Whether a large substring-only tier may count only the chunk's likeliest
        documents (:func:`~indexer.search.pg_substrings.likeliest`): each of its documents
        was read, or proven by every word holding it."""
        known = c.encoded in self._hits or c.encoded in self._proven_whole
        return known and c.encoded not in self._partly_proven

    def proven(self, c: Chunk, within: set[int] | None) -> set[int]:
        """The documents (of ``within``; None: all) postings prove to hold the chunk: those
        with it as a word, or with another word holding it (:meth:`proof_words`: ต่อ in
        ต่อไป, เพื in เพื่อ; with junction keys also ต่อ in ติดต่อ), but where that word is
        ``unaligned``."""
        if not self.state.proofs:
            return set()
        got = self.own_word_docs(c, None)
        word = c.one_word()
        longer = [w for w in self.proof_words(c) if w != word]
        if longer:
            got |= substrings.aligned_docs(self.store, self.state.gen, longer)
        return got if within is None else got & within

    def proof_words(self, c: Chunk) -> list[str]:
        """The words whose postings prove the chunk (see :meth:`proven`): the chunk's
        own word, if any document has it, and the commonest words starting with it whose
        encoding holds its; with junction keys, the words holding it anywhere
        (:meth:`containing`); none without the postings' proofs (asked once a search; one
        generation a search, so the cache holds one kind)."""
        if self.state.junctions:
            return self.containing(c)[0]
        got = self._proofs.get(c.encoded)
        if got is None:
            got = []
            if self.state.proofs:
                word = c.one_word()
                if word is not None and self.scorer.stats([word]):
                    got.append(word)
                got += [
                    t
                    for t in substrings.prefixed_terms(
                        self.store, self.state.gen, c.norm, PROOF_TERMS
                    )
                    if t != word and c.encoded in encode_chunk(t)
                ]
            self._proofs[c.encoded] = got
        return got

    def containing(self, c: Chunk) -> tuple[list[str], bool]:
        """:func:`~indexer.search.pg_substrings.containing_terms`, once a chunk a search."""
        got = self._proofs.get(c.encoded)
        if got is None:
            got = self._proofs[c.encoded] = substrings.containing_terms(
                self.store, self.state.gen, c.norm, c.encoded
            )
        return got

    def term_docs(self, word: str) -> set[int]:
        """The documents with ``word`` in any word field (asked once a search)."""
        got = self._term_docs.get(word)
        if got is None:
            got = self._term_docs[word] = self.store.term_docs(self.state.gen, word)
        return got

    def every_substring_docs(self, cs: list[Chunk]) -> set[int]:
        """Documents containing every chunk: the rarest chunk's (by its words' document
        frequencies) first, then each next chunk looked for only in those documents'
        pieces (the trigram index would hand back every piece of a common word)."""
        stats = self.scorer.stats(sorted({w for c in cs for w in c.words}))

        def rarity(c: Chunk) -> int:
            return min(stats.get(w, (0,))[0] for w in c.words)

        found: set[int] | None = None
        for c in sorted(cs, key=rarity):
            if found is None or c.encoded in self._substrings:
                got = self.substring_docs(c)
                found = got if found is None else found & got
            elif found:
                found = self.holding(c, found)
        return found or set()

    def holding(self, c: Chunk, within: set[int] | None) -> set[int]:
        """Those of ``within`` (None: every document) holding the chunk, within given
        documents their pieces alone read."""
        if within is not None and not within:
            return set()
        if c.fits_a_piece():
            return self.in_pieces(c, within)
        if len(c.encoded) < 3:  # by the grams' index, not each row's grams
            got = substrings.gram_docs(self.store, self.state.gen, c.encoded)
            return got if within is None else within & got
        sql, params = c.substring()
        if within is None:
            return self.docs((sql, params))
        return self.docs((f"doc_id = ANY(%s::bigint[]) AND {sql}", [id_array(within), *params]))

    def word_docs(self, c: Chunk) -> set[int]:
        """Documents with the chunk's word: from its postings (an index-only range; a plan
        reading the ``tsvector`` of every match took 150-220 ms at 10k documents), of those
        :meth:`allowed`. Its substring when no document has it as a word, or when the chunk
        is several words."""
        if len(c.words) == 1 and self.scorer.stats(c.words):
            got = self.term_docs(c.words[0])
            return self.allowed(got) if self.constrained() else got
        return self.substring_docs(c)

    def rank_tier(self, members: set[int], cs: list[Chunk], extra: list[Chunk], need: int):
        """The ``need`` best of ``members``: word matches by BM25F, then substring-only
        ones by strength."""
        clauses = word_clauses(cs + extra)
        words = sorted({w for _, ws in clauses for w in ws})
        candidates = self.scorer.candidates(words, members, need)
        scores = self.scorer.scores(clauses, id_array(candidates))
        got = sorted(scores.items(), key=lambda ds: (-ds[1], ds[0]))[:need]
        if len(got) < need:
            left = need - len(got)
            rest = members - set(scores)
            # a large tier is cut to its likeliest members only when each chunk's documents
            # were read (their pieces counted) or proven by every word holding it (their
            # postings counted); where it may cross words (junction keys) all are counted
            if len(rest) > substrings.COUNTED and all(self.countable(c) for c in cs):
                rest = substrings.likeliest(
                    self.store,
                    self.state.gen,
                    [self.proof_words(c) for c in cs],
                    [self._hits.get(c.encoded, {}) for c in cs],
                    rest,
                    left,
                    set().union(*(self.crossing(c) for c in cs)),
                )
            got += substrings.substring_top(self.store, self.state.gen, cs, rest, left)
        return got

    def filtered(self, docs: set[int] | None) -> set[int]:
        """Those of ``docs`` (None: all) the column filters let through; a piece search
        reads only theirs. The filters' documents are read once a search, from the
        covering index: a word or piece match filtered in one query read every candidate's
        wide row (180 ms a filtered word at 10k documents)."""
        if self._filtered is None:
            self._filtered = self.docs()
        return self._filtered if docs is None else docs & self._filtered

    def allowed(self, docs: set[int] | None) -> set[int]:
        """Those of ``docs`` (None: all) the filters let through, holding every required
        chunk and no excluded one: found once a search as any chunk is (proofs, junction
        keys, pieces within the filtered), not as a condition joined to each word's query
        (a quoted phrase beside four words was asked five times: 590 ms at 100k)."""
        if self._allowed is None:
            got = self.filtered(None) if self.base else None
            for c in self.required:
                got = self.holding(c, got)
            if got is None:
                got = self.filtered(None)
            for c in self.excluded:
                got = got - self.holding(c, got)
            self._allowed = got
        return self._allowed if docs is None else docs & self._allowed

    def prepare(self, pq, match: str) -> None:
        self._substrings = {}
        self._term_docs = {}
        self._proofs = {}
        self._crossing = {}
        self._hits = {}
        self._partly_proven = set()
        self._proven_whole = {}
        self._crossing_asked = set()
        self._filtered = self._allowed = None
        self.base = filter_conditions(pq, self.published_only)
        self.excluded = chunks(pq.excluded, self.dictionary)
        self.required = chunks(
            pq.required + (pq.phrases if match == "default" else []), self.dictionary
        )

    def ranked(self, pq, match: str, sort: str, want: int):
        """(matched ids, count with the whole query, page [(doc, score)], tier names)."""
        self.prepare(pq, match)
        positive = chunks(pq.positive, self.dictionary)
        if not positive:
            docs = self.allowed(None)
            page = self.dated_page(docs, want)
            return docs, len(docs), page, [None] * len(page)
        if match == "default":
            return self._tiers(pq, sort, want)
        return self._all(positive, sort, want)

    def _tiers(self, pq, sort: str, want: int):
        tq = tiers.TieredQuery(pq, self.dictionary)
        phrases = chunks([c.text for c in tq.phrases], self.dictionary)
        words = chunks([c.text for c in tq.words], self.dictionary)
        function_words = chunks([c.text for c in tq.function_words], self.dictionary)
        phrase = self.every_substring_docs(phrases)
        levels = tiers.id_tiers([self.word_docs(c) for c in words], phrase)
        matched = set().union(*levels)
        whole = len(levels[0]) + len(levels[1])
        if sort == "date":
            page = self.dated_page(matched, want)
            named = [
                next(t for t, ds in zip(tiers.TIERS, levels, strict=True) if d in ds)
                for d, _ in page
            ]
            return matched, whole, page, named
        page, names = [], []
        for level, cs, extra in (
            (0, phrases, []),
            (1, words, function_words),
            (2, words, function_words),
        ):
            left = want - len(page)
            if left <= 0:
                break
            members = levels[level]
            if members:
                got = self.rank_tier(members, cs, extra, left)
                page += got
                names += [tiers.TIERS[level]] * len(got)
        return matched, whole, page, names

    def _all(self, positive: list[Chunk], sort: str, want: int):
        matches = [self.substring_docs(c) for c in positive]
        docs = set().union(*matches)
        tier1 = set.intersection(*matches)
        if sort == "date":
            page = self.dated_page(docs, want)
            return docs, len(tier1), page, ["phrase" if d in tier1 else "some" for d, _ in page]
        page, names = [], []
        for name, members in (("phrase", tier1), ("some", docs - tier1)):
            left = want - len(page)
            if left > 0 and members:
                got = self.rank_tier(members, positive, [], left)
                page += got
                names += [name] * len(got)
        return docs, len(tier1), page, names

    def dated_page(self, docs: set[int], want: int) -> list[tuple[int, None]]:
        """The page of the ``want`` most recent of ``docs`` (unscored)."""
        return [(d, None) for d in by_date(self.store, self.state.gen, docs, want, self.state.n)]

    def suggestion(self, pq, match: str, whole: int) -> str | None:
        """:meth:`RankedSearch._better_spelling`'s rule on these rows."""
        candidate = Speller().suggest(Lexicon(self.scorer), pq.positive, self.dictionary)
        if candidate is None:
            return None
        fixed = parse(candidate)
        fixed.filters, fixed.excluded = pq.filters, pq.excluded
        fixed.excluded_filters = pq.excluded_filters
        _docs, fixed_whole, _page, _names = self.ranked(fixed, match, "relevance", 0)
        return candidate if fixed_whole > whole else None
