"""What the postgres search backend does beyond the seam's interface tests
(tests/test_search_backend.py): the encoding pg_trgm indexes, analyzer versions, swaps
under writers, the deep check, and ranking a bounded candidate set."""

from __future__ import annotations

import psycopg
import pytest

from indexer.search import pg_chunks, pg_ranking, pg_rows, pg_search, pg_store
from indexer.search.analysis import encode_units
from indexer.search.backend import search_backend
from indexer.search.dictionary import DEFAULT_DICTIONARY
from indexer.search.normalize import normalize
from indexer.search.pg_arrays import id_array
from indexer.search.pg_rows import document_rows, encode_chunk, trgm_form
from indexer.search.pg_store import GenerationGone, conninfo
from indexer.search.query import parse
from schemas.search_index import PIECE_STEP
from tests.search_databases import search_settings
from tests.test_search_backend import DOCS, doc


def test_the_encoding_leaves_the_private_use_area_for_letters():
    encoded = encode_units(normalize("ข้าวโพด ABC ๑๒๓"))
    assert any("\ue000" <= ch <= "\ue201" for ch in encoded)
    stored = trgm_form(encoded)
    assert not any("\ue000" <= ch <= "\ue201" for ch in stored)
    assert all(ch.isalnum() for ch in stored)  # what pg_trgm keeps in its trigrams
    # Yi in a document's own text cannot pass for a marker
    assert "\ua000" not in trgm_form(encode_units(normalize("ꀀ")))


def test_a_documents_rows_come_from_the_analyzer():
    rows = document_rows(DOCS[0], DEFAULT_DICTIONARY)
    assert rows.counts["title"]["ส่งเสริม"] == 1 and rows.counts["meta"]["doc1"] == 1
    assert rows.counts["text"]["2562"] == 1  # Thai digits folded
    assert "'ส่งเสริม':1A,3C" in rows.row["words"] and "'doc1':2B" in rows.row["words"]
    assert encode_chunk(normalize("เที่ยวเชิง")) in rows.row["units"]
    assert rows.row["province"] == ["เชียงใหม่", "ลำพูน"] and rows.row["fiscal_year"] == "2562"


@pytest.fixture
def pg(tmp_path):
    settings = search_settings("postgres", tmp_path, "more")
    backend = search_backend(settings)
    yield backend, settings
    backend.close()


def test_tone_marks_are_apart_in_pg_trgm(pg):
    backend, _settings = pg
    con = backend.store.conn()
    raw = [con.execute("SELECT show_trgm(%s)", (w,)).fetchone()[0] for w in ("ข้าว", "ข่าว")]
    assert raw[0] == raw[1]  # why the raw text will not do
    coded = [
        con.execute("SELECT show_trgm(%s)", (encode_chunk(w),)).fetchone()[0]
        for w in ("ข้าว", "ข่าว", "ขาว")
    ]
    assert coded[0] != coded[1] and coded[0] != coded[2] and all(coded)


def test_rows_of_another_analyzer_version_need_a_rebuild(pg):
    backend, settings = pg
    backend.index(DOCS)
    with psycopg.connect(conninfo(settings.database_url), autocommit=True) as con:
        con.execute("UPDATE khlang_search.generations SET version = 'analyzer=1;old'")
    health = backend.check()
    assert health.ok and health.needs_rebuild
    assert [h.document_id for h in backend.search("ข่าว").hits] == [102]  # still answers
    backend.rebuild(DOCS)
    assert not backend.check().needs_rebuild
    generations = backend.store.rows("SELECT gen, state FROM khlang_search.generations")
    assert [state for _gen, state in generations] == ["live"]  # the old rows went with the swap
    # each generation's rows are tables of their own: the old one's were dropped whole
    tables = backend.store.rows(
        "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE nspname = 'khlang_search' AND relispartition ORDER BY 1"
    )
    gen = generations[0][0]
    assert tables == [(f"{t}_g{gen}",) for t in ("documents", "pieces", "postings", "terms")]


def test_a_writer_after_a_swap_writes_to_the_new_rows(pg):
    backend, _settings = pg
    backend.index(DOCS[:3])
    old = backend.store.live()[0]
    backend.rebuild(DOCS[3:])
    with pytest.raises(GenerationGone):
        backend._write(old, [DOCS[0]])
    assert backend.index([doc(7, "สะพานลอย", "สะพานลอยข้ามถนน")]) == 1
    assert [h.document_id for h in backend.search("สะพานลอย").hits] == [7]


def test_the_deep_check_recounts_the_statistics(pg):
    backend, settings = pg
    backend.index(DOCS)
    assert backend.check(deep=True).ok
    with psycopg.connect(conninfo(settings.database_url), autocommit=True) as con:
        con.execute("UPDATE khlang_search.terms SET df = df + 1 WHERE term = 'ข้าว'")
    assert backend.check().ok  # the cheap check counts documents only
    health = backend.check(deep=True)
    assert health.state == "damaged" and "frequencies" in health.reason


def test_a_bounded_candidate_set_ranks_as_every_match(pg, monkeypatch):
    backend, _settings = pg
    texts = ["ราคาข้าว " * n + "ตลาดสด" for n in range(1, 30)]
    backend.index(doc(200 + n, f"เอกสาร {n}", t) for n, t in enumerate(texts))
    every = [(h.document_id, h.score) for h in backend.search("ราคาข้าว", limit=5).hits]
    monkeypatch.setattr(pg_ranking, "EXACT_LIMIT", 3)
    monkeypatch.setattr(pg_ranking, "TOP_K", 5)
    seen = []
    real = pg_ranking.Scorer.scores
    monkeypatch.setattr(
        pg_ranking.Scorer,
        "scores",
        lambda self, c, ids, b=None: seen.append(len(ids)) or real(self, c, ids, b),
    )
    bounded = [(h.document_id, h.score) for h in backend.search("ราคาข้าว", limit=5).hits]
    assert bounded == every
    assert seen and max(seen) < len(texts)  # fewer documents scored than matched


