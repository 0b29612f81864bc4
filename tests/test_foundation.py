"""Issue 2's promises: files go in, are kept safely, come back out, with provenance."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from indexer.ingest.jobs import run_ingest_job
from schemas.models import Document, Event, Submission
from tests.conftest import SEED_FIXTURES

SEED_FILES = sorted(SEED_FIXTURES.glob("*.*"))
REQUIRED_EVENTS = {"received", "identified", "stored", "extracted"}


def object_files(core) -> list[Path]:
    return [path for _, path in core.store.iter_objects()]


def test_the_ten_seed_files_become_ten_documents_with_their_events(any_core):
    assert len(SEED_FILES) == 10
    results = run_ingest_job(any_core, [str(SEED_FIXTURES)], agent="dsss-chiangmai")
    assert [r.status for r in results] == ["ingested"] * 10, [r.as_dict() for r in results]
    with any_core.sessions() as session:
        documents = session.scalars(select(Document)).all()
        assert len(documents) == 10
        for document in documents:
            kinds = Counter(e.event_type for e in document.events)
            assert set(kinds) >= REQUIRED_EVENTS, (document.filename, kinds)
            assert all(kinds[k] == 1 for k in REQUIRED_EVENTS)
            assert all(
                e.agent == "dsss-chiangmai" for e in document.events if e.event_type != "indexed"
            )
            assert document.text.strip(), document.filename
    assert len(object_files(any_core)) == 10


def test_ingesting_again_adds_no_object_and_records_a_duplicate_submission(any_core):
    run_ingest_job(any_core, [str(SEED_FIXTURES)], agent="first")
    before = {p: p.stat().st_mtime_ns for p in object_files(any_core)}
    results = run_ingest_job(any_core, [str(SEED_FIXTURES)], agent="second")
    assert [r.status for r in results] == ["duplicate"] * 10
    assert {p: p.stat().st_mtime_ns for p in object_files(any_core)} == before
    with any_core.sessions() as session:
        assert session.scalar(select(func.count(Document.id))) == 10
        for document in session.scalars(select(Document)):
            statuses = [s.status for s in document.submissions]
            assert statuses == ["ingested", "duplicate"]
            assert [s.submitted_by for s in document.submissions] == ["first", "second"]
            received = [e for e in document.events if e.event_type == "received"]
            assert [e.outcome for e in received] == ["success", "duplicate"]


def test_cli_ingest_json_contract_and_show(cli):
    result = cli("ingest", str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf"), "--json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert {"path", "document_id", "status", "sha256", "error"} <= set(entry)
    assert entry["status"] == "ingested" and entry["error"] is None
    assert "1 files" in result.stderr
    shown = cli.json("show", str(entry["document_id"]))
    for key in (
        "document_id",
        "title",
        "filename",
        "sha256",
        "size",
        "mime",
        "category",
        "kind",
        "fiscal_year",
        "text",
        "metadata",
        "links",
        "provenance",
    ):
        assert key in shown
    assert shown["filename"] == "003_d2773d3a604759fe.pdf"
    assert shown["mime"] == "application/pdf"
    assert shown["category"] == "text"
    assert shown["sha256"] == entry["sha256"]
    assert "จังหวัดเชียงราย" in shown["text"]
    assert {e["event"] for e in shown["provenance"]} >= REQUIRED_EVENTS
    assert all({"event", "at", "agent", "outcome", "detail"} <= set(e) for e in shown["provenance"])
    identified = next(e for e in shown["provenance"] if e["event"] == "identified")
    assert identified["detail"]["tool"].startswith("libmagic")


def test_verify_names_the_document_whose_object_changed(cli, core):
    cli("ingest", str(SEED_FIXTURES))
    assert cli("verify").exit_code == 0
    with core.sessions() as session:
        victim = session.scalars(select(Document).where(Document.filename.like("002%.pdf"))).one()
    path = core.store.path_for(victim.sha256)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = cli("verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [c["document_id"] for c in report["corrupt"]] == [victim.id]
    assert report["checked"] == 10
    text_result = cli("verify")
    assert f"#{victim.id}" in text_result.stdout and victim.filename in text_result.stdout
    with core.sessions() as session:
        fixity = session.scalars(select(Event).where(Event.event_type == "fixity-check")).all()
        # three runs over ten documents, one event per document per run
        assert len(fixity) == 30
        assert sum(1 for e in fixity if e.outcome == "failure") == 2


def test_verify_names_missing_and_orphan_objects(cli, core):
    cli("ingest", str(SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf"))
    with core.sessions() as session:
        document = session.scalars(select(Document)).one()
    core.store.path_for(document.sha256).unlink()
    orphan = core.store.put_file(SEED_FIXTURES / "001_ea139409875e9751.pdf")
    report = json.loads(cli("verify", "--json").stdout)
    assert [m["document_id"] for m in report["missing"]] == [document.id]
    assert [o["sha256"] for o in report["orphans"]] == [orphan.sha256]
    assert report["ok"] is False


def test_thai_file_name_downloads_intact(cli, client, tmp_path):
    thai_name = "รายงานสรุปผลการดำเนินงานโครงการ ๒๕๖๒.pdf"
    source = tmp_path / thai_name
    shutil.copy(SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf", source)
    [entry] = cli.json("ingest", str(source))
    response = client.get(f"/api/documents/{entry['document_id']}/file")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == source.read_bytes()
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" + quote(thai_name) in disposition
    assert disposition.startswith("attachment")
    # clients that know only the plain filename get a sensible one, not " .pdf"
    assert f'filename="document-{entry["document_id"]}.pdf"' in disposition


def test_api_document_matches_cli_show(cli, client):
    [entry] = cli.json("ingest", str(SEED_FIXTURES / "004_b16aa6efba4dfd19.docx"))
    from_cli = cli.json("show", str(entry["document_id"]))
    from_api = client.get(f"/api/documents/{entry['document_id']}").get_json()
    assert from_api == from_cli
    missing = client.get("/api/documents/999999")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_healthz_reports_database_store_and_index(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {
        "database": "ok",
        "store": "ok",
        "index": "ok",
        "fixity": "ok",
    }


def test_bad_input_gets_a_reason_per_file_and_nothing_stored_is_touched(cli, core, tmp_path):
    [good] = cli.json("ingest", str(SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf"))
    stored = core.store.path_for(good["sha256"])
    stored_bytes = stored.read_bytes()
    empty_folder = tmp_path / "ว่าง"
    empty_folder.mkdir()
    zero = tmp_path / "ศูนย์ไบต์.docx"
    zero.touch()
    result = cli(
        "ingest",
        str(tmp_path / "ไม่มีไฟล์นี้.pdf"),
        str(empty_folder),
        str(zero),
        str(SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf"),
        "--json",
    )
    assert result.exit_code == 1
    entries = {Path(e["path"]).name: e for e in json.loads(result.stdout)}
    assert entries["ไม่มีไฟล์นี้.pdf"]["status"] == "rejected"
    assert "no such file" in entries["ไม่มีไฟล์นี้.pdf"]["error"]
    assert "no files" in entries["ว่าง"]["error"]
    assert "zero-byte" in entries["ศูนย์ไบต์.docx"]["error"]
    assert entries["000_b5296e7a1e0e78d3.pdf"]["status"] == "duplicate"
    assert stored.read_bytes() == stored_bytes
    assert "rejected" in result.stderr
    with core.sessions() as session:
        assert session.scalar(select(func.count(Document.id))) == 1
        rejected = session.scalars(select(Submission).where(Submission.status == "rejected")).all()
        assert len(rejected) == 3
        assert all(s.error for s in rejected)


@pytest.mark.skipif(
    os.geteuid() == 0 and not shutil.which("setpriv"), reason="root needs setpriv to drop rights"
)
def test_unreadable_file_is_rejected_with_its_reason(tmp_path):
    """Root reads everything, so as root the real CLI runs without the capabilities that
    bypass file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)."""
    secret = tmp_path / "ลับ.pdf"
    shutil.copy(SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf", secret)
    os.chmod(secret, 0o000)
    env = {**os.environ, "KHLANG_DATA_DIR": str(tmp_path / "data")}
    env.pop("KHLANG_DATABASE_URL", None)
    command = [sys.executable, "-m", "service.cli", "ingest", str(secret), "--json"]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    [entry] = json.loads(result.stdout)
    assert entry["status"] == "rejected"
    assert "cannot be read" in entry["error"]


def test_size_settings_take_suffixes_and_a_bad_value_is_a_clear_error(tmp_path):
    from service.cli import main

    runner = CliRunner()
    data_dir = str(tmp_path / "data")
    env = {"KHLANG_DATA_DIR": data_dir, "KHLANG_DATABASE_URL": "", "KHLANG_MAX_FILE_SIZE": "1k"}
    small = tmp_path / "เล็ก.txt"
    small.write_text("ข้อความสั้น", encoding="utf-8")
    big = tmp_path / "ใหญ่.txt"
    big.write_text("ข้อความยาว " * 200, encoding="utf-8")
    result = runner.invoke(main, ["ingest", str(small), str(big), "--json"], env=env)
    assert result.exit_code == 1, result.output
    by_name = {Path(e["path"]).name: e for e in json.loads(result.stdout)}
    assert by_name["เล็ก.txt"]["status"] == "ingested"
    assert "size limit" in by_name["ใหญ่.txt"]["error"] and "1,024" in by_name["ใหญ่.txt"]["error"]

    result = runner.invoke(main, ["verify"], env={**env, "KHLANG_MAX_FILE_SIZE": "lots"})
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "KHLANG_MAX_FILE_SIZE='lots'" in result.stderr and "not a valid size" in result.stderr


def test_data_dir_is_accepted_before_and_after_the_command(tmp_path):
    from service.cli import main

    runner = CliRunner()
    env = {"KHLANG_DATA_DIR": str(tmp_path / "elsewhere"), "KHLANG_DATABASE_URL": ""}
    pdf = str(SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf")
    after = tmp_path / "after"
    result = runner.invoke(main, ["init", "--data-dir", str(after)], env=env)
    assert result.exit_code == 0 and str(after) in result.stdout, result.output
    result = runner.invoke(main, ["ingest", pdf, "--data-dir", str(after), "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["status"] == "ingested"
    before = runner.invoke(main, ["--data-dir", str(after), "verify", "--json"], env=env)
    assert json.loads(before.stdout)["checked"] == 1
    result = runner.invoke(main, ["search", "เชียงราย", "--data-dir", str(after)], env=env)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "elsewhere").exists()


def test_a_new_arrival_of_the_same_bytes_replaces_a_corrupt_object(cli, core):
    pdf = SEED_FIXTURES / "002_0090340a6c3e03ac.pdf"
    [first] = cli.json("ingest", str(pdf))
    path = core.store.path_for(first["sha256"])
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert cli("verify").exit_code == 1
    [again] = cli.json("ingest", str(pdf))
    assert again["status"] == "duplicate"
    assert cli("verify").exit_code == 0
    assert path.read_bytes() == pdf.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o444
    with core.sessions() as session:
        repaired = session.scalars(
            select(Event).where(Event.event_type == "stored", Event.outcome == "repaired")
        ).one()
    assert repaired.document_id == first["document_id"]
    assert repaired.detail["replaced"] == "corrupt"


def test_orphan_objects_alone_fail_verify_with_an_explanation(cli, core):
    cli("ingest", str(SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf"))
    assert cli("verify").exit_code == 0
    orphan = core.store.put_file(SEED_FIXTURES / "001_ea139409875e9751.pdf")
    misplaced = core.store.root / "29" / "x"
    misplaced.parent.mkdir()
    misplaced.write_bytes(b"left here by hand")
    result = cli("verify")
    assert result.exit_code == 1
    assert str(orphan.path) in result.stdout and str(misplaced) in result.stdout
    assert "ingest the original file again" in result.stdout
    report = json.loads(cli("verify", "--json").stdout)
    assert report["ok"] is False and not report["missing"] and not report["corrupt"]
    assert {(o["path"], o["misplaced"]) for o in report["orphans"]} == {
        (str(orphan.path), False),
        (str(misplaced), True),
    }
    # ingesting the orphan's bytes adopts it; the misplaced file stays reported
    cli("ingest", str(SEED_FIXTURES / "001_ea139409875e9751.pdf"))
    report = json.loads(cli("verify", "--json").stdout)
    assert [o["path"] for o in report["orphans"]] == [str(misplaced)]
    misplaced.unlink()
    assert cli("verify").exit_code == 0


def test_new_store_folders_are_fsynced_in_their_parents(tmp_path, monkeypatch):
    """An object's folders ab/ and ab/cd/ are new with the first object under them: each
    parent is fsynced so that a power cut cannot drop the folder with its fsynced object."""
    import archive.store as store_module
    from archive import ObjectStore

    synced: list[Path] = []
    real = store_module._fsync_directory
    monkeypatch.setattr(
        store_module, "_fsync_directory", lambda d: (synced.append(Path(d)), real(d))
    )
    store = ObjectStore(tmp_path / "objects")
    first = store.put_stream(io.BytesIO("ทะเบียนผลผลิต".encode()))
    folder = first.path.parent
    assert synced == [store.root, folder.parent, folder]
    synced.clear()
    # a second object in the same folders: only the folder it lands in
    same_folder = next(
        data
        for n in range(2_000_000)
        if hashlib.sha256(data := f"{n}".encode()).hexdigest()[:4] == first.sha256[:4]
    )
    second = store.put_stream(io.BytesIO(same_folder))
    assert second.path.parent == folder
    assert synced == [folder]
