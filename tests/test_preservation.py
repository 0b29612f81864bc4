"""Issue 20: a second copy of every original, checked and repaired; fixity in bounded,
least-recently-checked-first runs with one report per run. Through `khlang` as operators
run it, on real files with Thai names."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from fpdf import FPDF
from sqlalchemy import select

from archive.objectstore import open_object_store
from indexer.core import Khlang
from schemas.config import Settings
from schemas.models import Document, Event, FixityRun
from tests.s3_server import ACCESS_KEY, SECRET_KEY, new_bucket

THAI_FONT = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")


def make_files(folder, count=3):
    """Real deliverables with Thai names: Word, PDF and plain text."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        kind = number % 3
        if kind == 0:
            path = folder / f"รายงานฉบับสมบูรณ์ {number}.docx"
            document = docx.Document()
            document.add_paragraph(f"รายงานผลการดำเนินโครงการพัฒนาการท่องเที่ยว ฉบับที่ {number}")
            document.save(path)
        elif kind == 1:
            path = folder / f"สรุปโครงการ {number}.pdf"
            pdf = FPDF()
            pdf.add_page()
            pdf.add_font("thai", fname=str(THAI_FONT))
            pdf.set_font("thai", size=14)
            pdf.cell(text=f"สรุปผลโครงการอบรมเกษตรกร รุ่นที่ {number}")
            pdf.output(str(path))
        else:
            path = folder / f"บันทึกข้อความ {number}.txt"
            path.write_text(f"บันทึกข้อความ เรื่อง ขอรายงานผลการประชุม ครั้งที่ {number}", "utf-8")
        paths.append(path)
    return paths


class Khlang_CLI:
    """`khlang` against one data directory with a given environment."""

    # Settings one installation's test may have put in the environment, unset for another.
    ISOLATED = ("KHLANG_DATABASE_URL", "KHLANG_OBJECT_STORE", "KHLANG_REPLICA")

    def __init__(self, data_dir, env):
        self.data_dir = data_dir
        self.env = {**dict.fromkeys(self.ISOLATED), **env}
        self.runner = CliRunner()

    def __call__(self, *args, input=None):
        from service.cli import main

        return self.runner.invoke(
            main, ["--data-dir", str(self.data_dir), *args], env=self.env, input=input
        )

    def json(self, *args, code=0):
        result = self(*args, "--json")
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)

    def apply(self, monkeypatch) -> None:
        for name, value in self.env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)

    def core(self, monkeypatch) -> Khlang:
        self.apply(monkeypatch)
        return Khlang(Settings.load(self.data_dir))


@pytest.fixture(autouse=True)
def _fresh_replica_memory():
    """Each test starts as a new process would: no replica remembered as unreachable."""
    from indexer.preserve import replication

    replication._unreachable.clear()
    yield
    replication._unreachable.clear()


@pytest.fixture(params=["folder", "s3"])
def replica_env(request, tmp_path):
    if request.param == "folder":
        return {"KHLANG_REPLICA": str(tmp_path / "อีกดิสก์" / "replica")}
    endpoint = request.getfixturevalue("s3_endpoint")
    return {
        "KHLANG_REPLICA": f"s3://{new_bucket(endpoint)}/สำเนา",
        "KHLANG_REPLICA_S3_ENDPOINT_URL": endpoint,
        "KHLANG_REPLICA_S3_REGION": "us-east-1",
        "KHLANG_REPLICA_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "KHLANG_REPLICA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }


def _flip_a_byte(store, sha256):
    with store.open(sha256) as stream:
        data = bytearray(stream.read())
    data[len(data) // 2] ^= 0xFF
    if hasattr(store, "client"):
        store.client.put_object(Bucket=store.bucket, Key=store.key_for(sha256), Body=bytes(data))
    else:
        path = store.path_for(sha256)
        path.chmod(0o644)
        path.write_bytes(bytes(data))


def _delete(store, sha256):
    if hasattr(store, "client"):
        store.client.delete_object(Bucket=store.bucket, Key=store.key_for(sha256))
    else:
        store.path_for(sha256).unlink()


def test_every_new_original_gets_a_checked_second_copy_and_verify_repairs_either_copy(
    tmp_path, replica_env, database_env, monkeypatch
):
    khlang = Khlang_CLI(tmp_path / "data", {**replica_env, **database_env})
    results = khlang.json("ingest", *map(str, make_files(tmp_path / "ส่งมอบ")))
    assert [r["status"] for r in results] == ["ingested"] * 3
    core = khlang.core(monkeypatch)
    for entry in results:
        assert core.replica.check(entry["sha256"]) == "ok"
    with core.sessions() as session:
        replicated = session.scalars(
            select(Event).where(Event.event_type == "replicated").order_by(Event.id)
        ).all()
        assert sorted(e.outcome for e in replicated) == ["success"] * 3

    lost, flipped = results[0], results[1]
    _delete(core.store, lost["sha256"])  # the first copy is gone
    _flip_a_byte(core.replica, flipped["sha256"])  # the second copy has gone bad
    report = khlang.json("verify")

    assert report["ok"] is True and report["missing"] == report["corrupt"] == []
    repaired = {(r["filename"], r["copy"], r["was"]) for r in report["repaired"]}
    assert repaired == {
        (lost["filename"], "primary", "missing"),
        (flipped["filename"], "replica", "corrupt"),
    }
    for entry in results:
        assert core.store.check(entry["sha256"]) == core.replica.check(entry["sha256"]) == "ok"
    with core.sessions() as session:
        events = session.scalars(select(Event).where(Event.event_type == "repaired")).all()
        assert sorted((e.document_id, e.detail["copy"]) for e in events) == sorted(
            [(lost["document_id"], "primary"), (flipped["document_id"], "replica")]
        )
    again = khlang.json("verify")
    assert again["ok"] and again["repaired"] == []
    core.dispose()


def test_both_copies_bad_is_a_failure_named_with_its_document(tmp_path, monkeypatch):
    khlang = Khlang_CLI(tmp_path / "data", {"KHLANG_REPLICA": str(tmp_path / "replica")})
    [entry] = khlang.json("ingest", str(make_files(tmp_path / "in", 1)[0]))
    core = khlang.core(monkeypatch)
    _flip_a_byte(core.store, entry["sha256"])
    _delete(core.replica, entry["sha256"])

    report = khlang.json("verify", code=1)

    assert report["ok"] is False and report["repaired"] == []
    assert [(c["filename"], c["copy"]) for c in report["corrupt"]] == [
        (entry["filename"], "primary")
    ]
    assert [(m["filename"], m["copy"]) for m in report["missing"]] == [
        (entry["filename"], "replica")
    ]
    core.dispose()


def test_khlang_replicate_catches_up_an_existing_archive(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    files = make_files(tmp_path / "in", 4)
    assert Khlang_CLI(data_dir, {}).json("ingest", *map(str, files))
    replica = tmp_path / "replica"
    khlang = Khlang_CLI(data_dir, {"KHLANG_REPLICA": str(replica)})

    first = khlang("replicate", "--progress")
    assert first.exit_code == 0, first.output
    assert "ทำสำเนาแล้ว 4 ไฟล์ (replicated 4 files)" in first.stdout
    assert khlang.json("replicate") == {"ok": True, "replicated": 0, "pending": []}
    store = open_object_store(replica, tmp_path / "tmp")
    with khlang.core(monkeypatch).sessions() as session:
        for sha256 in session.scalars(select(Document.sha256)):
            assert store.check(sha256) == "ok"


def test_replicate_without_a_replica_says_so_in_thai_and_english(tmp_path):
    result = Khlang_CLI(tmp_path / "data", {})("replicate")
    assert result.exit_code == 2
    assert "KHLANG_REPLICA" in result.output and "ยังไม่ได้ตั้ง" in result.output


def _checked_documents(core) -> list[set[int]]:
    """Which documents each fixity run checked, in run order (from the events)."""
    with core.sessions() as session:
        events = session.scalars(
            select(Event).where(Event.event_type == "fixity-check").order_by(Event.id)
        ).all()
        runs = session.scalars(select(FixityRun).order_by(FixityRun.id)).all()
        sizes = [run.checked for run in runs]
    groups, start = [], 0
    for size in sizes:
        groups.append({e.document_id for e in events[start : start + size]})
        start += size
    return groups


def test_bounded_runs_check_the_least_recently_checked_first_and_cover_the_store(
    tmp_path, database_env, monkeypatch
):
    khlang = Khlang_CLI(tmp_path / "data", database_env)
    results = khlang.json("ingest", *map(str, make_files(tmp_path / "in", 5)))
    ids = sorted(r["document_id"] for r in results)

    runs = [khlang.json("verify", "--max-objects", "2") for _ in range(3)]

    assert [(r["checked"], r["total"], r["complete"]) for r in runs] == [(2, 5, False)] * 3
    core = khlang.core(monkeypatch)
    first, second, third = _checked_documents(core)
    assert first == set(ids[:2]) and second == set(ids[2:4])
    assert third == {ids[4], ids[0]}  # the never-checked one, then the oldest check
    full = khlang.json("verify", "--max-duration", "30m")
    assert (full["checked"], full["complete"]) == (5, True)
    with core.sessions() as session:
        assert session.query(FixityRun).count() == 4
    core.dispose()


def test_a_bad_duration_is_refused_with_a_reason(tmp_path):
    result = Khlang_CLI(tmp_path / "data", {})("verify", "--max-duration", "ครึ่งชั่วโมง")
    assert result.exit_code == 2
    assert "ไม่ใช่ระยะเวลา" in result.output and "not a duration" in result.output


PASSWORD = "รหัสผ่าน-ยาว-พอ-2567"


def _web(khlang, monkeypatch):
    """The service over the same data directory, and `login(name)` through the form."""
    import re

    from service import create_app

    khlang.apply(monkeypatch)
    app = create_app({"TESTING": True, "KHLANG_DATA_DIR": str(khlang.data_dir)})

    def login(name):
        client = app.test_client()
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/login", data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/"}
        )
        assert response.status_code == 302, response.text
        return client

    return app, login