def test_scores_are_bm25f_whether_postings_are_probed_or_hashed(pg, monkeypatch):
    """A word in many more documents than the candidates is looked up candidate by
    candidate (PROBE_DF), the others read whole and joined by hash: the scores are the
    same either way, and each is BM25F of its fields (here one document's, by hand)."""
    backend, _settings = pg
    texts = [("ข้าวโพด ตลาด " * (1 + n % 4)) + ("ราคาข้าว" if n % 3 else "") for n in range(40)]
    backend.index(doc(300 + n, f"ตลาด {n}", t) for n, t in enumerate(texts))
    monkeypatch.setattr(pg_store, "HASH_JOIN_AT", 2)  # past it: by hash or by key
    asked: list[list[str]] = []
    real = pg_store.Store.postings
    monkeypatch.setattr(
        pg_store.Store,
        "postings",
        lambda self, g, t, ids, probed=(): (
            asked.append(list(probed)) or real(self, g, t, ids, probed)
        ),
    )
    got = {}
    for probe_df in (0, 10**9):  # every word probed; none
        monkeypatch.setattr(pg_ranking, "PROBE_DF", probe_df)
        got[probe_df] = [(h.document_id, h.score) for h in backend.search("ตลาด ราคาข้าว").hits]
    assert got[0] == got[10**9] and len(got[0]) == 20
    assert any(asked) and not all(asked)  # both ways were taken
    # one document's score by hand: each word's BM25 in each field it is in, x its boost
    s = pg_search.Searcher(backend.store, backend._state(backend.store), DEFAULT_DICTIONARY, False)
    words = ["ตลาด", "ราคาข้าว"]
    scores = s.scorer.scores([(1.0, [w]) for w in words], sorted(backend.ids()))
    one = 301  # ข้าวโพด ตลาด x2, then ราคาข้าว; ตลาด in its title
    lengths = backend.store.lengths(s.state.gen, [one])[one]
    stats = s.scorer.stats(words)
    want = 0.0
    for word, _doc, *tfs in backend.store.postings(s.state.gen, words, [one]):
        for k, field in enumerate(pg_rows.FIELDS):
            if tfs[k]:
                norm = (1 - pg_rows.B) + pg_rows.B * lengths[k] / s.state.avg[field]
                bm25 = tfs[k] * (pg_rows.K1 + 1) / (tfs[k] + pg_rows.K1 * norm)
                boost = pg_ranking.WORD_FIELDS[field] * pg_ranking.WORD_BOOST
                want += boost * s.scorer.idf(stats[word][1 + k]) * bm25
    assert scores[one] == pytest.approx(want, rel=1e-12) and want > 0
    assert 300 not in scores or scores[300] < scores[one]  # no ราคาข้าว there


def test_many_matches_by_date_are_the_first_met_walking_the_date_index(pg, monkeypatch):
    """A date-sorted page of many matches is read off the date index (undated last, then
    the highest id), as sorting the matches gives it; a walk too short for the page falls
    back to sorting them."""
    backend, _settings = pg
    # 12 matches of 80 documents, the oldest (two of them undated)
    dates = [f"{2470 + n}-01-01" if n >= 12 or n % 5 else None for n in range(80)]
    docs = [
        doc(1000 + n, f"ประกาศ {n}", "ประกาศ " + ("ตลาด" if n < 12 else "ข่าว"), date=dates[n])
        for n in range(80)
    ]
    backend.index(docs)
    s = pg_search.Searcher(backend.store, backend._state(backend.store), DEFAULT_DICTIONARY, False)
    ids = s.store.term_docs(s.state.gen, "ตลาด")
    assert len(ids) == 12 and len(ids) >= pg_store.DATE_WALK_SHARE * s.state.n
    want = sorted(ids, key=lambda d: (dates[d - 1000] or "", d), reverse=True)[:4]
    assert {dates[d - 1000] for d in want} != {None}
    asked: list[str] = []
    real = pg_store.Store.rows
    monkeypatch.setattr(
        pg_store.Store,
        "rows",
        lambda self, sql, params=(): asked.append(sql) or real(self, sql, params),
    )
    for least, statements in ((256, 1), (4, 2)):  # the whole index walked; 53 entries
        monkeypatch.setattr(pg_store, "DATE_WALK_LEAST", least)
        asked.clear()
        assert pg_store.by_date(s.store, s.state.gen, ids, 4, s.state.n) == want
        assert len(asked) == statements
    assert pg_store.by_date(s.store, s.state.gen, ids, 12)[-2:] == [1005, 1000]  # undated


def tiers_counted(monkeypatch) -> list[int]:
    """How many members each substring-only tier counted, one entry a count, as searches
    run."""
    from indexer.search import pg_substrings

    counted: list[int] = []
    real = pg_substrings.substring_top
    monkeypatch.setattr(
        pg_substrings,
        "substring_top",
        lambda store, gen, cs, ids, n: counted.append(len(ids)) or real(store, gen, cs, ids, n),
    )
    return counted


def test_a_large_substring_only_tier_counts_its_likeliest_members_alone(pg, monkeypatch):
    """กระทรว is no word: every match is substring-only, ranked by how often the chunk
    occurs; of a large tier only the documents where its proving word (กระทรวง) occurs
    most are counted, and the page is the one counting every member gives."""
    from indexer.search import pg_substrings
    from indexer.search.searching import SUBSTRING_SCORE

    backend, _settings = pg
    texts = [f"หนังสือจาก{'กระทรวงมหาดไทย ' * (n % 7 + 1)}ถึงจังหวัด" for n in range(24)]
    backend.index(doc(600 + n, f"หนังสือ {n}", t) for n, t in enumerate(texts))

    def page() -> list:
        got = backend.search("กระทรว", limit=4)
        assert got.total == len(texts)
        assert all(0 < h.score <= SUBSTRING_SCORE for h in got.hits)  # substring-only
        return [(h.document_id, h.score) for h in got.hits]

    counted = tiers_counted(monkeypatch)
    every = page()
    assert counted == [len(texts)]
    monkeypatch.setattr(pg_substrings, "COUNTED", 5)
    counted.clear()
    assert page() == every
    assert counted and counted[0] < len(texts)
    # the strongest first: six occurrences of the chunk (n % 7 == 6)
    assert every[0][0] in {600 + n for n in range(24) if n % 7 == 6}


