"""The ``postgres`` backend's never-miss substrings, in SQL: which documents hold a chunk,
proven by postings where they can be and confirmed in the pieces where not (``pg_trgm``
finds them, ``LIKE`` confirms), and how strongly a substring-only match holds its chunks.
:class:`indexer.search.pg_search.Searcher` decides which of these to ask.

How it came to this, step by step (``bench/profile_pg_search.py``, 2 cores):

* A common word's phrase tier confirmed every piece holding its trigrams with ``LIKE``
  (26,833 pieces, 270 ms, for one word at 10k). A one-word chunk's postings now prove most
  documents: a posting is proof unless its word was cut off its syllable units (migration
  0016's ``unaligned``, a few in 100,000), and only the other documents' pieces are read.
* A short chunk inside many longer words (การ, ต่อ, the เพื of เพื่อ) was confirmed in each
  of those documents' pieces (170-240 ms at 10k): the postings of the commonest words
  starting with it prove those documents too.
* At 100k, the other documents were still tens of thousands (จังหวัด: 37,783 proven, 62,217
  others, 1,256 of which hold it inside other words). Reading their pieces took the planner
  3.3 s; with the trigram and key bitmaps ANDed and kept exact (:func:`piece_docs`) 0.6 s,
  still far over the issue's 200 ms. Hence the junction keys (layout 3,
  :class:`~indexer.search.pg_rows.Junctions`): a substring lies inside one word, and then
  the postings of every word of the archive holding it prove it (:func:`containing_terms`),
  or it crosses where two words meet, and then the document holds one of the chunk's
  junction keys (:func:`junction_docs`, one GIN index): only those few are read
  (:func:`joined_docs`).
* Keys two characters a side matched by chance: most documents read for การประเมิน were
  those with การ|ประชุม. Layout 4's keys reach five characters on their long side
  (:data:`~indexer.search.pg_rows.JUNCTION_REACH`): the mix's piece reads 4.2-4.8 -> 2.8 s.
* A substring-only tier's strength counted every member's pieces (1.4 s for กระทรว in
  22,756 documents at 30k): a large tier now counts only its likeliest members
  (:func:`likeliest`), where the words proving the chunk occur most, from their postings.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg

from schemas.search_index import PIECE_OVERLAP
from schemas.search_tables import partition

from .analysis import unit_runs
from .pg_arrays import id_array
from .pg_rows import PIECE_CHUNK, chunk_junctions, like, word_code
from .pg_store import GenerationGone
from .searching import SUBSTRING_SCORE

if TYPE_CHECKING:
    from .pg_chunks import Chunk
    from .pg_store import Store

# a substring-only tier larger than this has only its likeliest members counted (the
# documents where the chunk's proving words occur most, this many a chunk, and at least
# four times a page)
COUNTED = 500


# the memory of a piece search: its bitmaps (the pieces holding the chunk's trigrams, and
# within given documents their pieces, ANDed) stay exact; past the default 4 MB they went
# lossy at 100k documents, and every piece of a lossy page was read (จังหวัด in every
# document's pieces: 1,557 ms, 1,013 so)
PIECE_SEARCH_MEMORY = "64MB"


def piece_docs(
    store: Store, gen: int, encoded: str, within: list[int] | None = None, *, by_key: bool = False
) -> dict[int, int]:
    """The documents (of ``within``: only their pieces are read) with a piece holding the
    encoded chunk, each with how many of its pieces do (read in the same pass: a large
    substring-only tier counts its occurrences only in the documents with most, see
    :func:`likeliest`).

    Within given documents, the pieces the trigram index finds and those of the given
    documents are ANDed as bitmaps before a piece is read. Left to itself the planner read
    every given document's pieces through the key and ``LIKE``-matched each (at 100k
    documents, confirming จังหวัด in the 62,217 documents no posting proves: 288,316 pieces,
    3.2 to 3.4 s); ANDed, with bitmaps kept exact, 580 to 650 ms, and 90 instead of 140 to
    170 ms within 5,000 documents.

    ``by_key``: only the given documents' pieces are read, through the key, the trigram
    index left aside (see :func:`read_by_key`), and each is searched with ``strpos``
    rather than matched with ``LIKE``: at 100k, over 17,587 pieces (670 characters each),
    ``LIKE '%chunk%'`` took 161 to 167 ms, ``strpos`` 62 (the index's way must recheck
    with ``LIKE``, the operator its index answers)."""
    query, params = piece_query(gen, encoded, within, by_key)
    conn = store.conn()
    with conn.transaction():
        conn.execute(piece_plan(within is not None, by_key))
        ids, pieces = store.one(query, params, binary=True)
        return dict(zip(ids or (), pieces or (), strict=True))


def piece_query(
    gen: int, encoded: str, within: list[int] | None, by_key: bool = False
) -> tuple[str, tuple]:
    """:func:`piece_docs`'s statement and parameters."""
    if by_key and within is not None:
        holds, needle = "strpos(units, %s) > 0", encoded
    else:
        holds, needle = "units LIKE %s", like(encoded)
    if within is None:
        sql, params = "", (gen, needle)
    else:
        sql, params = " AND doc_id = ANY(%s::bigint[])", (gen, needle, within)
    return (
        "SELECT array_agg(doc_id), array_agg(n) FROM (SELECT doc_id, count(*) AS n"
        f" FROM khlang_search.pieces WHERE gen = %s AND {holds}{sql} GROUP BY doc_id) p"
    ), params


