"""SearchIndex on the real seeds: never-miss, folding, ranking, facets, lifecycle."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import pickle
import random
import re
from pathlib import Path

import numpy as np
import pytest

from indexer.search import analysis as A
from indexer.search.index import IndexDamaged, SearchIndex
from indexer.search.schema import build_schema

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds not present")


def seed_docs() -> list[dict]:
    provinces = [["เชียงใหม่", "ลำพูน"], ["นครพนม"], ["เชียงใหม่"], ["เชียงราย"], ["ฉะเชิงเทรา"]]
    kinds = ["guideline", "guideline", "report", "letter", "letter"]
    years = [2562, None, 2559, 2567, 2566]
    pubs = ["published", "approved", "published", "draft", "internal"]
    docs = []
    for i, path in enumerate(SEEDS):
        text = path.read_text(encoding="utf-8")
        title = re.sub(r"[*#]", "", next(ln for ln in text.splitlines() if ln.strip())).strip()
        docs.append(
            {
                "id": i + 1,
                "title": title[:120],
                "filename": path.name,
                "text": text,
                "category": "ข้อมูลพื้นฐาน" if i in (3, 4) else "กลุ่มจังหวัด",
                "kind": kinds[i],
                "fiscal_year": years[i],
                "date": dt.date(2019 + i, 3, 1),
                "provinces": provinces[i],
                "projects": ["จปฐ"] if i in (3, 4) else ["โครงการกลุ่มจังหวัดภาคเหนือตอนบน ๑"],
                "agencies": ["สำนักงานพัฒนาชุมชนจังหวัด"] if i in (3, 4) else ["OSM"],
                "publication": pubs[i],
                "mime": "text/plain",
                "letter_number": None,
                "metadata_text": "",
            }
        )
    return docs


def small_doc(doc_id: int, text: str, **kw) -> dict:
    doc = {
        "id": doc_id,
        "title": kw.pop("title", f"เอกสาร {doc_id}"),
        "filename": f"d{doc_id}.txt",
        "text": text,
        "category": "ทดสอบ",
        "kind": "note",
        "fiscal_year": None,
        "date": None,
        "provinces": [],
        "projects": [],
        "agencies": [],
        "publication": "published",
        "mime": "text/plain",
        "letter_number": None,
        "metadata_text": "",
    }
    doc.update(kw)
    return doc


EXTRA = [
    small_doc(101, "ราคาข้าวหอมมะลิในตลาดวันนี้สูงขึ้น"),
    small_doc(102, "ข่าวประชาสัมพันธ์ของจังหวัดประจำสัปดาห์"),
    small_doc(103, "ผ้าสีขาวสำหรับพิธีการ"),
    # กลุ่มจังหวัด ... ภาคเหนือ ... ตอนบน scattered, never as one phrase
    small_doc(104, "กลุ่มจังหวัด ทั้งหมดในภาคเหนือ มีพื้นที่ตอนบน ของประเทศ"),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory) -> SearchIndex:
    index = SearchIndex(tmp_path_factory.mktemp("search") / "ix").open_or_create()
    index.add_documents(seed_docs() + EXTRA, batch_size=3)
    return index


def ids(result: dict) -> list[int]:
    return [h["document_id"] for h in result["hits"]]


def test_lifecycle_basics(ix):
    assert ix.indexed_ids() == {1, 2, 3, 4, 5, 101, 102, 103, 104}
    assert ix.is_healthy()
    assert ix.stored_schema_version() == ix.schema_version
    assert "analyzer=" in ix.schema_version and "dict=" in ix.schema_version
    assert ix.needs_rebuild()  # created empty by this open_or_create: caller must fill it
    again = SearchIndex(ix.index_dir).open_or_create()
    assert not again.needs_rebuild() and not again.recreated


def test_result_is_json_and_shaped(ix):
    r = ix.search("แนวทาง", limit=2)
    assert json.loads(json.dumps(r)) == r
    assert set(r) == {"total", "hits", "facets", "suggestion", "query"}
    hit = r["hits"][0]
    assert set(hit) == {
        "document_id",
        "title",
        "filename",
        "score",
        "snippet",
        "kind",
        "category",
        "fiscal_year",
        "date",
        "received",
        "match",
    }
    assert hit["match"] in ("phrase", "all", "some")
    assert set(r["facets"]) == {
        "fiscal_year",
        "province",
        "project",
        "agency",
        "category",
        "kind",
        "sender",
        "urgency",
        "has_deadline",
    }


def _unit_spans(text: str) -> list[list[tuple[int, int]]]:
    """Syllable units of each whitespace-free stretch of text, in original offsets."""
    runs: list[list[tuple[int, int]]] = []
    last_end = -1
    for p in A.syllables(text):
        if not runs or re.search(r"\s", text[last_end : p.start]):
            runs.append([])
        runs[-1].append((p.start, p.end))
        last_end = p.end
    return runs


def test_never_miss_tcc_aligned_substrings(ix):
    """300 substrings of the seeds that start and end on syllable-unit (TCC) boundaries, of
    1 to 12 units, each find their document, whatever the word segmenter did."""
    rng = random.Random(2024)
    docs = seed_docs()
    cases = []
    for doc in docs:
        runs = [r for r in _unit_spans(doc["text"]) if len(r) >= 2]
        for _ in range(60):
            run = rng.choice(runs)
            length = rng.randint(1, min(12, len(run)))
            i = rng.randrange(len(run) - length + 1)
            cases.append((doc["id"], doc["text"][run[i][0] : run[i + length - 1][1]]))
    assert len(cases) == 300
    missed = []
    for doc_id, q in cases:
        r = ix.search(q, limit=50)
        if doc_id not in ids(r):
            missed.append((doc_id, q))
    assert not missed, missed[:10]


def test_never_miss_word_substrings_and_compounds(ix):
    for q, doc_id in [
        ("แนวทาง", 1),  # newmm/nlpo3: แนว|ทางการ|จัดเก็บ
        ("เหนือ", 1),  # inside ภาคเหนือ
        ("งบประมาณ", 1),  # inside ปีงบประมาณ
        ("จังหวัด", 3),  # inside ศาลากลางจังหวัด
        ("ทางการจัด", 1),
        ("ภาคเหนือตอนบน", 3),
        ("ศาลากลาง", 4),
    ]:
        assert doc_id in ids(ix.search(q, limit=50)), q


def test_multi_chunk_substrings_find_their_document(ix):
    rng = random.Random(7)
    for doc in seed_docs():
        text = doc["text"]
        units = A.syllables(text)
        for _ in range(8):
            i = rng.randrange(len(units) - 30)
            j = i + rng.randint(5, 30)
            q = text[units[i].start : units[j].end]
            assert doc["id"] in ids(ix.search(q, limit=50)), q


def test_thai_and_arabic_digits_match(ix):
    assert 1 in ids(ix.search("2562")) and 1 in ids(ix.search("๒๕๖๒"))
    assert ids(ix.search("๑๙๕๕๕")) == ids(ix.search("19555")) == [4]
    assert 4 in ids(ix.search("0019.1"))


def test_abbreviations_fold(ix):
    a, b = ix.search("พ.ศ."), ix.search("พศ")
    assert a["total"] == b["total"] >= 4
    assert set(ids(ix.search("จปฐ."))) == set(ids(ix.search("จปฐ"))) == {4, 5}


def test_tone_marks_distinct(ix):
    assert ids(ix.search("ข้าว")) == [101]
    assert 102 in ids(ix.search("ข่าว")) and 101 not in ids(ix.search("ข่าว"))
    assert ids(ix.search("ขาว")) == [103]


def test_unbroken_thai_query_is_a_phrase(ix):
    r = ix.search("กลุ่มจังหวัดภาคเหนือตอนบน", limit=50)
    assert 104 not in ids(r)
    assert {1, 3} <= set(ids(r))
    # the same words typed apart are an AND-boosted OR: 104 comes back, after full matches
    r2 = ix.search("กลุ่มจังหวัด ภาคเหนือ ตอนบน", limit=50)
    assert 104 in ids(r2)


def test_all_terms_rank_first_partial_still_returned(ix):
    r = ix.search("PADME ข้าวหอมมะลิ", limit=20)
    assert set(ids(r)) == {3, 101}  # no document has both: partial matches come back
    both = set(ids(ix.search("OSM", limit=50))) & set(ids(ix.search("จังหวัด", limit=50)))
    r = ix.search("OSM จังหวัด", limit=50)
    assert both and set(ids(r)[: len(both)]) == both  # every-term documents first
    assert 102 in ids(r)[len(both) :]  # a short doc with only จังหวัด scores high, comes after
    assert r["total"] == len(ids(r))


def test_word_match_ranks_above_syllable_only(ix):
    # "ข่าว" is a whole word in 102 but only a syllable run inside ข่าวสาร in seed 2
    r = ix.search("ข่าว", limit=10)
    assert ids(r)[0] == 102


def test_quoted_phrase_and_exclusion(ix):
    r = ix.search('"แผนการใช้จ่าย งบประมาณ"')
    assert 4 in ids(r) and 1 not in ids(r)
    assert 5 not in ids(ix.search("จปฐ -CHACHOENSAO"))
    assert 4 in ids(ix.search("จปฐ -CHACHOENSAO"))


def test_field_filters_thai_and_english(ix):
    assert ids(ix.search("ปีงบประมาณ:๒๕๖๒")) == ids(ix.search("fiscal_year:2562")) == [1]
    assert ids(ix.search("fiscal_year:2019")) == [1]  # C.E. accepted
    assert set(ids(ix.search("จังหวัด:เชียงใหม่"))) == {1, 3}
    assert set(ids(ix.search("province:เชียงใหม่ PADME"))) == {3}
    assert set(ids(ix.search("ประเภท:letter"))) == {4, 5}
    assert set(ids(ix.search("หมวด:ข้อมูลพื้นฐาน"))) == {4, 5}
    assert set(ids(ix.search("หน่วยงาน:OSM"))) == {1, 2, 3}
    assert set(ids(ix.search('โครงการ:"โครงการกลุ่มจังหวัดภาคเหนือตอนบน ๑"'))) == {1, 2, 3}
    assert set(ids(ix.search("งบประมาณ", filters={"kind": "letter"}))) == {4, 5}
    assert ix.search("จังหวัด:เชียงใหม่")["query"]["filters"] == {"province": ["เชียงใหม่"]}


def test_facets_count_all_matches(ix):
    r = ix.search("งบประมาณ", limit=1)
    kinds = {f["value"]: f["count"] for f in r["facets"]["kind"]}
    assert sum(kinds.values()) == r["total"] >= 4
    provinces = {f["value"]: f["count"] for f in r["facets"]["province"]}
    assert provinces["เชียงใหม่"] >= 1 and provinces["เชียงราย"] == 1


def test_published_only_hides_hits_counts_and_facets(ix):
    everything = ix.search("จปฐ")
    visible = ix.search("จปฐ", published_only=True)
    assert everything["total"] == 2 and visible["total"] == 0 and visible["hits"] == []
    assert all(not v for v in visible["facets"].values())
    r = ix.search("งบประมาณ", published_only=True)
    assert set(ids(r)) <= {1, 2, 3}
    assert sum(f["count"] for f in r["facets"]["kind"]) == r["total"]
    assert "draft" not in json.dumps(r) and "letter" not in {
        f["value"] for f in r["facets"]["kind"]
    }


def test_pagination_and_date_sort(ix):
    full = ids(ix.search("จังหวัด", limit=50))
    pages = []
    for off in range(0, len(full), 2):
        pages += ids(ix.search("จังหวัด", limit=2, offset=off))
    assert pages == full and len(full) == len(set(full))
    multi = ids(ix.search("จังหวัด งบประมาณ", limit=50))
    paged = ids(ix.search("จังหวัด งบประมาณ", limit=3)) + ids(
        ix.search("จังหวัด งบประมาณ", limit=3, offset=3)
    )
    assert paged == multi[:6]
    by_date = ix.search("จังหวัด", sort="date", limit=50)
    dates = [h["date"] for h in by_date["hits"] if h["date"]]
    assert dates == sorted(dates, reverse=True)


def test_repeated_searches_page_past_the_window_and_see_every_change(tmp_path):
    """Results are kept per index state (popular queries and next pages skip the ranking):
    a caller editing its result changes nothing, pages beyond the kept window are right,
    and an added or deleted document shows at once."""
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents([small_doc(n, f"รายงานผลการดำเนินงาน ฉบับที่ {n}") for n in range(1, 71)])
    first = index.search("รายงาน", limit=10)
    first["hits"][0]["title"] = "แก้แล้ว"
    first["hits"].clear()
    first["facets"].clear()
    again = index.search("รายงาน", limit=10)
    assert again["total"] == 70 and len(again["hits"]) == 10 and again["facets"]["category"]
    assert again["hits"][0]["title"] != "แก้แล้ว"
    everything = ids(index.search("รายงาน", limit=70))
    paged = [
        d for off in range(0, 70, 10) for d in ids(index.search("รายงาน", limit=10, offset=off))
    ]
    assert paged == everything and sorted(everything) == list(range(1, 71))
    index.add_documents([small_doc(200, "รายงานฉบับใหม่")])
    assert index.search("รายงาน", limit=10)["total"] == 71
    index.delete_document(200)
    assert index.search("รายงาน", limit=10)["total"] == 70


def test_snippet_marks_escapes_and_cuts_at_word_boundaries(ix):
    r = ix.search("เหนือ", limit=5)
    doc = {d["id"]: d for d in seed_docs()}[r["hits"][0]["document_id"]]
    snip = r["hits"][0]["snippet"]
    assert "<mark>เหนือ</mark>" in snip
    plain = re.sub(r"</?mark>", "", snip).strip("…")
    assert "<" not in plain.replace("&lt;", "")
    text = re.sub(r"\s+", " ", doc["text"])
    at = text.find(plain)
    assert at >= 0
    boundaries = {0, len(text)} | {b for p in A.words(text) for b in (p.start, p.end)}
    assert at in boundaries and at + len(plain) in boundaries
    r = ix.search("PADME")
    assert "<mark>PADME</mark>" in r["hits"][0]["snippet"]
    assert "<mark>๒๕๖๒</mark>" in ix.search("2562")["hits"][0]["snippet"]


def test_suggestion_when_the_correction_finds_more(ix):
    r = ix.search("งบประมาน", match="all")  # misspelt งบประมาณ
    assert r["total"] == 0 and r["suggestion"] == "งบประมาณ"
    # the default finds documents with งบ, and still offers the word that all of them lack
    r = ix.search("งบประมาน")
    assert r["total"] and {h["match"] for h in r["hits"]} == {"some"}
    assert r["suggestion"] == "งบประมาณ"
    assert ix.search("งบประมาณ")["suggestion"] is None


def test_no_suggestion_for_a_question_of_known_words(ix):
    """Question and function words are spelt right even when no document has them (บ้าง
    was "corrected" to บ้าน); a query of dictionary or indexed words gets no suggestion."""
    for question in (
        "ต้องส่งบัญชีรายละเอียดทรัพยากรภายในปีไหนบ้าง",
        "การเผยแพร่ข้อมูลบนเว็บไซต์จังหวัดต้องได้รับอนุมัติจากใคร",
    ):
        for match in ("default", "all"):
            assert ix.search(question, match=match)["suggestion"] is None, (question, match)


def test_no_suggestion_when_the_correction_finds_no_more(ix):
    """เชียงไหม่ would be corrected to เชียงใหม่, but no document has every word of the
    corrected question either: the suggestion would find nothing more."""
    query = "ข้อมูลความจำเป็นพื้นฐานของจังหวัดเชียงไหม่"
    s = ix._get_searcher()
    assert ix._tables(s).speller.suggest(s.reader(), [query]).endswith("เชียงใหม่")
    fixed = ix.search(query.replace("ไหม่", "ใหม่"), limit=50)
    assert not any(h["match"] in ("phrase", "all") for h in fixed["hits"])
    assert ix.search(query)["suggestion"] is None


def test_a_long_chunk_is_corrected_word_by_word(ix):
    """A chunk longer than one word is never compared whole with the lexicon (slow, and no
    single word is that long): its unknown words are corrected one by one."""
    from indexer.search.spelling import WHOLE_WORD_MAX

    query = "ข้อมูลความจำเป็นพื้นฐานของจังหวัดเชียงไหม่"  # เชียงใหม่ misspelt at the end
    assert len(query) > WHOLE_WORD_MAX
    s = ix._get_searcher()
    suggestion = ix._tables(s).speller.suggest(s.reader(), [query])
    assert suggestion is not None and suggestion.endswith("เชียงใหม่")
    assert suggestion.startswith("ข้อมูลความจำเป็นพื้นฐาน")


def test_similar_returns_shared_terms(ix):
    para = (
        "โครงการตรวจสอบและรับรองคุณภาพการจัดเก็บข้อมูลความจำเป็นพื้นฐาน (จปฐ.) "
        "ของอำเภอในจังหวัด ปีงบประมาณ ๒๕๖๘"
    )
    hits = ix.similar(para, limit=3)
    assert hits[0]["document_id"] in (4, 5)
    assert "จปฐ" in hits[0]["shared_terms"]
    assert json.loads(json.dumps(hits)) == hits
    assert all(h["document_id"] != 4 for h in ix.similar_to_document(4))
    visible = ix.similar(para, published_only=True)
    assert visible and all(h["document_id"] not in (4, 5) for h in visible)


def test_pickled_schema_is_small(ix):
    assert len(pickle.dumps(build_schema())) < 8000
    gen = ix.index_dir / (ix.index_dir / "CURRENT").read_text()
    tocs = list(gen.glob("*.toc"))
    assert tocs and max(p.stat().st_size for p in tocs) < 20000


def test_rebuild_swaps_atomically(tmp_path):
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(EXTRA[:2])
    other = SearchIndex(tmp_path / "ix").open_or_create()  # e.g. another worker
    assert ids(other.search("ข้าว")) == [101]
    seen = []
    n = index.rebuild(iter(EXTRA[1:]), progress=seen.append)
    assert n == 3 and seen[-1] == 3
    assert other.indexed_ids() == {102, 103, 104}  # the other worker follows CURRENT
    assert other.search("ข้าว")["total"] == 0
    assert not index.needs_rebuild()
    assert len([p for p in (tmp_path / "ix").iterdir() if p.name.startswith("gen-")]) <= 2


def test_delete_document(tmp_path):
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(EXTRA)
    index.delete_document(101)
    assert 101 not in index.indexed_ids() and index.search("ข้าว")["total"] == 0
    index.add_documents([small_doc(102, "ข้าวใหม่")])  # update by id
    assert index.indexed_ids() == {102, 103, 104}
    assert ids(index.search("ข้าวใหม่")) == [102] and index.search("ประชาสัมพันธ์")["total"] == 0


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_index_is_detected_and_recreated(tmp_path, damage):
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(seed_docs()[:2] + EXTRA)
    index.close()
    gen = tmp_path / "ix" / (tmp_path / "ix" / "CURRENT").read_text()
    seg = max(gen.glob("*.seg"), key=lambda p: p.stat().st_size)
    data = seg.read_bytes()
    if damage == "truncate":
        seg.write_bytes(data[: len(data) // 3])
    else:
        mid = len(data) // 2
        seg.write_bytes(data[:100] + b"\xff" * (len(data) - 200) + data[-100:])
        assert mid
    fresh = SearchIndex(tmp_path / "ix")
    assert not fresh.is_healthy(deep=True)
    fresh.open_or_create()  # never fatal
    assert fresh.recreated and fresh.needs_rebuild() and fresh.is_healthy()
    with pytest.raises(IndexDamaged):  # an empty stand-in never answers "nothing found"
        fresh.search("ข้าว")
    fresh.add_documents(EXTRA)  # writers go on meanwhile
    with pytest.raises(IndexDamaged):
        fresh.search("ข้าว")
    fresh.rebuild(EXTRA)
    assert ids(fresh.search("ข้าว")) == [101] and fresh.unavailable() is None


def _writer_process(index_dir: str, start: int, count: int) -> None:
    index = SearchIndex(Path(index_dir), lock_timeout=120).open_or_create()
    docs = [small_doc(start + i, f"เอกสารทดสอบ ข้าวหอมมะลิ ลำดับ {start + i}") for i in range(count)]
    index.add_documents(docs, batch_size=4)


def test_concurrent_writers_from_two_processes(tmp_path):
    SearchIndex(tmp_path / "ix").open_or_create()
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(target=_writer_process, args=(str(tmp_path / "ix"), s, 24))
        for s in (1000, 2000)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    index = SearchIndex(tmp_path / "ix").open_or_create()
    assert index.is_healthy(deep=True)
    assert index.indexed_ids() == set(range(1000, 1024)) | set(range(2000, 2024))
    assert index.search("ข้าวหอมมะลิ", limit=100)["total"] == 48


def test_the_live_generations_tables_are_kept_over_an_older_ones(tmp_path):
    """After a rebuild, a request still reading the old generation (whose commit count may
    be far higher than the new one's) must not take the shared tables' place: every search
    of the live generation would then build its own tables, with empty caches."""
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(seed_docs())
    live = str(index.index_dir / index._gen)
    index._cache = index._tables(index._get_searcher())
    assert index._cache.key[0] == live
    assert not index._newer_than_kept((str(tmp_path / "ix" / "gen-old"), 500))
    assert index._newer_than_kept((live, index._cache.key[1] + 1))
    assert not index._newer_than_kept((live, index._cache.key[1] - 1))


def test_far_pages_are_not_kept_in_the_result_cache(tmp_path):
    """Only the first pages of a result are kept: a far offset ranks for its asker only."""
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents([small_doc(n, f"รายงาน ฉบับที่ {n}") for n in range(1, 301)])
    first = index.search("รายงาน", limit=20)
    assert first["total"] == 300 and len(index._results) == 1
    far = index.search("รายงาน", limit=20, offset=260)
    assert len(far["hits"]) == 20
    entry = next(iter(index._results.values()))
    assert len(entry.page) < 260  # the far page was not kept


def test_word_matches_are_substring_matches(ix):
    """Search takes its match sets from the sidecar alone; that is sound because a document
    that matches a chunk as a word or word phrase (its words one after another in the
    document's words) also contains it as an aligned substring. Checked for words and word
    pairs of the seeds."""
    from indexer.search.query import chunk_clause

    rng = random.Random(3)
    s = ix._get_searcher()
    tables = ix._tables(s)
    docs = seed_docs() + EXTRA
    doc_words = {
        doc["id"]: [A.word_texts(A.normalize(doc[f])) for f in ("title", "text")] for doc in docs
    }

    def word_matches(chunk: str) -> set[int]:
        want = A.word_texts(A.normalize(chunk))
        return {
            int(tables.docnum_by_id[doc_id])
            for doc_id, fields in doc_words.items()
            if any(
                fields_words[i : i + len(want)] == want
                for fields_words in fields
                for i in range(len(fields_words))
            )
        }

    checked = 0
    for doc in seed_docs():
        pieces = A.words(doc["text"])
        for _ in range(40):
            i = rng.randrange(len(pieces) - 1)
            for chunk in (pieces[i].text, doc["text"][pieces[i].start : pieces[i + 1].end]):
                clause = chunk_clause(chunk)
                if clause is None:
                    continue
                by_words = word_matches(chunk)
                found = set(np.flatnonzero(ix._clause_docs(tables, clause)).tolist())
                assert by_words <= found, chunk
                checked += bool(by_words)
    assert checked > 300  # chunks that some document has as words


def test_alignment_short_and_unaligned_queries(tmp_path):
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(
        [
            small_doc(1, "ภูเขาวงกลมสวยงาม"),  # TCC: ภู|เขา|ว|ง|ก|ล|ม|ส|ว|ย|งา|ม
            small_doc(2, "ผ้าสีขาว"),
            small_doc(3, "ABC-123 x"),
        ]
    )
    assert ids(index.search("ขาว")) == [2]  # ขาว inside เขาว (not aligned) is not a match
    assert ids(index.search("เขา")) == [1]  # one unit
    assert set(ids(index.search("ว"))) == {1, 2}  # one character: the short-gram table
    assert ids(index.search("วง")) == [1]  # two one-character units
    assert ids(index.search("ขา")) == [2]  # ผ้า|สี|ขา|ว: aligned
    assert ids(index.search("x")) == [3] and ids(index.search("123")) == [3]
    assert index.search("12")["total"] == 0  # inside a digit run: runs are whole units


@pytest.mark.parametrize("damage", ["garbage", "missing"])
def test_corrupt_sidecar_is_detected_and_recreated(tmp_path, damage):
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(EXTRA)
    index.close()
    gen = tmp_path / "ix" / (tmp_path / "ix" / "CURRENT").read_text()
    side = gen / "units.sqlite"
    if damage == "garbage":
        side.write_bytes(b"\xff" * side.stat().st_size)
    else:
        side.unlink()
    fresh = SearchIndex(tmp_path / "ix")
    assert not fresh.is_healthy()
    fresh.open_or_create()  # never fatal
    assert fresh.recreated and fresh.needs_rebuild() and fresh.is_healthy(deep=True)
    with pytest.raises(IndexDamaged):
        fresh.search("ข้าว")
    fresh.rebuild(EXTRA)
    assert ids(fresh.search("ข้าว")) == [101]
    fresh.delete_document(101)
    assert fresh.search("ข้าว")["total"] == 0 and fresh.is_healthy(deep=True)


def test_letter_facets_and_filters(tmp_path):
    index = SearchIndex(tmp_path / "ix").open_or_create()
    office = "สำนักงานจังหวัดเชียงใหม่"
    index.add_documents(
        [
            small_doc(1, "หนังสือแจ้งการประชุม", sender=office, urgency="ด่วนที่สุด", has_deadline=True),
            small_doc(2, "หนังสือแจ้งผลการประชุม", sender=office, urgency="ด่วน", has_deadline=False),
            small_doc(3, "หนังสือเชิญประชุม", sender="กรมการพัฒนาชุมชน", has_deadline=True),
            small_doc(4, "รายงานการประชุม", publication="draft", urgency="ด่วนที่สุด"),
        ]
    )
    r = index.search("ประชุม")
    facet = {k: {f["value"]: f["count"] for f in v} for k, v in r["facets"].items()}
    assert facet["sender"] == {office: 2, "กรมการพัฒนาชุมชน": 1}
    assert facet["urgency"] == {"ด่วนที่สุด": 2, "ด่วน": 1}
    assert facet["has_deadline"] == {"yes": 2, "no": 1}
    assert set(ids(index.search(f'ผู้ส่ง:"{office}"'))) == {1, 2}
    assert set(ids(index.search(f'sender:"{office}" ผล'))) == {2}
    assert set(ids(index.search("ความเร่งด่วน:ด่วนที่สุด"))) == {1, 4}
    assert set(ids(index.search("urgency:ด่วน"))) == {2}
    assert set(ids(index.search("มีกำหนดส่ง:ใช่"))) == {1, 3}
    assert set(ids(index.search("has_deadline:no"))) == {2}
    assert set(ids(index.search("has_deadline:true"))) == {1, 3}
    assert set(ids(index.search("ประชุม", filters={"ผู้ส่ง": office, "urgency": "ด่วน"}))) == {2}
    assert set(ids(index.search("", filters={"has_deadline": "ไม่"}))) == {2}
    visible = index.search("ประชุม", published_only=True)
    assert 4 not in ids(visible)
    assert {f["value"]: f["count"] for f in visible["facets"]["urgency"]} == {
        "ด่วนที่สุด": 1,
        "ด่วน": 1,
    }
    assert index.search("มีกำหนดส่ง:ใช่")["query"]["filters"] == {"has_deadline": ["yes"]}


@pytest.mark.parametrize(
    "query", ["จังหวัด", "กลุ่มจังหวัด ภาคเหนือ", "งบประมาณ โครงการ", "ข้าว", "ผลการดำเนินงานโครงการ"]
)
def test_array_scoring_is_whoosh_bm25f(ix, query):
    """Word matches are scored from postings decoded into arrays with Whoosh's own BM25F:
    the scores and their order (ties to the lower docnum) must be Whoosh's."""
    from whoosh.query.compound import DefaultOr

    from indexer.search.query import chunk_clause

    searcher = ix._get_searcher()
    tables = ix._tables(searcher)
    clauses = [chunk_clause(chunk, ix.dictionary) for chunk in query.split()]
    word_q = clauses[0].words if len(clauses) == 1 else DefaultOr([c.words for c in clauses])
    tier = set(np.flatnonzero(tables.live).tolist())
    whoosh = {h.docnum: round(h.score, 6) for h in searcher.search(word_q, limit=None, filter=tier)}
    assert whoosh
    for cached in (False, True):  # decoded from the files, then from the postings cache
        got = ix._word_top(searcher, tables, word_q, tables.live, len(tier))
        assert {d: round(v, 6) for d, v in got} == whoosh
        assert got == sorted(got, key=lambda dv: (-dv[1], dv[0]))
        assert cached or len(tables.postings_cache) > 0


def test_array_scoring_across_many_blocks_and_segments(tmp_path):
    """Postings longer than one block (Whoosh writes 128 postings a block), in several
    segments, for a scattered subset of the documents: still exactly Whoosh's scores."""
    from indexer.search.query import chunk_clause

    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(
        [small_doc(n, "รายงาน " * (1 + n % 5) + f"ฉบับที่ {n}") for n in range(1, 601)],
        batch_size=250,
    )
    searcher = index._get_searcher()
    assert len(list(searcher.reader().leaf_readers())) > 1
    tables = index._tables(searcher)
    word_q = chunk_clause("รายงาน", index.dictionary).words
    tier = set(np.flatnonzero(tables.live)[5::37].tolist())
    whoosh = {h.docnum: round(h.score, 6) for h in searcher.search(word_q, limit=None, filter=tier)}
    assert len(whoosh) == len(tier)
    mask = tables.mask_of(np.array(sorted(tier)))
    got = index._word_top(searcher, tables, word_q, mask, len(tier))
    assert {d: round(v, 6) for d, v in got} == whoosh


def test_negated_filters_exclude_their_values(ix):
    """`-จังหวัด:เชียงใหม่` / `-province:เชียงใหม่` drop those documents (it once kept only
    them)."""
    everything = set(ids(ix.search("งบประมาณ", limit=50)))
    chiang_mai = set(ids(ix.search("งบประมาณ จังหวัด:เชียงใหม่", limit=50)))
    assert chiang_mai and chiang_mai < everything
    for query in ("งบประมาณ -province:เชียงใหม่", "งบประมาณ -จังหวัด:เชียงใหม่"):
        r = ix.search(query, limit=50)
        assert set(ids(r)) == everything - chiang_mai
        assert r["query"]["excluded_filters"] == {"province": ["เชียงใหม่"]}
    assert set(ids(ix.search("งบประมาณ -ประเภท:letter -kind:report", limit=50))) == {
        d for d in everything if d not in (3, 4, 5)
    }


def test_default_finds_scattered_words_all_mode_does_not(ix):
    query = "พื้นที่ภาคเหนือของประเทศ"
    assert 104 not in ids(ix.search(query, match="all", limit=50))
    assert ids(ix.search(query, match="strict", limit=50)) == ids(
        ix.search(query, match="all", limit=50)
    )  # the former default's name, kept for scripts
    r = ix.search(query, limit=50)
    assert r["hits"][0]["document_id"] == 104  # every content word (ของ is a stopword)
    assert r["hits"][0]["match"] == "all"
    assert {h["match"] for h in r["hits"][1:]} == {"some"}
    assert ids(ix.search(query, match="any", limit=50)) == ids(r)  # the former mode's name
    with pytest.raises(ValueError):
        ix.search("x", match="some")


def test_queries_are_repaired_like_ingested_text(ix):
    """Two sara e typed for sara ae (เเ) and a decomposed sara am: ingestion repairs them
    in documents, so the query is repaired too."""
    wanted = set(ids(ix.search("แนวทาง")))
    assert wanted and set(ids(ix.search("\u0e40\u0e40นวทาง"))) == wanted
    assert set(ids(ix.search("ดําเนินงาน"))) == set(ids(ix.search("ดำเนินงาน"))) != set()


def test_tcc_aligned_substrings_match_but_whole_words_rank_first(tmp_path):
    """ขา is found inside ขาว (TCC-aligned: ขา|ว), never missing a syllable match; the
    document where ขา is a word of its own comes first."""
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(
        [
            small_doc(1, "ผ้าสีขาวสำหรับพิธีการ ผ้าสีขาวผืนใหม่"),
            small_doc(2, "โต๊ะตัวนี้ขาหักต้องซ่อม"),
        ]
    )
    assert ids(index.search("ขา")) == [2, 1]


def test_project_filter_takes_part_of_a_name(tmp_path):
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(
        [
            small_doc(1, "รายงาน", projects=["โครงการส่งเสริมการท่องเที่ยวเชิงวัฒนธรรมล้านนา"]),
            small_doc(2, "รายงาน", projects=["โครงการพัฒนาศักยภาพการท่องเที่ยวชุมชน"]),
            small_doc(3, "รายงาน", projects=["โครงการยกระดับมาตรฐานสินค้าเกษตร"]),
        ]
    )
    assert ids(index.search("โครงการ:วัฒนธรรมล้านนา")) == [1]  # a unique part
    assert set(ids(index.search("project:ท่องเที่ยว"))) == {1, 2}  # every name with it
    assert ids(index.search("-โครงการ:ท่องเที่ยว")) == [3]
    assert ids(index.search('โครงการ:"โครงการยกระดับมาตรฐานสินค้าเกษตร"')) == [3]  # exact


def test_undated_documents_sort_last_by_date(tmp_path):
    index = SearchIndex(tmp_path / "ix").open_or_create()
    index.add_documents(
        [
            small_doc(1, "รายงาน", date=dt.date(2020, 1, 5), received=dt.date(2024, 2, 1)),
            small_doc(2, "รายงาน", date=None, received=dt.date(2025, 6, 1)),
            small_doc(3, "รายงาน", date=dt.date(2023, 4, 1), received=dt.date(2024, 2, 1)),
        ]
    )
    hits = index.search("รายงาน", sort="date")["hits"]
    assert [h["document_id"] for h in hits] == [3, 1, 2]
    assert hits[2]["date"] is None and hits[2]["received"] == "2025-06-01"


def test_similar_documents_carry_their_projects(tmp_path):
    from indexer.search.similar import similar_projects

    index = SearchIndex(tmp_path / "ix").open_or_create()
    water = "ระบบประปาหมู่บ้าน น้ำสะอาด ถังเก็บน้ำ ท่อส่งน้ำ ชุมชน"
    index.add_documents(
        [
            small_doc(1, f"แบบก่อสร้าง{water}", projects=["โครงการน้ำสะอาดเพื่อชุมชน"]),
            small_doc(2, f"รายงานผล{water}", projects=["โครงการน้ำสะอาดเพื่อชุมชน"]),
            small_doc(3, f"คู่มือ{water}", projects=["โครงการประปาโรงเรียน"]),
            small_doc(4, "การท่องเที่ยวเชิงวัฒนธรรม งานประเพณี", projects=["โครงการท่องเที่ยว"]),
        ]
        + [small_doc(10 + n, f"เอกสารอื่น เรื่องที่ {n} งานทั่วไป") for n in range(20)]
    )
    hits = index.similar("โครงการพัฒนาระบบประปาหมู่บ้านให้มีน้ำสะอาดและถังเก็บน้ำ", limit=10)
    assert {h["document_id"] for h in hits[:3]} == {1, 2, 3}
    assert {tuple(h["projects"]) for h in hits[:3]} == {
        ("โครงการน้ำสะอาดเพื่อชุมชน",),
        ("โครงการประปาโรงเรียน",),
    }
    projects = similar_projects(hits)
    assert [p["project"] for p in projects[:2]] == [
        "โครงการน้ำสะอาดเพื่อชุมชน",  # two similar outputs
        "โครงการประปาโรงเรียน",
    ]
    first = projects[0]
    assert {d["document_id"] for d in first["documents"]} == {1, 2}
    assert "ประปา" in first["shared_terms"] and first["score"] > projects[1]["score"]
    assert "โครงการท่องเที่ยว" not in [p["project"] for p in projects]


def test_default_tiers_share_of_words_required_and_excluded(tmp_path):
    """A long question: a document with every word comes first, one with half of them
    follows, one with a single word of eight is left out (the share grows with the length);
    +word and -word still apply, and the share relaxes rather than leave the page empty."""
    index = SearchIndex(tmp_path / "ix").open_or_create()
    texts = {
        1: "งบประมาณ โครงการ จังหวัด ลำปาง ประชุม รายงาน ติดตาม ผลการดำเนินงาน",
        2: "งบประมาณ ของ หมู่บ้าน",
        3: "โครงการ จังหวัด ลำปาง ประชุม",
    }
    index.add_documents(
        {"id": i, "title": f"เอกสาร {i}", "text": t, "publication": "published"}
        for i, t in texts.items()
    )
    question = "งบประมาณโครงการจังหวัดลำปางประชุมรายงานติดตามผลการดำเนินงานเป็นอย่างไร"
    r = index.search(question)
    assert [(h["document_id"], h["match"]) for h in r["hits"]] == [(1, "all"), (3, "some")]
    assert r["total"] == 2 and r["suggestion"] is None
    # without the documents that have ลำปาง, the one with a single word is what is left
    assert ids(index.search(question + " -ลำปาง")) == [2]
    # the only document with หมู่บ้าน has one word of eight: shown all the same
    assert [(h["document_id"], h["match"]) for h in index.search(question + " +หมู่บ้าน")["hits"]] == [
        (2, "some")
    ]
    # one word of a long question is enough when no document has more
    lone = "หมู่บ้านดาวอังคารยานอวกาศนักบินอวกาศมนุษย์ต่างดาวจรวดกาแล็กซีมีอะไรบ้าง"
    assert [(h["document_id"], h["match"]) for h in index.search(lone)["hits"]] == [(2, "some")]
    # quoted: must occur as written, in every tier
    assert ids(index.search('"ลำปาง ประชุม" งบประมาณ')) == [1, 3]
    assert ids(index.search('"ลำปางงบประมาณ"')) == []


def test_a_long_question_finds_a_passage_sharing_a_third_of_its_words(tmp_path):
    """Twelve content words: a document worded otherwise, with four of them (a third), is
    in the ``some`` tier beside one with six; one with a single word is still left out.
    At half (six of twelve) the paraphrasing document fell out of every tier."""
    index = SearchIndex(tmp_path / "ix").open_or_create()
    texts = {
        1: "งบประมาณ โครงการ จังหวัด ลำปาง ประชุม รายงาน",
        2: "ติดตาม ผลการดำเนินงาน ถนน ประปา และ ท่อ น้ำ",
        3: "ตลาด สด",
    }
    index.add_documents(
        {"id": i, "title": f"เอกสาร {i}", "text": t, "publication": "published"}
        for i, t in texts.items()
    )
    question = "งบประมาณโครงการจังหวัดลำปางประชุมรายงานติดตามผลการดำเนินงานถนนประปาโรงเรียนตลาดเป็นอย่างไร"
    assert [(h["document_id"], h["match"]) for h in index.search(question)["hits"]] == [
        (1, "some"),
        (2, "some"),
    ]


def test_a_word_in_nearly_every_document_weighs_nearly_nothing(tmp_path):
    """The standard BM25 idf: a function word in every document weighs a small fraction of
    a word of one document (Whoosh's own idf never fell below 1: about a third of it),
    so a passage repeating ที่ and ใน does not outrank the one with the question's rarer
    words."""
    index = SearchIndex(tmp_path / "ix").open_or_create()
    places = ["ถนน", "ประปา", "ไฟฟ้า", "โรงเรียน", "ตลาด", "วัด", "ป่าไม้", "แม่น้ำ"]
    index.add_documents(
        {"id": i, "title": "", "text": f"รายงาน ที่ ใน เรื่อง {place}", "publication": "published"}
        for i, place in enumerate(places, 1)
    )
    searcher = index._get_searcher()
    assert searcher.idf("text", "ที่") < 0.1 * searcher.idf("text", "ตลาด")
    assert searcher.idf("text", "ที่") > 0  # still counts: never negative, never zero