def test_a_large_tier_read_in_pieces_counts_the_documents_with_most_pieces_holding_it(
    pg, monkeypatch
):
    """ผู้ประกอบกา is longer than a junction key reaches (11 encoded characters): its
    documents are read in the pieces, and of a large tier only those with most pieces
    holding it are counted, the page the one counting every member gives."""
    from indexer.search import pg_substrings

    backend, _settings = pg
    filler = "ชาวบ้านร่วมกันปลูกต้นไม้ริมคลองทุกปี " * 20  # longer than a piece's step
    # crossing ผู้|ประกอบ|การค้า: no word holds it, every document is read
    texts = [filler.join(["ผู้ประกอบ การค้าชายแดน"] * (n % 5 + 1)) for n in range(40)]
    backend.index(doc(800 + n, f"ประกาศ {n}", t) for n, t in enumerate(texts))
    query = "ผู้ประกอบกา"
    assert len(encode_chunk(normalize(query))) > pg_substrings.JUNCTION_CHUNK

    counted = tiers_counted(monkeypatch)

    def page() -> list:
        got = backend.search(query, limit=4)
        assert got.total == len(texts) and all(h.match == "phrase" for h in got.hits)
        return [(h.document_id, h.score) for h in got.hits]

    every = page()
    assert counted == [len(texts)]
    monkeypatch.setattr(pg_substrings, "COUNTED", 4)
    counted.clear()
    assert page() == every
    # four times a page: the eight with five pieces holding it, the eight with four
    assert counted == [16]
    assert {d for d, _ in every} <= {800 + n for n in range(40) if n % 5 == 4}


def test_a_tier_proven_by_some_of_its_words_is_counted_whole(pg, monkeypatch):
    """Past PROOF_POSTINGS only the commonest words holding กระทรว prove documents: one with
    the chunk mostly inside another word (ปลัดกระทรวง twelve times) would rank low by
    those words alone, so such a tier is counted whole, never cut (it was, once)."""
    from indexer.search import pg_substrings

    backend, _settings = pg
    texts = [f"หนังสือจาก{'กระทรวงมหาดไทย ' * (n % 7 + 1)}ถึงจังหวัด" for n in range(24)]
    docs = [doc(600 + n, f"หนังสือ {n}", t) for n, t in enumerate(texts)]
    strongest = "หนังสือจากกระทรวงมหาดไทย " + "ปลัดกระทรวง " * 12 + "ถึงจังหวัด"
    backend.index([*docs, doc(700, "หนังสือ ปลัด", strongest)])
    monkeypatch.setattr(pg_substrings, "PROOF_POSTINGS", 25)  # not every word holding it
    every = [h.document_id for h in backend.search("กระทรว", limit=4).hits]
    assert every[0] == 700
    counted = tiers_counted(monkeypatch)
    monkeypatch.setattr(pg_substrings, "COUNTED", 5)
    assert [h.document_id for h in backend.search("กระทรว", limit=4).hits] == every
    assert counted == [len(docs) + 1]


def test_a_long_chunk_proven_by_its_words_still_counts_where_it_crosses_them(pg, monkeypatch):
    """ผู้ประกอบกา (past the junction keys' reach) lies inside ผู้ประกอบการค้า in every
    document, whose postings prove it; one also holds it twelve times across ผู้|ประกอบ|การ,
    which no posting counts: a cut tier still counts that one (its junction keys), and its
    page is the one counting every member gives."""
    from indexer.search import pg_substrings

    backend, _settings = pg
    texts = [f"{'ผู้ประกอบการค้า ' * (n % 5 + 1)}ชายแดน" for n in range(30)]
    docs = [doc(900 + n, f"ประกาศ {n}", t) for n, t in enumerate(texts)]
    strongest = "ผู้ประกอบการค้า " + "ผู้ประกอบ การค้า " * 12
    backend.index([*docs, doc(950, "ประกาศ ชายแดน", strongest)])
    every = [h.document_id for h in backend.search("ผู้ประกอบกา", limit=4).hits]
    assert every[0] == 950
    counted = tiers_counted(monkeypatch)
    monkeypatch.setattr(pg_substrings, "COUNTED", 5)
    assert [h.document_id for h in backend.search("ผู้ประกอบกา", limit=4).hits] == every
    assert counted and counted[0] < len(docs) + 1


def test_postings_joined_by_hash_rank_as_read_document_by_document(pg, monkeypatch):
    from indexer.search import pg_store

    backend, _settings = pg
    texts = [f"ราคาข้าว {'ตลาดสด ' * (n % 4)}ชาวนา {'ข้าว ' * n}" for n in range(1, 30)]
    backend.index(doc(300 + n, f"เอกสาร {n}", t) for n, t in enumerate(texts))
    definition = backend.store.one(
        "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
        (f"postings_g{backend.store.live()[0]}_impact",),
    )[0]
    assert "INCLUDE (tf_title, tf_meta, tf_text)" in definition  # read index-only
    queries = ["ราคาข้าว", "ราคาข้าวของชาวนาที่ตลาดสด", "ข้าว ชาวนา"]

    def ranked() -> list:
        return [[(h.document_id, h.score) for h in backend.search(q).hits] for q in queries]

    described = ranked()
    monkeypatch.setattr(pg_store, "HASH_JOIN_AT", 0)
    assert ranked() == described
    assert all(described)


def test_the_words_holding_a_chunk_are_found_by_their_trigrams(pg):
    """Every chunk of a search asks which words hold it: the words' trigram index answers
    (migration 0018), a rebuild's generation has it too, and the words are those a scan
    finds."""
    from indexer.search import pg_substrings

    backend, _settings = pg
    backend.index(DOCS)
    backend.rebuild(iter(DOCS))
    gen = backend.store.live()[0]
    sql = (
        "SELECT term FROM khlang_search.terms WHERE gen = %s AND df > 0 AND term LIKE %s"
        " ORDER BY term"
    )
    conn = backend.store.conn()
    with conn.transaction():  # a few words here: the planner would read them all
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL enable_indexscan = off")
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, (gen, "%ข้าว%")))
        by_index = [r[0] for r in conn.execute(sql, (gen, "%ข้าว%"))]
    assert f"terms_g{gen}_trigrams" in plan
    with conn.transaction():
        conn.execute("SET LOCAL enable_bitmapscan = off")
        conn.execute("SET LOCAL enable_indexscan = off")
        scanned = [r[0] for r in conn.execute(sql, (gen, "%ข้าว%"))]
    assert by_index == scanned and "ข้าวโพด" in by_index
    words, every = pg_substrings.containing_terms(
        backend.store, gen, normalize("ข้าว"), encode_chunk(normalize("ข้าว"))
    )
    assert every and set(words) <= set(by_index) and "ข่าว" not in words


def test_a_writer_waiting_too_long_for_another_is_told_busy(pg, monkeypatch):
    from indexer.search import pg_store
    from indexer.search.errors import IndexBusy

    backend, settings = pg
    backend.index(DOCS[:1])
    monkeypatch.setattr(pg_store, "LOCK_TIMEOUT_MS", 200)
    with psycopg.connect(conninfo(settings.database_url)) as other:  # holds the lock
        other.execute("SELECT 1 FROM khlang_search.generations WHERE state = 'live' FOR UPDATE")
        with pytest.raises(IndexBusy):
            backend.index(DOCS[1:2])
    assert backend.index(DOCS[1:2]) == 1 and backend.ids() == {1, 2}