# the cost the planner gives an operator, within given documents by the trigram index: at
# its default (0.0025) checking each piece's key against the documents looked dearer than
# reading every piece the trigram index hands back, and the two bitmaps were never ANDed
# (ว่าการ in 7,850 documents where it may cross words: 106,587 pieces read, 494 ms; their
# bitmap ANDed with the documents', 9,061 pieces, 110 ms)
AND_OPERATOR_COST = "0.0001"


def piece_plan(within: bool, by_key: bool) -> str:
    """The settings :func:`piece_docs` runs under, each set either way, since a SET LOCAL
    outlives its savepoint (to the end of a snapshot). By key: GIN answers only bitmap
    scans, so with those off the key's index is what is left."""
    on = {
        "enable_bitmapscan": not by_key,
        "enable_indexscan": not within or by_key,
        "enable_seqscan": not by_key,
    }
    plan = [f"SET LOCAL {k} = {'on' if v else 'off'}" for k, v in on.items()]
    operator = AND_OPERATOR_COST if within and not by_key else "DEFAULT"
    return "; ".join(
        [
            *plan,
            f"SET LOCAL work_mem = '{PIECE_SEARCH_MEMORY}'",
            f"SET LOCAL cpu_operator_cost = {operator}",
        ]
    )


def unaligned_docs(store: Store, gen: int, term: str) -> set[int]:
    """The documents having ``term`` as a word whose encoding is not in their encoded
    text (a partial index of the few)."""
    got = store.one(
        "SELECT array_agg(doc_id) FROM khlang_search.postings WHERE gen = %s AND term = %s"
        " AND unaligned",
        (gen, term),
        binary=True,
    )[0]
    return set(got or ())


def prefixed_terms(store: Store, gen: int, prefix: str, k: int) -> list[str]:
    """The ``k`` words in most documents that start with ``prefix`` (the terms' key
    range)."""
    return [
        r[0]
        for r in store.rows(
            "SELECT term FROM khlang_search.terms WHERE gen = %s AND df > 0"
            " AND term > %s AND term < %s ORDER BY df DESC, term LIMIT %s",
            (gen, prefix, prefix + "\U0010ffff", k),
        )
    ]


# within at most this many documents, a chunk's pieces are read at once (about 10 us a
# document) rather than every word holding it asked (21 ms for the words at 100k)
JUNCTION_WITHIN = 2000

# the longest chunk (encoded characters) found through junction keys: a longer one crosses
# words at more places, some of them common junctions (a question's text met half the
# documents' keys), while its many trigrams are selective in the pieces. At 100k, 16 made
# ผู้ประกอบกา (crossing ผู้ประกอบ|การ in most of its 20,244 documents) 2.1 -> 3.4 s. Fitted on
# layout 3's short keys; not yet again on layout 4's, which match far fewer by chance
JUNCTION_CHUNK = 10

# the most postings read to prove a chunk inside words: past them (a syllable such as การ,
# inside 1,450 words with 1.3 million postings at 100k documents) the commonest words'
# postings prove some documents and the others' pieces are read, as without junction keys
PROOF_POSTINGS = 300_000


