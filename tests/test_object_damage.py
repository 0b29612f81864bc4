"""A preserved object whose bytes no longer match their hash is never served as the
original (issue 15, item 15): the download is refused with a clear Thai and English
reason and verify's advice, a failed fixity check is recorded on the document, and
ingesting the original again repairs it."""

from __future__ import annotations

import json
import os

import docx
from sqlalchemy import select

from schemas.models import Document, Event


def thai_docx(path) -> None:
    document = docx.Document()
    document.add_heading("รายงานผลการดำเนินงานโครงการพัฒนาอาชีพ", level=1)
    document.add_paragraph("กลุ่มจังหวัดภาคเหนือตอนบน ปีงบประมาณ ๒๕๖๗ ผลผลิตครบถ้วนตามแผน")
    document.save(path)


def corrupt_in_place(path) -> None:
    """Flip bytes in the middle of the object, as a failing disk or a stray write does."""
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


def test_a_corrupt_object_is_refused_with_verify_advice_and_repaired_by_ingest(
    cli, client, core, tmp_path
):
    source = tmp_path / "รายงานผลการดำเนินงาน ๒๕๖๗.docx"
    thai_docx(source)
    [entry] = cli.json("ingest", str(source))
    document_id = entry["document_id"]
    url = f"/api/documents/{document_id}/file"
    sound = client.get(url)
    assert sound.status_code == 200 and sound.data == source.read_bytes()

    with core.sessions() as session:
        sha256 = session.get(Document, document_id).sha256
    corrupt_in_place(core.store.path_for(sha256))
    for _ in range(2):  # the sound download before was remembered: the write is seen
        refused = client.get(url)
        assert refused.status_code == 500
        body = refused.get_json()["error"]
        assert body["code"] == "object_corrupt"
        assert "เสียหาย" in body["message"] and "khlang verify" in body["message"]
        assert "corrupt" in body["message_en"] and "khlang verify" in body["message_en"]
        assert source.read_bytes()[:100] not in refused.data
    with core.sessions() as session:
        failures = session.scalars(
            select(Event).where(
                Event.document_id == document_id,
                Event.event_type == "fixity-check",
                Event.outcome == "failure",
            )
        ).all()
    assert len(failures) == 2 and failures[0].detail["during"] == "download"
    report = json.loads(cli("verify", "--json").stdout)
    assert [c["document_id"] for c in report["corrupt"]] == [document_id]

    cli("ingest", str(source))  # the original again: its hash-checked copy replaces it
    repaired = client.get(url)
    assert repaired.status_code == 200 and repaired.data == source.read_bytes()


def test_a_sound_object_is_hashed_again_only_after_ten_minutes(cli, core, tmp_path, monkeypatch):
    """A player seeking through a video asks for many ranges: the whole-file check before
    serving is remembered for VERIFIED_FOR seconds (a cachetools.TTLCache), then done again."""
    from cachetools import TTLCache

    from indexer.preserve import fixity

    now = [1000.0]
    monkeypatch.setattr(
        fixity, "_verified", TTLCache(maxsize=1024, ttl=fixity.VERIFIED_FOR, timer=lambda: now[0])
    )
    source = tmp_path / "รายงาน.docx"
    thai_docx(source)
    [entry] = cli.json("ingest", str(source))
    with core.sessions() as session:
        sha256 = session.get(Document, entry["document_id"]).sha256
    checks = []
    real_check = core.store.check
    monkeypatch.setattr(
        core.store, "check", lambda digest: checks.append(digest) or real_check(digest)
    )

    def serve() -> str:
        return fixity.check_before_serving(core, entry["document_id"], sha256, requested_by="t")

    assert [serve(), serve()] == ["ok", "ok"] and len(checks) == 1
    now[0] += fixity.VERIFIED_FOR - 1
    assert serve() == "ok" and len(checks) == 1
    now[0] += 2
    assert serve() == "ok" and len(checks) == 2