# a long text of distinct syllable runs: its encoded form spans several pieces
_LONG = " ".join(f"{w}{n}" for n in range(120) for w in ("ข้าวหอม", "ตลาดนัด", "สะพาน"))


def test_a_substring_across_two_pieces_is_found(pg):
    backend, _settings = pg
    backend.index([doc(301, "ยาว", _LONG), doc(302, "สั้น", "ข้าวหอม ตลาด")])
    units = backend.store.one("SELECT units FROM khlang_search.documents WHERE doc_id = 301")[0]
    steps = [units[i : i + PIECE_STEP] for i in range(0, len(units), PIECE_STEP)]
    assert len(steps) >= 3
    # a chunk that no piece's own 600 characters hold: only the overlap finds it
    for n in range(120):
        query = f"ตลาดนัด{n} สะพาน{n}"
        encoded = encode_chunk(normalize(f"ตลาดนัด{n}สะพาน{n}"))
        if encoded in units and not any(encoded in s for s in steps):
            break
    else:
        raise AssertionError("no chunk straddles a piece boundary")
    found = backend.search(f'"{query}"', match="all")
    assert [h.document_id for h in found.hits] == [301]


def test_a_chunk_longer_than_the_overlap_is_found_and_confirmed(pg):
    backend, _settings = pg
    backend.index([doc(301, "ยาว", _LONG)])
    head = " ".join(f"{w}{n}" for n in range(3, 9) for w in ("ข้าวหอม", "ตลาดนัด", "สะพาน"))
    assert len(encode_chunk(normalize(head.replace(" ", "")))) > pg_chunks.PIECE_CHUNK
    assert [h.document_id for h in backend.search(f'"{head}"').hits] == [301]
    wrong = head[:-1] + "9"  # the same head, another end: only the whole text can tell
    assert backend.search(f'"{wrong}"', match="all").total == 0


def test_the_migration_cuts_pieces_as_the_writer_does(pg):
    import importlib

    backend, _settings = pg
    backend.index([doc(301, "ยาว", _LONG), *DOCS])
    read = "SELECT gen, doc_id, piece, units FROM khlang_search.pieces ORDER BY 1, 2, 3"
    written = backend.store.rows(read)
    assert written and len({r[1] for r in written}) == len(DOCS) + 1
    migration = importlib.import_module("schemas.migrations.versions.0011_postgres_search_pieces")
    insert = next(s for s in migration._UP.split(";") if "INSERT INTO khlang_search.pieces" in s)
    with backend.store.conn().transaction():
        backend.store.conn().execute("DELETE FROM khlang_search.pieces")
        backend.store.conn().execute(insert)
    assert backend.store.rows(read) == written


def test_the_migration_to_generation_tables_keeps_every_row(pg):
    from alembic import command
    from sqlalchemy import create_engine

    from schemas.migrate import alembic_config

    backend, settings = pg
    backend.index(DOCS)
    tables = ("documents", "pieces", "postings", "terms")

    def rows() -> dict[str, list]:  # the columns before 0015 (0016 adds one to postings)
        return {
            t: backend.store.rows(
                f"SELECT * FROM khlang_search.{t} ORDER BY 1, 2, 3"
                if t != "postings"
                else "SELECT gen, term, doc_id, tf_title, tf_meta, tf_text, impact"
                " FROM khlang_search.postings ORDER BY 1, 2, 3"
            )
            for t in tables
        }

    before, found = rows(), backend.search("ข้าว")
    backend.store.close()  # the migrations rename and drop its tables
    engine = create_engine(settings.database_url)
    try:
        for step, target in (
            (command.downgrade, "0014_job_pages_member_default"),
            (command.upgrade, "head"),
        ):
            with engine.begin() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                step(config, target)
            assert rows() == before
    finally:
        engine.dispose()
    health = backend.check(deep=True)
    assert health.ok and health.needs_rebuild  # which postings are unaligned is not known
    assert backend.search("ข้าว") == found
    backend.index([doc(7, "สะพานลอย", "สะพานลอยข้ามถนน")])  # the moved generation is written to
    assert [h.document_id for h in backend.search("สะพานลอย").hits] == [7]


def test_a_rebuild_given_one_id_twice_keeps_the_last(pg, monkeypatch):
    from indexer.search import postgres_backend

    backend, _settings = pg
    monkeypatch.setattr(postgres_backend, "BATCH", 2)  # the two versions in two batches
    later = doc(DOCS[0]["id"], "สะพานลอย", "สะพานลอยข้ามถนน")
    backend.rebuild([*DOCS, later], procs=2)
    assert backend.ids() == {d["id"] for d in DOCS}
    assert [h.document_id for h in backend.search("สะพานลอย").hits] == [later["id"]]
    assert backend.check(deep=True).ok  # the words' counts are the last version's


def test_a_word_cut_off_its_syllables_proves_no_substring(pg, tmp_path):
    backend, _settings = pg
    # the segmenter cuts เหวียน as เห|วี|ยน, off its syllable units: วี is a word of 401
    # whose encoding is not in 401's text, so its posting must not prove the substring
    docs = [doc(401, "ข่าว", "นายเหวียน เดินทางมา"), doc(402, "ข่าว", "ขอ วี ดี")]
    backend.index(docs)
    assert backend.store.rows(
        "SELECT doc_id, unaligned FROM khlang_search.postings WHERE term = 'วี' ORDER BY 1"
    ) == [(401, True), (402, False)]
    whoosh = search_backend(search_settings("whoosh", tmp_path))
    whoosh.index(docs)
    for match in ("all", "default"):
        got = [(h.document_id, h.match) for h in backend.search("วี", match=match).hits]
        assert got == [(h.document_id, h.match) for h in whoosh.search("วี", match=match).hits]
        assert got[0] == (402, "phrase") and (401, "phrase") not in got
    assert backend.search("วี", match="all").total == 1
    whoosh.close()