def containing_terms(store: Store, gen: int, norm: str, encoded: str) -> tuple[list[str], bool]:
    """The words of the archive holding the chunk (their encoding holds its), the commonest
    first, as many as :data:`PROOF_POSTINGS` postings; and whether that is all of them.
    ``LIKE`` on the raw words finds those holding the chunk's units in order, through the
    words' trigram index (migration 0018: 0.2 to 2.5 ms at 100k documents, where reading
    all 168,956 words took 10 to 21 ms); the encodings then tell ข้าว from ข่าว."""
    pattern = "%".join(like(run)[1:-1] for run in unit_runs(norm))
    rows = store.rows(
        "SELECT term, df FROM khlang_search.terms WHERE gen = %s AND df > 0 AND term LIKE %s"
        " ORDER BY df DESC, term",
        (gen, f"%{pattern}%"),
    )
    words, postings = [], 0
    for term, df in rows:
        if encoded not in word_code(term):
            continue
        if postings + df > PROOF_POSTINGS:
            return words, False
        words.append(term)
        postings += df
    return words, True


def gram_docs(store: Store, gen: int, encoded: str) -> set[int]:
    """The documents holding a chunk of one or two encoded characters (its aligned gram,
    :func:`~indexer.search.analysis.short_grams`), by the GIN index alone (asked through
    the parent table, the planner read every document's grams: 582 ms for one such chunk at
    100k documents, their arrays grown by the junction keys)."""
    return _by_grams(store, gen, "grams @> %s::text[]", [[encoded]])


def junction_docs(store: Store, gen: int, encoded: str, reach: int) -> set[int]:
    """The documents where the chunk may cross from one word into the next: those holding
    its junction keys at one of its places (:func:`~indexer.search.pg_rows.chunk_junctions`,
    ``reach`` the generation's): one GIN index, no text read (given documents are kept by
    the caller: an array of every published one cost 3 us a document)."""
    places = chunk_junctions(encoded, reach)
    condition = " OR ".join(["grams @> %s::text[]"] * len(places))
    return _by_grams(store, gen, condition, places)


def _by_grams(store: Store, gen: int, condition: str, params: list) -> set[int]:
    """The documents of generation ``gen`` meeting a condition on their ``grams``, found by
    its GIN index. Asked of the generation's own table: through the parent with gen = N, the
    planner read every document's keys through the key's index (473 ms for การประชุม's
    junction keys at 3,000 documents; the GIN index alone, 0.6 ms)."""
    sql = f"SELECT array_agg(doc_id) FROM {partition('documents', gen)} WHERE ({condition})"
    conn = store.conn()
    try:
        with conn.transaction():
            # never each document's array read and compared (the planner, misjudging the
            # arrays' selectivity, scanned them: 2.9 s a question at 3,000 documents)
            conn.execute("SET LOCAL enable_seqscan = off")
            return set(store.one(sql, params, binary=True)[0] or ())
    except psycopg.errors.UndefinedTable as exc:  # dropped by a swap since the search began
        raise GenerationGone(f"search generation {gen} was replaced during a search") from exc


# reading a few documents' pieces by the key costs about this many us a piece; the trigram
# index's way at least this many ms plus this many us a document the postings proved to hold
# the chunk (each has a piece among those the index hands back: the planner takes the
# trigram condition for 61 rows where it met 84,580, ANALYZE having left the pieces, over 1
# KB, out of the statistics). Fitted on the 104 joined_docs confirmations of the query mix
# at 100k (both ways timed, ``bench.pg_piece_ways``): 6,103 ms the trigram way, 5,135 so,
# 4,133 the better of the two each time; เรื่อง's 1,323 suspects 373 -> 49 ms. With the
# suspects' own length asked (:func:`suspects_by_key`) and the bitmaps ANDed
# (:data:`AND_OPERATOR_COST`), on a slower machine: 8,537 ms the trigram way before, 4,063
# now; as chosen 7,151 before, 3,627 now; the better each time 3,468. Once pieces read by
# key were searched with strpos (by key in all 30,635 -> 9,085 ms), fitted again on the 108
# confirmations (as chosen, ms): 7 us 3,759; 4.5 3,695; 3 3,548; 2 3,205; 1.5 3,090; 1
# 3,246; the better way each time 2,857 to 2,961
KEY_PIECE_US = 2.0
TRIGRAM_MS, TRIGRAM_PROVEN_US = 10.0, 3.0


