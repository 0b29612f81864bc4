"""Issue 3 through the whole pipeline: what staff really hand over, good and bad, in one
batch. Each file gets its own result and reason; the batch goes on; the exit code tells."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import wave
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from indexer.ingest.jobs import run_ingest_job
from indexer.preserve.fixity import verify
from schemas.models import Document, Event
from tests.conftest import SEED_FIXTURES, make_core

THAI_FONT = "/usr/share/fonts/truetype/tlwg/Garuda.ttf"
PDF_003 = SEED_FIXTURES / "003_d2773d3a604759fe.pdf"


def thai_image(path: Path, text: str = "จังหวัดเชียงใหม่") -> Path:
    image = Image.new("RGB", (900, 160), "white")
    ImageDraw.Draw(image).text((20, 40), text, fill="black", font=ImageFont.truetype(THAI_FONT, 64))
    image.save(path)
    return path


def wav_file(path: Path, seconds: float = 1.5) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * int(8000 * seconds))
    return path


def encrypted_pdf(path: Path) -> Path:
    writer = PdfWriter()
    for page in PdfReader(PDF_003).pages:
        writer.add_page(page)
    writer.encrypt("รหัสลับ", algorithm="RC4-128")
    with open(path, "wb") as out:
        writer.write(out)
    return path


def events_of(core, document_id: int) -> dict[str, Event]:
    with core.sessions() as session:
        events = session.scalars(select(Event).where(Event.document_id == document_id)).all()
        return {e.event_type: e for e in events}


def test_one_batch_of_good_and_bad_files(cli, core, tmp_path):
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    thai_image(folder / "ภาพถ่ายกิจกรรม.png")
    wav_file(folder / "เสียงประชุม.wav")
    encrypted_pdf(folder / "ลับ.pdf")
    (folder / "ครึ่งเดียว.pdf").write_bytes(PDF_003.read_bytes()[:20_000])
    (folder / "เสีย.docx").write_bytes(b"PK\x03\x04 this is not really a docx at all" * 20)
    (folder / "อ่านไม่ออก.txt").write_bytes(bytes(range(128, 256)) * 40)
    os.symlink(PDF_003, folder / "ทางลัด.pdf")
    shutil.copy(PDF_003, folder / "หนังสือ.pdf")
    result = cli("ingest", str(folder), "--json")
    assert result.exit_code == 1
    by_name = {Path(e["path"]).name: e for e in json.loads(result.stdout)}
    assert by_name["ภาพถ่ายกิจกรรม.png"]["status"] == "ingested"
    assert by_name["หนังสือ.pdf"]["status"] == "ingested"
    for name in ("เสียงประชุม.wav", "ลับ.pdf", "อ่านไม่ออก.txt"):
        assert by_name[name]["status"] == "stored-without-text", by_name[name]
        assert by_name[name]["error"], name
    assert "encrypted" in by_name["ลับ.pdf"]["error"]
    for name in ("ครึ่งเดียว.pdf", "เสีย.docx", "ทางลัด.pdf"):
        assert by_name[name]["status"] == "rejected", by_name[name]
    assert "symbolic links" in by_name["ทางลัด.pdf"]["error"]
    assert "PDF" in by_name["ครึ่งเดียว.pdf"]["error"]
    assert by_name["เสีย.docx"]["document_id"] is None

    image = cli.json("show", str(by_name["ภาพถ่ายกิจกรรม.png"]["document_id"]))
    assert image["category"] == "image"
    assert "เชียงใหม่" in image["text"]
    audio = cli.json("show", str(by_name["เสียงประชุม.wav"]["document_id"]))
    assert audio["category"] == "audio"
    assert abs(audio["metadata"]["technical"]["duration_seconds"] - 1.5) < 0.05
    # nothing unsound became an object
    assert len(list(core.store.iter_objects())) == 5


def test_missing_ocr_keeps_the_scan_and_says_why(core, tmp_path, monkeypatch):
    # A machine without Tesseract: only poppler is on the PATH.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("pdftoppm"), bin_dir / "pdftoppm")
    monkeypatch.setenv("PATH", str(bin_dir))
    scan = thai_image(tmp_path / "หนังสือสแกน.png", "ด่วนที่สุด")
    [result] = run_ingest_job(core, [str(scan)], agent="dsss")
    assert result.status == "stored-without-text", result.error
    events = events_of(core, result.document_id)
    assert events["ocr-skipped"].outcome == "warning"
    assert "tesseract" in events["ocr-skipped"].detail["reason"].lower()
    assert core.store.exists(result.sha256)
    with core.sessions() as session:
        assert session.get(Document, result.document_id).filename == "หนังสือสแกน.png"


def test_content_wins_over_a_wrong_extension(core, tmp_path):
    disguised = tmp_path / "รายงาน.docx"
    shutil.copy(PDF_003, disguised)
    [result] = run_ingest_job(core, [str(disguised)], agent="dsss")
    assert result.status == "ingested"
    events = events_of(core, result.document_id)
    assert events["identified"].detail["mime"] == "application/pdf"
    assert ".docx" in events["format-warning"].detail["message"]
    assert result.warnings and "application/pdf" in result.warnings[0]


def test_files_over_the_size_limit_are_refused(core, tmp_path):
    core.settings = core.settings.with_changes(max_file_size=10_000)
    [result] = run_ingest_job(core, [str(PDF_003)], agent="dsss")
    assert result.status == "rejected"
    assert "size limit" in result.error
    assert list(core.store.iter_objects()) == []


def test_worker_processes_prepare_the_same_documents_as_in_process(core, tmp_path):
    """Large batches are prepared in worker processes; the archive must not differ."""
    from tests.test_jobs import make_text_files

    files = make_text_files(tmp_path / "in", 24)
    shutil.copy(PDF_003, tmp_path / "in" / "หนังสือ.pdf")
    (tmp_path / "in" / "ครึ่งเดียว.pdf").write_bytes(PDF_003.read_bytes()[:20_000])
    timings: dict[str, float] = {}
    results = run_ingest_job(core, [str(tmp_path / "in")], agent="dsss", workers=2, timings=timings)
    assert "identify (work)" in timings  # the prefetching path really ran
    assert "index (work)" in timings  # and the indexing process
    by_name = {Path(r.path).name: r for r in results}
    assert len(results) == len(files) + 2
    assert by_name["ครึ่งเดียว.pdf"].status == "rejected"
    assert by_name["หนังสือ.pdf"].status == "ingested"
    with core.sessions() as session:
        letter = session.get(Document, by_name["หนังสือ.pdf"].document_id)
        assert letter.kind == "letter" and letter.fiscal_year == 2567
        kinds = {e.event_type for e in letter.events}
        assert {"received", "identified", "stored", "extracted", "classified"} <= kinds
        # indexed by the job's indexing process: every stored document, marked and findable
        stored = session.scalars(select(Document)).all()
        assert all(d.indexed_version for d in stored)
    assert core.search_backend.held_ids() == {d.id for d in stored}
    assert core.search_backend.search("ฉบับที่ 17").as_dict()["total"] >= 1
    # the same bytes prepared in-process give the same text and kind
    other = make_core(tmp_path / "again")
    [again] = run_ingest_job(other, [str(tmp_path / "in" / "หนังสือ.pdf")], agent="dsss")
    with other.sessions() as session, core.sessions() as first:
        twin = session.get(Document, again.document_id)
        original = first.get(Document, by_name["หนังสือ.pdf"].document_id)
        assert (twin.text, twin.kind, twin.meta) == (original.text, original.kind, original.meta)
    other.dispose()


def make_video(path: Path, *args: str) -> Path:
    """Two seconds of ffmpeg's test picture (160x120, 10 frames/s), by the ffmpeg binary
    that the imageio-ffmpeg wheel ships."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    source = ["-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10"]
    subprocess.run([ffmpeg, "-v", "error", "-y", *source, *args, str(path)], check=True, timeout=60)
    return path