def test_a_syllable_inside_longer_words_is_proven_by_their_postings(pg, tmp_path):
    backend, _settings = pg
    docs = [
        doc(501, "ข่าว", "จะประชุมต่อไปในเดือนหน้า"),  # ต่อ at the start of a word
        doc(502, "ข่าว", "กรุณาติดต่อกลับ"),  # ต่อ at the end of one (ติดต่อ holds it too)
        doc(503, "ข่าว", "โปรดตอบกลับโดยเร็ว"),  # ตอ without the tone mark: never ต่อ
        doc(504, "ข่าว", "การประชุมต่อเนื่อง"),
    ]
    backend.index(docs)
    s = pg_search.Searcher(backend.store, backend._state(backend.store), DEFAULT_DICTIONARY, False)
    s.prepare(parse(""), "default")
    (c,) = pg_chunks.chunks(["ต่อ"], DEFAULT_DICTIONARY)
    proven = s.proven(c, None)
    assert proven == {501, 502, 504}
    (c,) = pg_chunks.chunks(["ตอ"], DEFAULT_DICTIONARY)
    assert not s.proven(c, None) & {501, 502, 504}
    whoosh = search_backend(search_settings("whoosh", tmp_path))
    whoosh.index(docs)
    for query in ("ต่อ", "ตอ", "ต่อไป"):
        for match in ("all", "default"):
            got = backend.search(query, match=match)
            want = whoosh.search(query, match=match)
            # the same documents and tiers (the order of equal substring-only matches
            # differs between the backends, as before this proof)
            assert {(h.document_id, h.match) for h in got.hits} == {
                (h.document_id, h.match) for h in want.hits
            }
            assert got.total == want.total
    assert {h.document_id for h in backend.search("ต่อ", match="all").hits} == {501, 502, 504}
    whoosh.close()


def _kinds(result) -> dict[str, int]:
    return {v.value: v.count for v in result.facets["kind"]}


def test_facet_values_held_in_the_process_follow_every_write(pg, monkeypatch):
    from indexer.search import pg_facets

    backend, _settings = pg
    backend.index(DOCS)
    store = backend.store
    gen = store.live()[0]
    every = store.ids(gen)
    # held (loaded on a search of many matches) and read in SQL: the same counts
    held = pg_facets.load(store, gen).counts(every)
    assert held == pg_facets.sql_counts(store, gen, every)
    assert sum(v["count"] for v in held["kind"]) == len(every)
    before = _kinds(backend.search("", limit=1))
    loaded = store.facets._values
    assert loaded is not None and _kinds(backend.search("", limit=1)) == before
    assert store.facets._values is loaded  # no write between: not read again

    # a write changes the generation's version: the held values are read again
    backend.index([doc(401, "ประกาศใหม่", "ประกาศจังหวัด", kind="announcement")])
    after = _kinds(backend.search("", limit=1))
    assert after == before | {"announcement": 1}
    assert store.facets._values is not loaded
    backend.delete([401])
    assert _kinds(backend.search("", limit=1)) == before

    # none held yet (a new process): the first search loads them, however few its matches
    store.facets._values = None
    monkeypatch.setattr(pg_facets, "RELOAD_SHARE", 1.0)
    first = backend.search("", filters={"kind": "letter"}, limit=1)
    assert first.total < len(every) and store.facets._values is not None
    assert _kinds(first) == {"letter": first.total}

    # stale, a search of few matches counts in SQL and leaves the held values be
    backend.index([doc(402, "ประกาศใหม่", "ประกาศจังหวัด", kind="announcement")])
    stale = store.facets._values
    few = backend.search("", filters={"kind": "announcement"}, limit=1)
    assert few.total == 1 and _kinds(few) == {"announcement": 1}
    assert store.facets._values is stale


def test_held_facet_values_newer_than_a_search_serve_it_without_another_load(pg):
    """A search waiting on a load while documents are written uses that load's values
    (newer than the version it read) instead of loading again after it."""
    import time

    from indexer.search import pg_facets

    backend, _settings = pg
    backend.index(DOCS)
    store = backend.store
    gen = store.live()[0]
    older = pg_facets.load(store, gen)
    [version] = store.one(pg_facets._VERSION_SQL, (gen,))
    read_at = time.monotonic()  # a search reads the version, then waits on a load
    assert older.serves(gen, version, read_at)
    backend.index([doc(403, "ประกาศใหม่", "ประกาศจังหวัด", kind="announcement")])
    newer = pg_facets.load(store, gen)  # begun after the search read its version
    assert newer.version != version and newer.serves(gen, version, read_at)
    [now] = store.one(pg_facets._VERSION_SQL, (gen,))
    assert not older.serves(gen, now, time.monotonic())  # older than a search: loaded again
    assert not newer.serves(gen + 1, now, read_at)  # another generation's: never
    assert newer.counts(store.ids(gen)) == pg_facets.sql_counts(store, gen, store.ids(gen))


def test_junction_keys_are_where_words_meet_and_a_crossing_chunk_holds_one():
    from indexer.search.pg_rows import JUNCTION, chunk_junctions

    rows = document_rows(doc(700, "", "ประชุมจังหวัด"), DEFAULT_DICTIONARY)
    units = rows.row["units"]
    keys = {g for g in rows.row["grams"] if JUNCTION in g}
    assert keys and not any(g.startswith(JUNCTION) for g in keys)
    e = encode_chunk("ชุมจัง")  # crosses ประชุม|จังหวัด after its third character
    assert e in units and not any(e in encode_chunk(w) for w in rows.counts["text"])
    assert any(set(place) <= keys for place in chunk_junctions(e))
    # a chunk inside one word crosses nowhere: no place of it is keyed
    assert not any(set(place) <= keys for place in chunk_junctions(encode_chunk("หวัด")))
    # a word cut off its syllable units (เห|วี|ยน): that stretch's words do not lie end to
    # end, so every place of it is keyed, and any chunk touching it is read there
    cut = document_rows(doc(701, "", "นายเหวียน เดินทางมา"), DEFAULT_DICTIONARY)
    assert "วี" in cut.unaligned
    loose = {g for g in cut.row["grams"] if JUNCTION in g}
    assert all(set(place) <= loose for place in chunk_junctions(encode_chunk("เหวียน")))