def read_by_key(pieces: float, proven: int) -> bool:
    """Whether documents of about ``pieces`` pieces in all should have them read
    (:func:`piece_docs` ``by_key``) rather than the trigram index's pieces filtered to
    them, the chunk being proven by postings in ``proven`` documents."""
    return pieces * KEY_PIECE_US / 1000 <= TRIGRAM_MS + proven * TRIGRAM_PROVEN_US / 1000


def suspects_by_key(
    store: Store, gen: int, suspects: set[int], proven: int, sizes: tuple[float, float]
) -> bool:
    """:func:`read_by_key` for the ``suspects`` of :func:`joined_docs`, ``sizes`` the
    generation's (pieces, words) a document on average. Where their number says their own
    pieces may be fewer to read, their length is asked (from the covering index, about 4
    us a document): documents where a chunk may cross words are the long ones (รัชดา's 403
    had 38,575 pieces, 96 each, where the average is 6: read by key 317 ms, the trigram
    way 60)."""
    pieces, words = sizes
    if not read_by_key(len(suspects) * pieces, proven):
        return False
    return read_by_key(store.text_words(gen, suspects) * pieces / max(words, 1.0), proven)


def read_pieces(
    store: Store,
    gen: int,
    encoded: str,
    within: set[int] | None,
    proven: int,
    sizes: tuple[float, float],
) -> dict[int, int]:
    """:func:`piece_docs` of the chunk in ``within`` (None: every document), their own
    pieces read by key where :func:`suspects_by_key` says so (``proven``: the documents
    postings proved to hold it, whose pieces the trigram way reads too). At 100k, the mix's
    108 confirmations of crossing suspects took 3,205 ms as chosen (4,309 the trigram way),
    its 24 reads within a few given documents 161 ms (367 to 391 the trigram way)."""
    if within is None:
        return piece_docs(store, gen, encoded)
    by_key = suspects_by_key(store, gen, within, proven, sizes)
    return piece_docs(store, gen, encoded, id_array(within), by_key=by_key)


def joined_docs(
    store: Store,
    gen: int,
    encoded: str,
    words: list[str],
    within: set[int] | None,
    sizes: tuple[float, float],
    reach: int,
) -> tuple[set[int], set[int], dict[int, int]]:
    """(the documents of ``within`` (None: all) holding a chunk, those of them where it may
    cross words, the pieces holding it of those read), on a generation with junction keys,
    given every word of the archive holding it (:func:`containing_terms` complete): those
    words' postings prove the chunk inside a word, and only the documents where it may
    cross words (:func:`junction_docs`) and no posting proves it have their pieces read
    (``sizes``: the generation's pieces and words a document, :func:`suspects_by_key`;
    ``reach``: its junction keys', :func:`junction_docs`)."""
    proven = aligned_docs(store, gen, words) if words else set()
    crossing = junction_docs(store, gen, encoded, reach)
    if within is not None:
        proven &= within
        crossing &= within
    suspects = crossing - proven
    hits = {}
    if suspects:
        hits = read_pieces(store, gen, encoded, suspects, len(proven), sizes)
    proven |= hits.keys()
    return proven, crossing & proven, hits


@contextmanager
def snapshot(store: Store) -> Iterator[None]:
    """The statements inside see the database as of one moment (one read-only, repeatable
    read transaction): a document changed between a proof's statements is then neither
    missed nor half seen."""
    conn = store.conn()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def aligned_docs(store: Store, gen: int, terms: list[str]) -> set[int]:
    """The documents with one of ``terms`` as a word and none of them ``unaligned``
    (two index-only reads: the postings' rows themselves were 130 ms for 64 words)."""
    got, unaligned = store.one(
        "SELECT (SELECT array_agg(doc_id) FROM khlang_search.postings WHERE gen = %s"
        " AND term = ANY(%s)), (SELECT array_agg(doc_id) FROM khlang_search.postings"
        " WHERE gen = %s AND term = ANY(%s) AND unaligned)",
        (gen, terms, gen, terms),
        binary=True,
    )
    return set(got or ()) - set(unaligned or ())


def most_frequent(store: Store, gen: int, terms: list[str], k: int) -> list[int]:
    """The ``k`` documents where ``terms`` occur most often together (every field), from
    their postings alone (the impact index covers the frequencies: index-only)."""
    return [
        r[0]
        for r in store.rows(
            "SELECT doc_id FROM khlang_search.postings WHERE gen = %s AND term = ANY(%s)"
            " GROUP BY doc_id ORDER BY sum(tf_title + tf_meta + tf_text) DESC, doc_id LIMIT %s",
            (gen, terms, k),
        )
    ]