def _add_user(khlang, name, role):
    result = khlang("users", "add", name, "--role", role, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output


def test_a_fixity_failure_shows_on_healthz_and_the_admin_page_until_it_is_mended(
    tmp_path, database_env, monkeypatch
):
    khlang = Khlang_CLI(tmp_path / "data", database_env)
    files = make_files(tmp_path / "in", 3)
    results = khlang.json("ingest", *map(str, files))
    victim = results[2]
    core = khlang.core(monkeypatch)
    _flip_a_byte(core.store, victim["sha256"])
    report = khlang.json("verify", code=1)
    assert [c["filename"] for c in report["corrupt"]] == [victim["filename"]]
    _add_user(khlang, "admin", "admin")
    _add_user(khlang, "viewer", "viewer")
    app, login = _web(khlang, monkeypatch)

    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["checks"]["fixity"].startswith("error: fixity run")
    admin = login("admin")
    page = admin.get("/admin/preservation")
    assert page.status_code == 200
    assert "ไม่ผ่าน" in page.text and "ไฟล์เสียหาย" in page.text
    assert victim["filename"] in page.text and victim["sha256"] in page.text
    english = admin.get("/admin/preservation?lang=en").text
    assert "FAILED" in english and "corrupt" in english
    assert login("viewer").get("/admin/preservation").status_code == 403
    assert app.test_client().get("/admin/preservation").status_code in (302, 401)

    # The original arrives again (its hash checked as it is staged) and heals the object;
    # the next bounded run re-checks the failed document first and clears the alarm.
    source = next(p for p in files if p.name == victim["filename"])
    assert khlang.json("ingest", str(source))[0]["status"] == "duplicate"
    mended = khlang.json("verify", "--max-objects", "1")
    assert mended["ok"] and mended["checked"] == 1
    with core.sessions() as session:
        last = session.scalars(
            select(Event).where(Event.event_type == "fixity-check").order_by(Event.id.desc())
        ).first()
        assert last.document_id == victim["document_id"]
    assert app.test_client().get("/healthz").status_code == 200
    after = admin.get("/admin/preservation?lang=th").text
    assert "ผ่าน" in after and "ไม่ผ่าน" not in after
    core.dispose()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_replica_holds_files_as_not_yet_replicated(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    unreachable = {
        "KHLANG_REPLICA": "s3://offsite/khlang",
        "KHLANG_REPLICA_S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
        "KHLANG_REPLICA_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "KHLANG_REPLICA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "KHLANG_REPLICA_S3_REGION": "us-east-1",
    }
    khlang = Khlang_CLI(data_dir, unreachable)
    results = khlang.json("ingest", *map(str, make_files(tmp_path / "in", 2)))
    assert [r["status"] for r in results] == ["ingested", "ingested"]
    core = khlang.core(monkeypatch)
    with core.sessions() as session:
        events = session.scalars(
            select(Event).where(Event.event_type == "replicated").order_by(Event.id)
        ).all()
        assert [e.outcome for e in events] == ["pending", "pending"]
        first, second = (e.detail["reason"] for e in events)
        assert "Could not connect" in first
        assert second.endswith("(not tried again yet)")  # no wait per file on a dead link
    _add_user(khlang, "admin", "admin")
    _app, login = _web(khlang, monkeypatch)
    page = login("admin").get("/admin/preservation").text
    assert "ยังไม่ได้ทำสำเนาที่สอง" in page and "<strong>2</strong>" in page
    assert all(r["filename"] in page for r in results)
    still = khlang("replicate")
    assert still.exit_code == 1 and "ยังทำสำเนาไม่ได้ (not yet replicated)" in still.stdout
    core.dispose()

    # The replica is back (here: a folder instead of the lost endpoint).
    back = Khlang_CLI(data_dir, {"KHLANG_REPLICA": str(tmp_path / "replica")})
    assert back.json("replicate")["replicated"] == 2
    _app, login = _web(back, monkeypatch)
    assert "ทุกไฟล์มีสำเนาที่สองแล้ว" in login("admin").get("/admin/preservation").text


def test_an_upload_job_with_the_replica_unreachable_finishes_and_holds_its_files(
    tmp_path, monkeypatch
):
    """Through POST /api/uploads: the job reports done and its file ingested (the first copy
    is safe), and the file waits as not yet replicated instead of failing the job."""
    from service.auth import create_token
    from tests.waiting import wait_until

    khlang = Khlang_CLI(
        tmp_path / "data",
        {
            "KHLANG_REPLICA": "s3://offsite/khlang",
            "KHLANG_REPLICA_S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
            "KHLANG_REPLICA_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "KHLANG_REPLICA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "KHLANG_REPLICA_S3_REGION": "us-east-1",
        },
    )
    assert khlang("init").exit_code == 0
    app, _login = _web(khlang, monkeypatch)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = (
        f"Bearer {create_token(app.extensions['khlang'], 'ส่งงาน', 'admin')}"
    )
    [letter] = make_files(tmp_path / "in", 1)
    response = client.post(
        "/api/uploads",
        data={"files": [(letter.open("rb"), letter.name)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.text
    job_id = response.get_json()["job_id"]

    def finished():
        answer = client.get(f"/api/jobs/{job_id}").get_json()
        return answer if answer["status"] != "running" else None

    job = wait_until(finished, f"upload job {job_id} to finish", every=0.2)
    assert job["status"] == "finished", job
    [entry] = job["files"]
    assert entry["status"] == "ingested"
    core = app.extensions["khlang"]
    from indexer.preserve.replication import not_yet_replicated

    assert [row[0] for row in not_yet_replicated(core)] == [entry["document_id"]]