def test_long_junction_keys_tell_a_crossing_chunk_from_the_same_letters_at_a_junction():
    """ชุมจัง crosses ประชุม|จังหวัด. ประชุม|จันทร์ meets the same two characters a side
    (ุม|จ, ม|จั), so with layout 3's keys it was read for it; its keys three characters
    after the junction (ม|จัน against ม|จัง) now rule it out."""
    from indexer.search.pg_rows import JUNCTION, JUNCTION_REACH, chunk_junctions

    def keys(text: str) -> set[str]:
        rows = document_rows(doc(702, "", text), DEFAULT_DICTIONARY)
        assert len(rows.counts["text"]) == 2  # two words: one junction
        return {g for g in rows.row["grams"] if JUNCTION in g}

    e = encode_chunk("ชุมจัง")
    crossing, chance = keys("ประชุมจังหวัด"), keys("ประชุมจันทร์")
    assert e not in encode_chunk("ประชุมจันทร์")
    for reach in (2, JUNCTION_REACH):
        assert any(set(place) <= crossing for place in chunk_junctions(e, reach))
    assert any(set(place) <= chance for place in chunk_junctions(e, 2))
    assert not any(set(place) <= chance for place in chunk_junctions(e, JUNCTION_REACH))
    # each side as long as the chunk allows, up to the reach
    assert chunk_junctions(encode_chunk("กขคงจฉชซ"), 5)[3] == [
        encode_chunk("กขคง") + JUNCTION + encode_chunk("จ"),
        encode_chunk("ง") + JUNCTION + encode_chunk("จฉชซ"),
    ]


def test_a_generation_of_layout_3_is_searched_with_its_short_junction_keys(pg):
    """Rows written before layout 4 hold junction keys two characters a side: searched
    with those alone, still exact, until the rebuild the health check asks for."""
    backend, settings = pg
    backend.index([doc(703, "ก", "ประชุมจังหวัด"), doc(704, "ข", "ประชุมจันทร์")])
    assert backend._state(backend.store).reach == pg_rows.JUNCTION_REACH
    assert [h.document_id for h in backend.search("ชุมจัง", match="all").hits] == [703]
    with psycopg.connect(conninfo(settings.database_url), autocommit=True) as con:
        con.execute(
            "UPDATE khlang_search.generations"
            " SET version = replace(version, ';store=postgres-4', ';store=postgres-3')"
        )
    state = backend._state(backend.store)
    assert state.junctions and state.reach == 2
    assert backend.check().needs_rebuild
    assert [h.document_id for h in backend.search("ชุมจัง", match="all").hits] == [703]


def test_every_document_holding_a_substring_is_found_with_junction_keys(pg, monkeypatch):
    """Never-miss, checked against the text itself: every chunk cut out of these documents
    (inside a word, across two or three words, at a word's edge) finds exactly the documents
    whose encoded text holds it; and, junction keys on, only few pieces are read."""
    from indexer.search import pg_substrings

    backend, _settings = pg
    texts = [
        "การประชุมคณะกรรมการจังหวัดเชียงใหม่ครั้งที่ ๒/๒๕๖๗",
        "ผู้ว่าราชการจังหวัดลำพูนเป็นประธานในพิธีเปิดงาน",
        "กรุณาติดต่อกลับที่สำนักงานจังหวัดภายในวันที่ ๓๐",
        "โครงการส่งเสริมการท่องเที่ยวเชิงวัฒนธรรม ปีงบประมาณ ๒๕๖๘",
        "นายเหวียน เดินทางมาประชุมต่อเนื่องที่กระทรวงมหาดไทย",
        "ขอ วี ดี ข่าวสาร ข้าวโพด ขาวสะอาด",
    ]
    docs = [doc(710 + n, f"เอกสาร {n}", t) for n, t in enumerate(texts)]
    backend.index(docs)
    assert backend._state(backend.store).junctions
    units = {d["id"]: document_rows(d, DEFAULT_DICTIONARY).row["units"] for d in docs}
    read: list[int] = []
    real = pg_substrings.piece_docs
    monkeypatch.setattr(
        pg_substrings,
        "piece_docs",
        lambda store, gen, pattern, within=None, **how: (
            read.append(len(within) if within is not None else 10**9)
            or real(store, gen, pattern, within, **how)
        ),
    )
    chunks = set()
    for t in texts:
        norm = normalize(t)
        for size in (3, 4, 6, 9):
            for start in range(0, len(norm) - size, 5):
                chunks.add(norm[start : start + size].strip())
    checked = 0
    # the documents where a chunk may cross words confirmed both ways: their own pieces
    # read through the key, or the trigram index's pieces filtered to them
    for by_key in (True, False):
        monkeypatch.setattr(pg_substrings, "read_by_key", lambda *counts, way=by_key: way)
        for q in sorted(chunks):
            e = encode_chunk(q)
            if len(e) < 3 or " " in q:
                continue
            want = {i for i, u in units.items() if e in u}
            got = backend.search(q, match="all", limit=20)
            assert {h.document_id for h in got.hits} == want, (q, by_key)
            checked += 1
    assert checked > 120
    # pieces read only for documents where a chunk may cross words (never all of them)
    assert read and max(read) < len(docs)


def test_few_suspects_have_their_own_pieces_read_and_many_the_trigram_indexs():
    """Where a chunk may cross words in documents of few pieces beside many it is proven in
    (at 100k: เรื่อง, 1,323 documents of 8,379 pieces beside 27,816), their own pieces are
    read (49 against 373 ms); where it crosses in many and is proven in few (โควิด-19:
    35,382 and none), or in a few very long ones (รัชดา: 403 documents of 38,575 pieces
    beside 3,405), the trigram index's pieces are (437 against 1,276 ms; 60 against 317)."""
    from indexer.search.pg_substrings import read_by_key

    assert read_by_key(8379, 27816)
    assert not read_by_key(35382 * 6.05, 0)
    assert not read_by_key(38575, 3405)
    assert read_by_key(60, 0)  # a handful: whatever the proof


def test_suspects_long_beside_the_average_are_counted_by_their_length(pg, monkeypatch):
    """Whether suspects' own pieces are read is judged first by their number at the
    average document's pieces, then by their own length: two long documents among short
    ones have more pieces than two average ones."""
    from indexer.search import pg_substrings

    backend, _settings = pg
    short = [doc(1100 + n, f"สั้น {n}", "ประกาศจังหวัดลำพูน") for n in range(4)]
    long = [doc(1110 + n, f"ยาว {n}", "ประชาชนร่วมกันปลูกต้นไม้ริมคลอง " * 200) for n in range(2)]
    backend.index(short + long)
    state = backend._state(backend.store)
    pieces = dict(
        backend.store.rows(
            "SELECT doc_id, count(*) FROM khlang_search.pieces WHERE gen = %s GROUP BY doc_id",
            (state.gen,),
        )
    )
    assert sum(pieces[d["id"]] for d in long) >= 20 and pieces[1100] == 1
    sizes = (sum(pieces.values()) / len(pieces), state.avg["text"])  # as ANALYZE counts them
    # reading a piece by key costs 1 ms, the trigram way 12 ms: by key up to 12 pieces
    monkeypatch.setattr(pg_substrings, "KEY_PIECE_US", 1000.0)
    monkeypatch.setattr(pg_substrings, "TRIGRAM_MS", 12.0)
    asked = []
    real = backend.store.text_words
    monkeypatch.setattr(
        backend.store, "text_words", lambda g, ids: asked.append(ids) or real(g, ids)
    )
    by_key = pg_substrings.suspects_by_key
    assert by_key(backend.store, state.gen, {1100, 1101}, 0, sizes)
    assert not by_key(backend.store, state.gen, {1110, 1111}, 0, sizes)  # 2 x average: by key
    assert len(asked) == 2
    assert not by_key(backend.store, state.gen, set(pieces), 0, sizes)  # every one: too many
    assert len(asked) == 2  # their number alone said so