def test_videos_are_stored_with_their_technical_metadata(core, tmp_path):
    mp4 = make_video(
        tmp_path / "วีดิทัศน์กิจกรรม.mp4",
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=2"),
        *("-c:v", "mpeg4", "-c:a", "aac", "-shortest"),
    )
    avi = make_video(tmp_path / "บันทึกการประชุม.avi", "-c:v", "mjpeg")
    results = run_ingest_job(core, [str(mp4), str(avi)], agent="dsss")
    assert [r.status for r in results] == ["stored-without-text"] * 2, [
        r.as_dict() for r in results
    ]
    assert all("technical metadata" in r.error for r in results)
    with core.sessions() as session:
        video, recording = (session.get(Document, r.document_id) for r in results)
        assert (video.mime, video.category) == ("video/mp4", "video")
        assert (recording.mime, recording.category) == ("video/x-msvideo", "video")
        mp4_meta, avi_meta = video.meta["technical"], recording.meta["technical"]
    assert abs(mp4_meta["duration_seconds"] - 2) < 0.1
    assert mp4_meta["codec_description"] == "AAC LC" and mp4_meta["bitrate"] > 0
    assert abs(avi_meta["duration_seconds"] - 2) < 0.1
    assert (avi_meta["width"], avi_meta["height"], avi_meta["video_codec"]) == (160, 120, "MJPG")
    assert avi_meta["frame_rate"] == 10


def test_a_prefetched_arrival_heals_a_missing_object_with_its_event(core, tmp_path):
    """The same bytes arriving again through the worker processes restore an object that
    went missing, and say so (a `stored` event, outcome `repaired`), as the ingestor does
    itself; and a batch leaves no object that no document refers to."""
    from tests.test_jobs import make_text_files

    make_text_files(tmp_path / "in", 20)
    first = run_ingest_job(core, [str(tmp_path / "in")], agent="dsss", workers=2)
    lost = first[3]
    core.store.path_for(lost.sha256).unlink()
    timings: dict[str, float] = {}
    again = run_ingest_job(core, [str(tmp_path / "in")], agent="dsss", workers=2, timings=timings)
    assert "identify (work)" in timings  # the prefetching path ran
    assert {r.status for r in again} == {"duplicate"}
    assert core.store.check(lost.sha256) == "ok"
    with core.sessions() as session:
        repaired = session.scalars(
            select(Event).where(Event.document_id == lost.document_id, Event.outcome == "repaired")
        ).all()
    assert [e.event_type for e in repaired] == ["stored"]
    assert verify(core, agent="test")["ok"]
