"""ZIP bundles as DSSS officers receive them: zipped on Thai Windows, nested, with junk, and
sometimes hostile."""

from __future__ import annotations

import io
import os
import random
import zipfile
from collections import Counter

import pytest
from sqlalchemy import select

from indexer.ingest.bundles import member_name, safe_member_path
from indexer.ingest.jobs import run_ingest_job
from schemas.config import ConfigError, Settings
from schemas.models import Document, Event, Submission
from tests.conftest import SEED_FIXTURES

PDF_000 = SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf"
DOCX_004 = SEED_FIXTURES / "004_b16aa6efba4dfd19.docx"


class Cp874ZipInfo(zipfile.ZipInfo):
    """A member name written as Thai Windows ZIP tools write it: cp874 bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("cp874"), self.flag_bits & ~0x800


def add_cp874(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = Cp874ZipInfo(name, date_time=(2019, 11, 6, 9, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def test_member_names_from_thai_windows_are_decoded_from_cp874(tmp_path):
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        add_cp874(archive, "รายงานสรุป/แนวทาง.pdf", PDF_000.read_bytes())
        archive.writestr("utf8/ข้อมูล.txt", "สวัสดี".encode())
    with zipfile.ZipFile(bundle) as archive:
        names = [member_name(i) for i in archive.infolist()]
    assert names == ["รายงานสรุป/แนวทาง.pdf", "utf8/ข้อมูล.txt"]


def test_safe_member_path_refuses_escapes():
    assert safe_member_path("a/./b.pdf") == ("a/b.pdf", None)
    assert safe_member_path("a\\b.pdf") == ("a/b.pdf", None)
    assert safe_member_path("../../etc/passwd")[0] is None
    assert "traversal" in safe_member_path("a/../../x")[1]
    assert "absolute" in safe_member_path("/etc/passwd")[1]
    assert "absolute" in safe_member_path("C:\\Windows\\x.dll")[1]


def test_nested_bundle_with_thai_names_junk_and_provenance(core, tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        add_cp874(archive, "ภาคผนวก/หนังสือเวียน.docx", DOCX_004.read_bytes())
    outer = tmp_path / "ผลลัพธ์โครงการ.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        add_cp874(archive, "กิจกรรมที่ ๑/แนวทาง.pdf", PDF_000.read_bytes())
        archive.writestr("__MACOSX/กิจกรรมที่ ๑/._แนวทาง.pdf", b"resource fork")
        archive.writestr("กิจกรรมที่ ๑/.DS_Store", b"junk")
        archive.writestr("Thumbs.db", b"junk")
        archive.writestr("ชั้นใน.zip", inner.getvalue())
    results = run_ingest_job(core, [str(outer)], agent="dsss-lamphun")
    by_name = {r.filename: r for r in results}
    assert set(by_name) == {
        "ผลลัพธ์โครงการ.zip",
        "กิจกรรมที่ ๑/แนวทาง.pdf",
        "ชั้นใน.zip",
        "ชั้นใน.zip/ภาคผนวก/หนังสือเวียน.docx",
    }
    assert all(r.ok for r in results), [r.as_dict() for r in results]
    with core.sessions() as session:
        pdf = session.get(Document, by_name["กิจกรรมที่ ๑/แนวทาง.pdf"].document_id)
        assert pdf.filename == "กิจกรรมที่ ๑/แนวทาง.pdf"
        [unpacked] = [e for e in pdf.events if e.event_type == "unpacked-from"]
        assert unpacked.detail["bundle_document_id"] == by_name["ผลลัพธ์โครงการ.zip"].document_id
        assert unpacked.detail["path_in_bundle"] == "กิจกรรมที่ ๑/แนวทาง.pdf"
        docx = session.get(Document, by_name["ชั้นใน.zip/ภาคผนวก/หนังสือเวียน.docx"].document_id)
        [nested] = [e for e in docx.events if e.event_type == "unpacked-from"]
        assert nested.detail["bundle_document_id"] == by_name["ชั้นใน.zip"].document_id
        assert "ฉะเชิงเทรา" in docx.text
        bundle = session.get(Document, by_name["ผลลัพธ์โครงการ.zip"].document_id)
        assert bundle.category == "archive"


def test_same_file_in_two_bundles_is_stored_once_with_two_arrivals(core, tmp_path):
    folder = tmp_path / "delivered"
    folder.mkdir()
    for name in ("ชุดที่หนึ่ง.zip", "ชุดที่สอง.zip"):
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.writestr(f"{name}-readme.txt", name.encode())
            archive.write(PDF_000, "แนวทาง.pdf")
    results = run_ingest_job(core, [str(folder)], agent="dsss")
    statuses = Counter(r.status for r in results)
    assert statuses == {"ingested": 5, "duplicate": 1}
    with core.sessions() as session:
        pdf = session.scalars(select(Document).where(Document.filename == "แนวทาง.pdf")).one()
        assert [s.status for s in pdf.submissions] == ["ingested", "duplicate"]
        unpacked = [e for e in pdf.events if e.event_type == "unpacked-from"]
        assert len({e.detail["bundle_document_id"] for e in unpacked}) == 2


def test_hostile_bundles_fail_cleanly_and_the_batch_goes_on(core, tmp_path):
    traversal = tmp_path / "traversal.zip"
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../../outside.txt", b"escape attempt")
        archive.writestr("/etc/cron.d/evil", b"absolute")
        archive.writestr("ok.txt", "ข้อความปกติ".encode())
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("zeros.txt", b"0" * (50 * 1024 * 1024))
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(traversal.read_bytes()[:-30])
    results = run_ingest_job(
        core, [str(traversal), str(bomb), str(corrupt), str(DOCX_004)], agent="dsss"
    )
    outcome = {r.path.replace(str(tmp_path) + "/", ""): r for r in results}
    assert outcome["traversal.zip/../../outside.txt"].status == "rejected"
    assert "traversal" in outcome["traversal.zip/../../outside.txt"].error
    assert "absolute" in outcome["traversal.zip//etc/cron.d/evil"].error
    assert outcome["traversal.zip/ok.txt"].status == "ingested"
    assert "ZIP bomb" in outcome["bomb.zip/"].error
    assert outcome["corrupt.zip"].status == "rejected"
    assert outcome[str(DOCX_004)].status == "ingested"
    assert not (tmp_path.parent / "outside.txt").exists()
    with core.sessions() as session:
        rejected = session.scalars(select(Submission).where(Submission.status == "rejected"))
        assert len(rejected.all()) == 4
        assert len(session.scalars(select(Event).where(Event.event_type == "rejected")).all()) == 4


def test_total_size_bound_stops_unpacking(core, tmp_path):
    small = core.settings.with_changes(max_bundle_total=200_000)
    core.settings = small
    bundle = tmp_path / "big.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(PDF_000, "one.pdf")
        archive.write(SEED_FIXTURES / "001_ea139409875e9751.pdf", "two.pdf")
        archive.write(SEED_FIXTURES / "003_d2773d3a604759fe.pdf", "three.pdf")
        archive.write(SEED_FIXTURES / "004_b16aa6efba4dfd19.pdf", "four.pdf")
        archive.writestr("pad.bin", bytes(range(256)) * 400)
    results = run_ingest_job(core, [str(bundle)], agent="dsss")
    assert results[0].status in ("ingested", "stored-without-text")
    refusal = [r for r in results if r.status == "rejected"]
    assert refusal and "over the limit" in refusal[0].error


def test_7z_bundle_is_unpacked_with_thai_names(core, tmp_path):
    import py7zr

    bundle = tmp_path / "ส่งมอบผลงาน.7z"
    with py7zr.SevenZipFile(bundle, "w") as archive:
        archive.write(PDF_000, "กิจกรรมที่ ๒/แนวทาง.pdf")
        archive.write(DOCX_004, "หนังสือเวียน.docx")
    results = run_ingest_job(core, [str(bundle)], agent="dsss-maehongson")
    assert [r.status for r in results] == ["ingested"] * 3, [r.as_dict() for r in results]
    assert {r.filename for r in results} == {
        "ส่งมอบผลงาน.7z",
        "กิจกรรมที่ ๒/แนวทาง.pdf",
        "หนังสือเวียน.docx",
    }
    by_name = {r.filename: r for r in results}
    with core.sessions() as session:
        pdf = session.get(Document, by_name["กิจกรรมที่ ๒/แนวทาง.pdf"].document_id)
        [unpacked] = [e for e in pdf.events if e.event_type == "unpacked-from"]
        assert unpacked.tool.startswith("py7zr")
        bundle_doc = session.get(Document, results[0].document_id)
        assert bundle_doc.category == "archive"
        assert "หนังสือเวียน.docx" in bundle_doc.text


def test_corrupt_7z_is_rejected(core, tmp_path):
    import py7zr

    good = tmp_path / "good.7z"
    with py7zr.SevenZipFile(good, "w") as archive:
        archive.write(PDF_000, "a.pdf")
    broken = tmp_path / "broken.7z"
    broken.write_bytes(good.read_bytes()[:200])
    [result] = run_ingest_job(core, [str(broken)], agent="dsss")
    assert result.status == "rejected"
    assert "7z" in result.error


def zeros_bundle(path, members: int, size: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for n in range(members):
            archive.writestr(f"zeros-{n:03d}.bin", bytes(size))


def test_many_small_members_at_a_bomb_ratio_are_refused(core, tmp_path):
    """200 members of 1 MiB zeros: each member under the old 1 MiB threshold, ~1000:1."""
    bomb = tmp_path / "many.zip"
    zeros_bundle(bomb, 200, 1024 * 1024)
    assert bomb.stat().st_size < 300_000
    results = run_ingest_job(core, [str(bomb)], agent="dsss")
    assert [r.status for r in results] == ["ingested", "rejected"], [r.path for r in results]
    assert "ZIP bomb" in results[1].error and "compression ratio" in results[1].error
    with core.sessions() as session:
        assert len(session.scalars(select(Document)).all()) == 1  # the bundle itself


def test_one_bomb_member_among_normal_files_is_refused_alone(core, tmp_path):
    mixed = tmp_path / "mixed.zip"
    with zipfile.ZipFile(mixed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("random.bin", os.urandom(2 * 1024 * 1024))
        archive.writestr("zeros.txt", bytes(200 * 1024))  # 200 KiB at ~1000:1
        archive.writestr("tiny-spaces.txt", b" " * 4000)  # tiny: exempt whatever its ratio
    results = run_ingest_job(core, [str(mixed)], agent="dsss")
    by_name = {r.filename: r for r in results}
    assert by_name["zeros.txt"].status == "rejected"
    assert "ZIP bomb" in by_name["zeros.txt"].error
    assert by_name["random.bin"].status == "stored-without-text"
    assert by_name["tiny-spaces.txt"].status != "rejected"


def nested_bundle(path, inner_count: int, files_each: int, payload: bytes) -> None:
    with zipfile.ZipFile(path, "w") as outer:
        for i in range(inner_count):
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
                for n in range(files_each):
                    archive.writestr(f"file-{n}.txt", payload + f" {i}-{n}".encode())
            outer.writestr(f"inner-{i}.zip", inner.getvalue())


def test_member_count_limit_covers_the_whole_nested_tree(core, tmp_path, monkeypatch):
    monkeypatch.setenv("KHLANG_MAX_BUNDLE_FILES", "8")
    core.settings = Settings.load(core.settings.data_dir, core.settings.database_url)
    assert core.settings.max_bundle_files == 8
    bundle = tmp_path / "nested.zip"
    nested_bundle(bundle, inner_count=3, files_each=3, payload="ข้อความ".encode())
    results = run_ingest_job(core, [str(bundle)], agent="dsss")
    # 3 inner bundles + 9 files: no single bundle has more than 8, the tree has 12
    refused = [r for r in results if r.status == "rejected"]
    assert refused and all("too many members" in r.error for r in refused)
    unpacked = [r for r in results if r.status == "ingested" and r.filename.endswith(".txt")]
    assert len(unpacked) + 3 <= 8


def test_total_size_limit_covers_the_whole_nested_tree(core, tmp_path, monkeypatch):
    monkeypatch.setenv("KHLANG_MAX_BUNDLE_TOTAL", "300k")
    core.settings = Settings.load(core.settings.data_dir, core.settings.database_url)
    assert core.settings.max_bundle_total == 300 * 1024
    bundle = tmp_path / "nested.zip"
    # words in random order compress about 5:1: each inner bundle holds 240 KiB, under the
    # limit alone, and the outer one lists only the three compressed inner bundles
    words = ["จังหวัด", "โครงการ", "กิจกรรม", "รายงาน", "งบประมาณ", "อำเภอ", "ตำบล", "หมู่บ้าน"]
    pick = random.Random(7).choice
    text = " ".join(pick(words) for _ in range(12_000)).encode()[: 120 * 1024]
    nested_bundle(bundle, inner_count=3, files_each=2, payload=text)
    with zipfile.ZipFile(bundle) as outer:
        assert sum(i.file_size for i in outer.infolist()) < 300 * 1024
    results = run_ingest_job(core, [str(bundle)], agent="dsss")
    refused = [r for r in results if r.status == "rejected"]
    assert refused and all("over the limit" in r.error for r in refused), [
        r.as_dict() for r in results
    ]


def test_bundle_limits_from_the_environment_are_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("KHLANG_MAX_BUNDLE_RATIO", "50")
    monkeypatch.setenv("KHLANG_MAX_BUNDLE_TOTAL", "2G")
    settings = Settings.load(tmp_path)
    assert (settings.max_bundle_ratio, settings.max_bundle_total) == (50, 2 * 1024**3)
    monkeypatch.setenv("KHLANG_MAX_BUNDLE_RATIO", "many")
    with pytest.raises(ConfigError, match="KHLANG_MAX_BUNDLE_RATIO"):
        Settings.load(tmp_path)


def test_a_bundle_is_titled_by_its_name_and_refused_members_are_found_nowhere(
    cli, client, tmp_path
):
    """Issue 14, item 4: a bundle is titled by its file name, not its first member's path;
    no member path becomes a project; and a member that was refused (empty, corrupt) is
    in no search hit, facet or reuse answer, through the bundle's listing either."""
    from docx import Document as WordDocument

    report = io.BytesIO()
    word = WordDocument()
    word.add_paragraph("รายงานผลโครงการส่งเสริมการท่องเที่ยวชุมชนเมืองน่าน ปีงบประมาณ ๒๕๖๗")
    word.add_paragraph("ไฟล์แนบ โครงการท่องเที่ยว/ภาพกิจกรรม.jpg")  # a path, not a project
    word.save(report)
    bundle = tmp_path / "ส่งงานท่องเที่ยว.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("โครงการท่องเที่ยว/รายงานผล.docx", report.getvalue())
        archive.writestr("โครงการท่องเที่ยว/ไฟล์ว่างเปล่า.docx", b"")
        archive.writestr("โครงการท่องเที่ยว/แฟ้มเสียหาย.docx", b"PK\x03\x04 not a package")
    entries = cli.json("ingest", str(bundle))
    assert [e["status"] for e in entries] == ["ingested", "ingested", "rejected", "rejected"]
    shown = cli.json("show", str(entries[0]["document_id"]))
    assert shown["title"] == "ส่งงานท่องเที่ยว.zip"

    found = client.get("/api/search", query_string={"q": "ท่องเที่ยว"}).get_json()
    assert {hit["title"] for hit in found["hits"]} == {
        "ส่งงานท่องเที่ยว.zip",
        "รายงานผลโครงการส่งเสริมการท่องเที่ยวชุมชนเมืองน่าน ปีงบประมาณ ๒๕๖๗",
    }
    projects = [facet["value"] for facet in found["facets"]["project"]]
    assert projects == ["โครงการส่งเสริมการท่องเที่ยวชุมชนเมืองน่าน"]
    for refused in ("ไฟล์ว่างเปล่า", "แฟ้มเสียหาย"):
        # match=all: the default also lists documents sharing only some words (ไฟล์)
        only = {"q": refused, "match": "all"}
        assert client.get("/api/search", query_string=only).get_json()["total"] == 0
        assert cli.json("search", refused, "--all")["total"] == 0

    reuse = client.post("/api/reuse", json={"text": "การท่องเที่ยวชุมชน โครงการท่องเที่ยว"})
    named = [project["project"] for project in reuse.get_json()["projects"]]
    assert named == ["โครงการส่งเสริมการท่องเที่ยวชุมชนเมืองน่าน"]