def test_a_piece_search_by_key_reads_the_given_documents_pieces_alone(pg):
    """The planner takes a chunk's trigram condition for a few pieces (the pieces are too
    wide for ANALYZE's statistics) and, left to itself, reads every piece the trigram index
    hands back to keep the given documents'; by key it reads theirs through the key (on
    a table this small the planner would choose that itself: the plan is what is shown)."""
    from indexer.search.pg_substrings import piece_plan, piece_query
    from schemas.search_tables import partition

    backend, _settings = pg
    backend.index([doc(900 + n, f"หนังสือ {n}", f"เรื่อง ขอเชิญประชุม ครั้งที่ {n}") for n in range(30)])
    gen = backend._state(backend.store).gen
    conn = backend.store.conn()

    def plan(by_key: bool, *settings: str) -> str:
        query, params = piece_query(gen, encode_chunk("เรื่อง"), [901, 902], by_key)
        with conn.transaction():
            conn.execute(piece_plan(True, by_key))
            for setting in settings:  # a table this small is read whole otherwise
                conn.execute(setting)
            return "\n".join(r[0] for r in conn.execute("EXPLAIN " + query, params))

    table = partition("pieces", gen).split(".")[1]
    by_key = plan(True)
    assert f"Index Scan using {table}_pkey" in by_key
    assert f"{table}_units" not in by_key and "Bitmap" not in by_key
    # the trigram way within documents lets the planner AND the two indexes' bitmaps (at
    # 100k it then did, where at the default operator cost it never did: the figures are
    # pg_substrings.AND_OPERATOR_COST's); every other way puts the default back, since a
    # SET LOCAL outlives the savepoint it was made in
    for within, key, cost in (
        (True, False, "0.0001"),
        (True, True, "0.0025"),
        (False, False, "0.0025"),
    ):
        with conn.transaction():
            conn.execute("SET LOCAL cpu_operator_cost = 1")
            conn.execute(piece_plan(within, key))
            assert conn.execute("SHOW cpu_operator_cost").fetchone()[0] == cost
    assert backend.store.pieces_per_document(gen, 30) >= 0  # counted or the default


def test_pieces_read_by_key_hold_a_chunk_exactly_as_the_trigram_way_finds(pg):
    """By key a piece is searched for the chunk (``strpos``), the trigram way matched with
    ``LIKE``: the same documents and counts, for Thai chunks, digits and Latin, and beside
    what ``LIKE`` would take as wildcards (``%``, ``_``, a backslash: punctuation has no
    place in the encoding, so a chunk never holds them)."""
    from indexer.search.pg_substrings import piece_docs

    backend, _settings = pg
    texts = [
        "ส่วนลด 50% ของราคาสินค้าเกษตร",
        "ส่วนลด 50 ของราคา",
        "ไฟล์ report_2567 และ report-2567",
        "เส้นทาง C:\\ข้อมูล\\รายงาน",
        "เรื่อง ขอเชิญประชุม เรื่อง งบประมาณ " * 40,
    ]
    backend.index([doc(950 + n, f"เอกสาร {n}", t) for n, t in enumerate(texts)])
    gen = backend._state(backend.store).gen
    every = [950 + n for n in range(len(texts))]
    checked = 0
    for q in ("50%", "t_2", "t-2", "\\ข้อ", "เรื่อง", "ขอเชิญประชุม", "ราคา"):
        e = encode_chunk(normalize(q))
        assert not set(e) & set("%_\\"), q
        trigram = piece_docs(backend.store, gen, e, every)
        by_key = piece_docs(backend.store, gen, e, every, by_key=True)
        assert by_key == trigram, q
        checked += bool(trigram)
    assert checked >= 5
    # the long document's pieces are many, each holding เรื่อง counted
    assert piece_docs(backend.store, gen, encode_chunk("เรื่อง"), [954], by_key=True)[954] > 1


def test_chunks_asked_together_find_exactly_the_documents_holding_every_one(pg, monkeypatch):
    """Never-miss with several chunks (a query's phrase tier), checked against the text
    itself: the rarest chunk's documents first, each other chunk looked for within them,
    none lost or wrongly kept; also where junction keys say a chunk may cross words in
    every document (only reading the pieces then tells)."""
    backend, _settings = pg
    texts = [
        "ผู้ประกอบการค้าชายแดนยื่นคำขอรับการสนับสนุนงบประมาณจังหวัด",
        "สถานการณ์การแพร่ระบาดของโรคติดเชื้อในพื้นที่ชายแดน",
        "การประเมินสถานการณ์เป็นระยะโดยคณะกรรมการจังหวัด",
        "ผู้ประกอบ การค้า ชาย แดน ประชุม คณะ กรรมการ",
        "งบประมาณ การ สนับสนุน ผู้ประกอบการ รายย่อย",
        "ขอ วี ดี ข่าวสาร ข้าวโพด ขาวสะอาด ชายแดน",
    ]
    docs = [doc(760 + n, f"เอกสาร {n}", t) for n, t in enumerate(texts)]
    backend.index(docs)
    units = {d["id"]: document_rows(d, DEFAULT_DICTIONARY).row["units"] for d in docs}
    chunks = []
    for t in texts:
        norm = normalize(t)
        for size in (3, 4, 6):
            chunks += [norm[i : i + size].strip() for i in range(0, len(norm) - size, 7)]
    chunks = [q for q in dict.fromkeys(chunks) if len(encode_chunk(q)) >= 3 and " " not in q]
    pairs = list(zip(chunks, chunks[5:] + chunks[:5], strict=True))
    assert len(pairs) > 40

    def every_pair_exact() -> None:
        for a, b in pairs:
            ea, eb = encode_chunk(a), encode_chunk(b)
            want = {i for i, u in units.items() if ea in u and eb in u}
            got = backend.search(f"{a} {b}", limit=20)
            assert {h.document_id for h in got.hits if h.match == "phrase"} == want, (a, b)

    every_pair_exact()
    from indexer.search import pg_substrings

    monkeypatch.setattr(pg_substrings, "junction_docs", lambda store, gen, e, reach: set(units))
    every_pair_exact()


