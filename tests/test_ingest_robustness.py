"""Files that once crashed a whole batch: unknown extensions, names that are not UTF-8,
a damaged store. Each file gets its own result; the batch goes on and is finished."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from sqlalchemy import select

from indexer.ingest.jobs import run_ingest_job
from schemas.models import Batch, Document, Submission

THAI_LOG = "บันทึกระบบ จังหวัดเชียงใหม่ ส่งข้อมูลแล้ว\n"


def batch_statuses(core) -> list[str]:
    with core.sessions() as session:
        return list(session.scalars(select(Batch.status)))


def test_text_files_without_a_known_extension_are_ingested(any_core, tmp_path):
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    for name in ("ระบบ.log", "ตั้งค่า.ini", "อ่านก่อน.nfo", "ข้อมูล.dat", "README"):
        (folder / name).write_text(f"{name}: {THAI_LOG}", encoding="utf-8")
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("logs/ภายใน.log", f"ใน ZIP: {THAI_LOG}".encode())
        archive.writestr("CHANGES", f"ไม่มีนามสกุล: {THAI_LOG}".encode())
    (folder / "ชุด.zip").write_bytes(bundle.getvalue())
    results = run_ingest_job(any_core, [str(folder)], agent="dsss")
    by_name = {r.filename: r for r in results}
    assert set(by_name) == {
        "ระบบ.log",
        "ตั้งค่า.ini",
        "อ่านก่อน.nfo",
        "ข้อมูล.dat",
        "README",
        "ชุด.zip",
        "logs/ภายใน.log",
        "CHANGES",
    }
    assert all(r.status == "ingested" for r in results), [r.as_dict() for r in results]
    assert all(not r.warnings for r in results), [r.as_dict() for r in results]
    with any_core.sessions() as session:
        log = session.get(Document, by_name["logs/ภายใน.log"].document_id)
        assert log.category == "text" and "เชียงใหม่" in log.text
    assert batch_statuses(any_core) == ["finished"]


def test_an_unexpected_error_rejects_only_that_file(core, tmp_path):
    """A store damaged under one hash prefix (a file where the folder objects/ab/cd
    should be) makes storing that one file fail in a way no check foresaw."""
    from archive.store import sha256_of_file

    folder = tmp_path / "in"
    folder.mkdir()
    victim = folder / "ก-เสียหาย.txt"
    victim.write_text(f"ไฟล์แรก {THAI_LOG}", encoding="utf-8")
    (folder / "ข-ปกติ.txt").write_text(f"ไฟล์ที่สอง {THAI_LOG}", encoding="utf-8")
    blocked = core.store.path_for(sha256_of_file(victim)).parent
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_bytes(b"not a folder")
    results = run_ingest_job(core, [str(folder)], agent="dsss")
    by_name = {r.filename: r for r in results}
    failed = by_name["ก-เสียหาย.txt"]
    assert failed.status == "rejected"
    assert "unexpected error" in failed.error and "FileExistsError" in failed.error
    assert by_name["ข-ปกติ.txt"].status == "ingested"
    assert batch_statuses(core) == ["finished"]
    with core.sessions() as session:
        rejected = session.scalars(select(Submission).where(Submission.status == "rejected"))
        assert [s.original_name for s in rejected] == ["ก-เสียหาย.txt"]


def cp874_path(folder: Path, name: str) -> Path:
    """A path whose last part is ``name`` in cp874 bytes, as Linux `unzip` leaves a name
    from a Thai Windows ZIP (Python shows it with surrogate escapes)."""
    return Path(os.fsdecode(os.path.join(os.fsencode(folder), name.encode("cp874"))))


def test_file_names_in_cp874_bytes_are_decoded(any_core, tmp_path):
    folder = tmp_path / "จาก unzip"
    folder.mkdir()
    report = cp874_path(folder, "รายงานสรุปผล.txt")
    report.write_text(f"รายงาน {THAI_LOG}", encoding="utf-8")
    subfolder = cp874_path(folder, "กิจกรรมที่ ๑")
    subfolder.mkdir()
    letter = cp874_path(subfolder, "หนังสือเวียน.txt")
    letter.write_text(f"หนังสือ {THAI_LOG}", encoding="utf-8")
    # bytes that are neither UTF-8 nor cp874: replaced, never a crash
    (folder / os.fsdecode(b"\xff\xfe-data.txt")).write_text(f"อื่น {THAI_LOG}", encoding="utf-8")
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("ภายใน.txt", f"ใน ZIP {THAI_LOG}".encode())
    cp874_path(subfolder, "ชุด.zip").write_bytes(bundle.getvalue())
    given_alone = cp874_path(tmp_path, "ส่งตรง.txt")
    given_alone.write_text(f"ส่งตรง {THAI_LOG}", encoding="utf-8")

    results = run_ingest_job(any_core, [str(folder), str(given_alone)], agent="dsss")
    assert all(r.status == "ingested" for r in results), [r.as_dict() for r in results]
    names = {r.filename for r in results}
    assert names == {
        "รายงานสรุปผล.txt",
        "หนังสือเวียน.txt",
        "\ufffd\ufffd-data.txt",
        "ชุด.zip",
        "ภายใน.txt",
        "ส่งตรง.txt",
    }
    paths = {r.path for r in results}
    assert str(folder / "กิจกรรมที่ ๑" / "ชุด.zip" / "ภายใน.txt") in paths
    assert batch_statuses(any_core) == ["finished"]
    with any_core.sessions() as session:
        documents = session.scalars(select(Document)).all()
        assert {d.filename for d in documents} == names
        sources = set(session.scalars(select(Submission.source_path)))
        assert str(folder / "กิจกรรมที่ ๑" / "หนังสือเวียน.txt") in sources
    # every object has its document: nothing was stored and then left behind
    assert len(list(any_core.store.iter_objects())) == len(documents)
    # the same files again are duplicates of the same documents
    again = run_ingest_job(any_core, [str(folder)], agent="dsss-2")
    assert {r.status for r in again} == {"duplicate"}