def likeliest(
    store: Store,
    gen: int,
    proofs: list[list[str]],
    hits: list[dict[int, int]],
    members: set[int],
    need: int,
    crossing: set[int],
) -> set[int]:
    """Which of a large substring-only tier's ``members`` to count (:func:`substring_top`):
    for each chunk, the :data:`COUNTED` documents where the words holding it (``proofs``,
    a list a chunk) occur most, and as many with most pieces holding it among those whose
    pieces were read (``hits``, a dict a chunk: counting every member's occurrences of
    ผู้ประกอบกา, in 20,244 documents at 100k, took 772 ms); and every member where a
    chunk may cross words (``crossing``, from the junction keys: there no posting says
    how often). Candidates fewer than a page leave every member counted."""
    k = max(COUNTED, 4 * need)
    found = set(crossing)
    for words in proofs:
        if words:
            found.update(most_frequent(store, gen, words, k))
    for pieces in hits:
        found.update(heapq.nsmallest(k, pieces, key=lambda doc: (-pieces[doc], doc)))
    found &= members
    return found if len(found) >= need else members


def occurrences(text: str, encoded: str) -> tuple[str, list]:
    """SQL counting the encoded chunk's occurrences in the text expression ``text``, and its
    parameters. In bytes: the length of multibyte text is a pass over it (10-30% of the
    count)."""
    return (
        f"(octet_length({text}) - octet_length(replace({text}, %s, '')))"
        " / octet_length(%s)::numeric"
    ), [encoded, encoded]


def piece_occurrences(encoded: str) -> tuple[str, list]:
    """SQL counting a chunk's occurrences in a piece, each occurrence once in its document:
    those in the whole piece, less, past the first piece, those lying whole in its first
    PIECE_OVERLAP characters (the previous piece's last ones, where it counted them).
    Counting in each piece's own first PIECE_STEP characters instead (``left()``, twice a
    walk of 600 multibyte characters) was half the count's time: at 100k, ติดเชื้ in 4,037
    documents' 19,106 pieces holding it, 193 ms so, 128 now (reading the pieces and their
    ``LIKE``, 85 ms, is most of the rest). The head is walked only where the chunk's first
    occurrence lies in it."""
    whole, params = occurrences("units", encoded)
    head, more = occurrences(f"left(units, {PIECE_OVERLAP})", encoded)
    fits = PIECE_OVERLAP - len(encoded) + 1  # the last place an occurrence starts in the head
    return (
        f"({whole} - CASE WHEN piece > 0 AND strpos(units, %s) BETWEEN 1 AND {fits}"
        f" THEN {head} ELSE 0 END)"
    ), [*params, encoded, *more]


def substring_top(store: Store, gen: int, cs: list[Chunk], ids: set[int], n: int) -> list:
    """(doc, score) of the ``n`` documents of ``ids`` with the most occurrences of the
    chunks (a substring-only match's strength, occurrences/(1+occurrences)). Counted in
    the pieces (:func:`piece_occurrences`); a chunk longer than a piece's overlap is
    counted in the whole text."""
    if not ids or n <= 0:
        return []
    in_pieces = all(len(c.encoded) <= PIECE_CHUNK for c in cs)
    occ, params = [], []
    for i, c in enumerate(cs):
        sql, more = piece_occurrences(c.encoded) if in_pieces else occurrences("units", c.encoded)
        occ.append(f"{sql} AS o{i}")
        params += more
    names = [f"o{i}" for i in range(len(cs))]
    table = "pieces" if in_pieces else "documents"
    counted = (
        f"SELECT doc_id, {', '.join(occ)} FROM khlang_search.{table}"
        " WHERE gen = %s AND doc_id = ANY(%s::bigint[])"
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
        (*params, gen, id_array(ids), *holding, n),
    )
    got = [(doc, scale * float(s)) for doc, s in rows]
    if len(got) < n:  # documents with no piece holding a chunk: strength 0, by id
        seen = {doc for doc, _ in got}
        got += [(doc, 0.0) for doc in sorted(ids - seen)[: n - len(got)]]
    return got