def test_a_chunk_within_a_few_documents_is_proven_where_it_is_their_own_word(pg, monkeypatch):
    """The later chunk of a query, looked for in the rarest one's few documents: those
    having it as a word of their own are proven by its postings, and only the others'
    pieces are read (there it lies inside a longer word, or nowhere: ข่าว and ขาว are not
    ข้าว)."""
    from indexer.search import pg_substrings

    backend, _settings = pg
    texts = ["โคราช ข้าว ดี", "โคราช ข้าวโพด", "โคราช ข่าว", "โคราช ขาว"]
    texts += [f"ตลาด ข้าว ราคา {n}" for n in range(8)]
    backend.index(doc(900 + n, f"เอกสาร {n}", t) for n, t in enumerate(texts))
    read: list[set[int]] = []
    ways: list[bool] = []
    real = pg_substrings.piece_docs

    def piece_docs(store, gen, pattern, within=None, **kw):
        read.append(set(within or ()) if within is not None else {-1})
        ways.append(kw.get("by_key", False))
        return real(store, gen, pattern, within, **kw)

    monkeypatch.setattr(pg_substrings, "piece_docs", piece_docs)
    # the four documents are few; then many, but with few left once its word proved one;
    # then more left: the words holding it and where it may cross words tell, of those
    for many, left, pieces_read in ((2000, 100, True), (3, 100, True), (2000, 2, False)):
        monkeypatch.setattr(pg_search, "JUNCTION_WITHIN", many)
        monkeypatch.setattr(pg_search, "READ_REST", left)
        read.clear()
        ways.clear()
        got = backend.search("โคราช ข้าว")
        assert {h.document_id for h in got.hits if h.match == "phrase"} == {900, 901}
        # ข้าว's pieces read where it is not a word, never where it is
        assert ({901, 902, 903} in read) == pieces_read, (many, left)
        assert not any(900 in r for r in read)
        if pieces_read:  # three short documents' own pieces: read through the key
            assert ways[read.index({901, 902, 903})]


def test_a_large_tier_counts_every_member_where_the_chunk_crosses_words(pg, monkeypatch):
    """ญานา crosses พญา|นา ten times in some documents and lies once inside พญานาค in
    others: postings say nothing of the crossings, so a cut tier keeps every member the
    junction keys name and its page is the one counting every member gives."""
    from indexer.search import pg_substrings

    backend, _settings = pg
    crossing = [doc(720 + n, f"เรื่อง {n}", "พญา นา " * 10 + "จบ") for n in range(10)]
    inside = [doc(740 + n, f"เรื่อง {n}", "พญานาค ตัวใหญ่") for n in range(10)]
    backend.index(crossing + inside)
    every = [(h.document_id, h.score) for h in backend.search("ญานา", limit=4).hits]
    assert {d for d, _ in every} <= {720 + n for n in range(10)}
    monkeypatch.setattr(pg_substrings, "COUNTED", 5)
    assert [(h.document_id, h.score) for h in backend.search("ญานา", limit=4).hits] == every


def test_a_search_meeting_a_dropped_generation_is_told_and_asked_again(pg):
    from indexer.search import pg_substrings

    backend, _settings = pg
    backend.index([doc(760, "ข่าว", "การประชุมจังหวัด")])
    old = backend.store.live()[0]
    backend.rebuild(iter([doc(760, "ข่าว", "การประชุมจังหวัด")]))
    assert backend.store.live()[0] != old
    with pytest.raises(pg_store.GenerationGone):
        pg_substrings.junction_docs(backend.store, old, encode_chunk("ชุมจัง"), 5)
    assert [h.document_id for h in backend.search("ชุมจัง", match="all").hits] == [760]


def test_ids_go_as_one_bigint_array_the_planner_sees_as_a_constant(pg):
    backend, _settings = pg
    con = backend.store.conn()
    ids = id_array({30, 1, 200_000_000_000})
    assert con.execute("SELECT pg_typeof(%s)::text, %s", (ids, ids)).fetchone() == (
        "bigint[]",
        [1, 30, 200_000_000_000],
    )
    assert con.execute("SELECT cardinality(%s::bigint[])", (id_array([]),)).fetchone() == (0,)
    # a constant array, not a text cast at run time: doc_id = ANY(...) is hashed on it
    plan = "\n".join(
        r[0]
        for r in con.execute(
            "EXPLAIN VERBOSE SELECT doc_id FROM khlang_search.documents"
            " WHERE doc_id = ANY(%s::bigint[])",
            (ids,),
        )
    )
    assert "'{1,30,200000000000}'::bigint[]" in plan


def test_a_substring_only_tier_counts_each_occurrence_once_across_overlapping_pieces(pg):
    """Pieces overlap by PIECE_OVERLAP characters: an occurrence lying in an overlap is in
    two pieces and counted once, as in the document's whole text."""
    from indexer.search import pg_substrings
    from indexer.search.searching import SUBSTRING_SCORE

    backend, _settings = pg
    words = ["ชาวบ้าน", "ร่วมกัน", "ปลูกต้นไม้", "ริมคลอง", "ตลาดนัดชุมชน", "ทุกปี"]
    texts = [
        " ".join(words[(n * k + k * k) % len(words)] for k in range(120 + 37 * n)) for n in range(8)
    ]
    backend.index(doc(900 + n, f"บันทึก {n}", t) for n, t in enumerate(texts))
    [chunk] = pg_chunks.chunks(["ลาดนัดชุ"], DEFAULT_DICTIONARY)  # no word: substring only
    gen = backend.store.live()[0]
    units = dict(backend.store.rows("SELECT doc_id, units FROM khlang_search.documents"))
    in_overlap = [
        d
        for d, u in units.items()
        for k in range(1, len(u) // PIECE_STEP + 1)
        if chunk.encoded in u[k * PIECE_STEP : k * PIECE_STEP + pg_rows.PIECE_OVERLAP]
    ]
    assert in_overlap  # the case counted twice if the overlap were not taken away
    got = dict(pg_substrings.substring_top(backend.store, gen, [chunk], set(units), len(units)))
    for d, u in units.items():
        n = u.count(chunk.encoded)
        assert got[d] == pytest.approx(SUBSTRING_SCORE * n / (1 + n)), d
