"""The search seam (indexer.search.backend), tested through the interface only.

Every backend in ``BACKENDS`` runs every test here: a new engine is tested by adding its
line there (and, for the damage test, how to damage its files to ``DAMAGE`` below). The
documents are written for these tests (not the corpus) and are real Thai: tone marks,
Thai digits, words the segmenter cuts differently in a query and in a text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import psycopg
import pytest

from indexer.search.backend import (
    BACKENDS,
    Health,
    SearchBackend,
    SearchHit,
    SearchResult,
    SimilarHit,
    StagedIndex,
    search_backend,
)
from indexer.search.errors import IndexDamaged
from indexer.search.pg_store import conninfo
from schemas.config import ConfigError, Settings
from tests.search_databases import search_settings


def doc(doc_id: int, title: str, text: str, **kw) -> dict:
    fields = {
        "id": doc_id,
        "title": title,
        "filename": f"doc{doc_id}.txt",
        "text": text,
        "category": "กลุ่มจังหวัด",
        "kind": "report",
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
    return fields | kw


DOCS = [
    doc(
        1,
        "รายงานผลการดำเนินงานโครงการส่งเสริมการท่องเที่ยวเชิงนิเวศ",
        "โครงการส่งเสริมการท่องเที่ยวเชิงนิเวศของกลุ่มจังหวัดภาคเหนือตอนบน ใช้งบประมาณ "
        "๒,๕๐๐,๐๐๐ บาท ในปีงบประมาณ ๒๕๖๒ มีนักท่องเที่ยวเพิ่มขึ้นร้อยละ ๑๒",
        kind="report",
        fiscal_year=2562,
        date=dt.date(2019, 9, 30),
        provinces=["เชียงใหม่", "ลำพูน"],
        projects=["โครงการส่งเสริมการท่องเที่ยวเชิงนิเวศ"],
    ),
    doc(
        2,
        "แนวทางการจัดเก็บข้อมูลความจำเป็นพื้นฐาน",
        "แนวทางการจัดเก็บข้อมูลความจำเป็นพื้นฐาน (จปฐ.) สำหรับเจ้าหน้าที่พัฒนาชุมชน "
        "ปีงบประมาณ ๒๕๖๖ ให้สำรวจทุกครัวเรือนในหมู่บ้าน",
        kind="guideline",
        fiscal_year=2566,
        date=dt.date(2023, 1, 15),
        provinces=["นครพนม"],
        projects=["จปฐ"],
    ),
    doc(
        3,
        "หนังสือแจ้งการประชุมคณะกรรมการ",
        "ขอเชิญประชุมคณะกรรมการติดตามงบประมาณ ณ ศาลากลางจังหวัดเชียงราย ในวันที่ ๕ มีนาคม ๒๕๖๗",
        kind="letter",
        fiscal_year=2567,
        date=dt.date(2024, 3, 5),
        provinces=["เชียงราย"],
        publication="draft",
    ),
    doc(101, "ราคาข้าว", "ราคาข้าวหอมมะลิในตลาดวันนี้สูงขึ้น", date=dt.date(2020, 1, 1)),
    doc(102, "ข่าวประจำสัปดาห์", "ข่าวประชาสัมพันธ์ของจังหวัดประจำสัปดาห์", date=dt.date(2021, 1, 1)),
    doc(103, "ผ้าขาว", "ผ้าสีขาวสำหรับพิธีการ", date=dt.date(2022, 1, 1)),
    # ตลาด and ข้าวโพด, not one after the other: "all" but not "phrase" for ตลาดข้าวโพด
    doc(104, "ข้าวโพด", "เกษตรกรนำข้าวโพดไปขายที่ตลาดกลาง"),
    doc(105, "ตลาดชุมชน", "ชาวบ้านไปตลาดทุกวันเสาร์"),
    doc(106, "ข้าวโพดหวาน", "ตลาดข้าวโพดหวานของอำเภอ"),
]

# How to damage each backend's files (one function per backend; used by one test).


def _damage_whoosh(settings: Settings) -> None:
    index_dir = settings.index_dir
    gen = index_dir / (index_dir / "CURRENT").read_text("utf-8").strip()
    side = gen / "units.sqlite"
    side.write_bytes(b"\x00garbage" * (side.stat().st_size // 8))


def _damage_postgres(settings: Settings) -> None:
    # rows lost behind the backend's back (a partial restore): its counts disagree
    with psycopg.connect(conninfo(settings.database_url), autocommit=True) as con:
        con.execute(
            "DELETE FROM khlang_search.documents WHERE doc_id IN (SELECT doc_id FROM khlang_search.documents"
            " ORDER BY doc_id LIMIT 2)"
        )


DAMAGE = {"whoosh": _damage_whoosh, "postgres": _damage_postgres}


def settings_for(name: str, where: Path, role: str = "rw") -> Settings:
    return search_settings(name, where, role)


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def backend(request, tmp_path_factory) -> SearchBackend:
    """A backend holding DOCS, shared by the tests that only read."""
    where = tmp_path_factory.mktemp("backend")
    opened = search_backend(settings_for(request.param, where, "ro"))
    opened.index(DOCS)
    yield opened
    opened.close()


@pytest.fixture(params=sorted(BACKENDS))
def fresh(request, tmp_path):
    """(a new, empty backend, its settings), for tests that write."""
    settings = settings_for(request.param, tmp_path)
    opened = search_backend(settings)
    yield opened, settings
    opened.close()


def ids(result: SearchResult) -> list[int]:
    return [hit.document_id for hit in result.hits]


def test_results_are_plain_dataclasses_with_todays_json(backend):
    result = backend.search("งบประมาณ")
    assert isinstance(result, SearchResult) and dataclasses.is_dataclass(result)
    assert all(isinstance(hit, SearchHit) for hit in result.hits)
    shape = result.as_dict()
    assert set(shape) == {"total", "hits", "facets", "suggestion", "query"}
    assert json.loads(json.dumps(shape)) == shape
    assert set(shape["hits"][0]) == {
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
    # no engine's types cross the seam
    values = [result, *result.hits, *[v for vs in result.facets.values() for v in vs]]
    assert all(type(v).__module__ == "indexer.search.backend" for v in values)


def test_tiers_phrase_then_all_then_some(backend):
    result = backend.search("ตลาดข้าวโพด")
    tiers = {hit.document_id: hit.match for hit in result.hits}
    assert tiers[106] == "phrase" and tiers[104] == "all"
    assert tiers[105] == "some"
    order = ids(result)
    assert order.index(106) < order.index(104) < order.index(105)


def test_match_all_asks_for_every_chunk(backend):
    result = backend.search("ตลาด ข้าวโพด", match="all")
    assert {h.document_id for h in result.hits if h.match == "phrase"} == {104, 106}
    assert {h.document_id for h in result.hits if h.match == "some"} >= {105}


def test_quoted_required_and_excluded_chunks_cut_every_tier(backend):
    """A quoted phrase, +word and -word hold as substrings in every tier, beside other
    words (the postgres backend finds them once a search, not once a word)."""
    # ข้าวโพด quoted beside ตลาด: 104 and 106 hold it, 101 and 105 only ตลาด
    assert set(ids(backend.search('"ข้าวโพด" ตลาด'))) == {104, 106}
    assert set(ids(backend.search("ตลาด +ข้าวโพด"))) == {104, 106}
    # without ข้าวโพด anywhere (a substring of ข้าวโพดหวาน too): ตลาด of 101 and 105
    assert set(ids(backend.search("ตลาด -ข้าวโพด"))) == {101, 105}
    assert set(ids(backend.search("ตลาด -โพดหวาน"))) == {101, 104, 105}  # a syllable run
    # no positive word: the required chunk's documents, the excluded one's taken out
    assert set(ids(backend.search("+ข้าวโพด -หวาน"))) == {104}
    assert ids(backend.search('"ข้าวโพดตลาด" ตลาด')) == []


def test_never_miss_a_syllable_substring(backend):
    # เที่ยวเชิง is no word: the end of ท่องเที่ยว and the start of เชิงนิเวศ
    assert ids(backend.search("เที่ยวเชิง")) == [1]
    assert 2 in ids(backend.search("ความจำเป็นพื้น"))


def test_thai_and_arabic_digits_are_one(backend):
    assert ids(backend.search("๒๕๖๒")) == ids(backend.search("2562")) == [1]
    assert ids(backend.search("ปีงบประมาณ:๒๕๖๖")) == ids(backend.search("fiscal_year:2566"))
    assert ids(backend.search("fiscal_year:2566")) == [2]


def test_tone_marks_keep_words_apart(backend):
    # ข้าว is also the start of ข้าวโพด (found as a substring), never ข่าว or ขาว
    assert set(ids(backend.search("ข้าว"))) == {101, 104, 106}
    assert ids(backend.search("ข้าว"))[0] == 101  # the whole word first
    assert ids(backend.search("ข่าว")) == [102]
    assert ids(backend.search("ขาว")) == [103]


def test_facets_count_every_match(backend):
    result = backend.search("งบประมาณ", limit=1)
    assert len(result.hits) == 1 and result.total == 3
    kinds = {v.value: v.count for v in result.facets["kind"]}
    assert kinds == {"report": 1, "guideline": 1, "letter": 1}
    provinces = {v.value: v.count for v in result.facets["province"]}
    assert provinces["เชียงใหม่"] == 1 and provinces["เชียงราย"] == 1
    assert backend.search("งบประมาณ", facets=False).facets == {}


def test_filters_and_visibility(backend):
    assert ids(backend.search("งบประมาณ", filters={"kind": "guideline"})) == [2]
    assert ids(backend.search("งบประมาณ", filters={"province": "เชียงราย"})) == [3]
    assert ids(backend.search("งบประมาณ -จังหวัด:เชียงราย", limit=10)) != []
    assert 3 not in ids(backend.search("งบประมาณ -จังหวัด:เชียงราย"))
    visible = backend.search("งบประมาณ", published_only=True)
    assert 3 not in ids(visible) and visible.total == 2
    assert sum(v.count for v in visible.facets["kind"]) == 2


def test_sort_by_date_and_paging(backend):
    by_date = backend.search("", sort="date", limit=50)
    dates = [hit.date for hit in by_date.hits if hit.date]
    assert dates == sorted(dates, reverse=True) and len(dates) == 6
    everything = ids(backend.search("ข้าว ตลาด จังหวัด", limit=50))
    paged = []
    for offset in range(0, len(everything), 2):
        paged += ids(backend.search("ข้าว ตลาด จังหวัด", limit=2, offset=offset))
    assert paged == everything and len(set(paged)) == len(paged) >= 4


def test_similar_documents_share_key_terms(backend):
    description = "โครงการจัดเก็บข้อมูลความจำเป็นพื้นฐาน จปฐ. ของหมู่บ้านในอำเภอ"
    hits = backend.similar(description, limit=3)
    assert hits and all(isinstance(h, SimilarHit) for h in hits)
    assert hits[0].document_id == 2 and "จปฐ" in hits[0].shared_terms
    assert hits[0].projects == ["จปฐ"]
    assert all(h.document_id != 2 for h in backend.similar(description, exclude_ids=[2]))


def test_did_you_mean(backend):
    assert backend.suggest("งบประมาน") == "งบประมาณ"  # misspelt
    assert backend.suggest("งบประมาณ") is None
    assert backend.search("งบประมาน", match="all").suggestion == "งบประมาณ"


def test_version_and_health(backend):
    assert isinstance(backend.version, str) and backend.version
    health = backend.check()
    assert isinstance(health, Health) and health.ok and health.state == "ok"
    assert backend.check(deep=True).ok
    assert backend.ids() == {d["id"] for d in DOCS}


def test_warm_then_search_and_held_ids_after_clean_writes(fresh):
    """warm() prepares a new worker's first search (and changes no answer); after writes
    that completed, the index holds exactly what a search can return."""
    backend, _settings = fresh
    backend.warm()  # an empty index too
    backend.index(DOCS[:4])
    backend.delete([2])
    backend.warm()
    assert ids(backend.search("หอมมะลิ")) == [101]
    assert backend.held_ids() == backend.ids() == {1, 3, 101}


def test_a_rebuild_kept_to_one_process(fresh):
    """What the web service asks (procs=1: a gunicorn worker must not fork writers)."""
    backend, _settings = fresh
    staged = backend.stage(iter(DOCS), procs=1)
    staged.go_live()
    assert backend.ids() == {d["id"] for d in DOCS}
    assert backend.rebuild(iter(DOCS[:2]), procs=1) == 2
    assert backend.ids() == {1, 2}


def test_index_replaces_and_delete_removes(fresh):
    backend, _settings = fresh
    assert backend.index(DOCS[:3]) == 3
    assert backend.index([doc(2, "แทนที่", "เอกสารฉบับแก้ไขเรื่องสะพานลอย")]) == 1
    assert ids(backend.search("สะพานลอย")) == [2]
    assert 2 not in ids(backend.search("จปฐ"))
    backend.delete([1, 999])
    assert backend.ids() == {2, 3}
    assert ids(backend.search("เที่ยวเชิง")) == []


def test_rebuild_makes_a_fresh_index_live(fresh):
    backend, _settings = fresh
    backend.index(DOCS)
    seen: list[int] = []
    assert backend.rebuild(iter(DOCS[3:]), seen.append) == len(DOCS) - 3
    assert seen and seen[-1] == len(DOCS) - 3
    assert backend.ids() == {d["id"] for d in DOCS[3:]}
    assert ids(backend.search("ขาว")) == [103]
    health = backend.check()
    assert health.ok and not health.needs_rebuild


def test_a_staged_index_answers_only_once_live(fresh):
    """What a database-aware rebuild does: fill from a snapshot, catch up, then swap."""
    backend, _settings = fresh
    backend.index(DOCS[:3])
    staged = backend.stage(iter(DOCS[3:6]))
    assert isinstance(staged, StagedIndex) and staged.documents == 3
    assert backend.ids() == {1, 2, 3} and ids(backend.search("ขาว")) == []
    staged.add([DOCS[6], doc(103, "ผ้าขาว", "ผ้าสีขาวสำหรับพิธีการ ฉบับแก้ไข")])
    assert backend.ids() == {1, 2, 3}
    staged.go_live()
    assert backend.ids() == {101, 102, 103, 104}
    assert ids(backend.search("ฉบับแก้ไข")) == [103] and ids(backend.search("เที่ยวเชิง")) == []


def test_check_reports_damage_and_search_refuses(fresh):
    backend, settings = fresh
    backend.rebuild(DOCS)
    backend.close()
    DAMAGE[backend.name](settings)
    again = search_backend(settings)
    try:
        with pytest.raises(IndexDamaged):
            again.search("ข้าว")  # never "nothing found"
        health = again.check()
        assert not health.ok and health.needs_rebuild and health.reason
        again.rebuild(DOCS)
        assert again.check().ok and ids(again.search("ขาว")) == [103]
    finally:
        again.close()


def test_every_backend_can_be_damaged_by_the_tests():
    assert set(DAMAGE) == set(BACKENDS)


def test_khlang_holds_the_backend_the_setting_names(core):
    assert isinstance(core.search_backend, SearchBackend)
    assert core.search_backend.name == core.settings.search_backend == "whoosh"
    assert core.search_backend is core.search_backend  # one per process
    assert core.health()["checks"]["index"] == "ok"


def test_an_unknown_backend_is_a_clear_error_in_thai_and_english(tmp_path):
    with pytest.raises(ConfigError) as refused:
        search_backend(settings_for("elastic", tmp_path))
    message = str(refused.value)
    assert "KHLANG_SEARCH_BACKEND" in message and "ไม่มีระบบค้นหานี้" in message
    assert "no such search backend" in message and "whoosh" in message


def test_the_postgres_backend_refuses_another_database_in_thai_and_english(tmp_path):
    with pytest.raises(ConfigError) as refused:
        search_backend(
            Settings(
                data_dir=tmp_path,
                database_url=f"sqlite:///{tmp_path / 'k.sqlite3'}",
                search_backend="postgres",
            )
        )
    message = str(refused.value)
    assert "PostgreSQL เท่านั้น" in message and "needs a PostgreSQL database" in message


def test_the_setting_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KHLANG_SEARCH_BACKEND", " Whoosh ")
    assert Settings.load(tmp_path).search_backend == "whoosh"
    monkeypatch.delenv("KHLANG_SEARCH_BACKEND")
    assert Settings.load(tmp_path).search_backend == "whoosh"
