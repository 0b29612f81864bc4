"""Jobs that are killed, resumed, and run side by side in several processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, select

from archive.store import sha256_of_file
from indexer.core import Khlang
from schemas.config import Settings
from schemas.models import Batch, Document, Submission
from tests.conftest import SHARED
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]
SEED_TEXTS = sorted((SHARED / "seeds").glob("*.txt"))


def make_text_files(folder: Path, count: int) -> list[Path]:
    """Distinct real Thai texts: seed paragraphs, numbered so each file's bytes differ."""
    folder.mkdir(parents=True, exist_ok=True)
    paragraphs = [
        p.strip()
        for seed in SEED_TEXTS
        for p in seed.read_text(encoding="utf-8").split("\n\n")
        if len(p.strip()) > 80
    ]
    files = []
    for n in range(count):
        path = folder / f"เอกสาร-{n:04d}.txt"
        path.write_text(f"ฉบับที่ {n}\n{paragraphs[n % len(paragraphs)]}\n", encoding="utf-8")
        files.append(path)
    return files


def khlang(data_dir: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir)}
    env.pop("KHLANG_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the ingest's worker processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def workers_gone(pids: list[int]) -> bool:
    return not [p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)]


def _zombie(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def count_submissions(core: Khlang) -> int:
    with core.sessions() as session:
        return session.scalar(select(func.count(Submission.id))) or 0


def assert_archive_consistent(core: Khlang) -> None:
    """No partial object, no document without its events, no document without its object."""
    with core.sessions() as session:
        for document in session.scalars(select(Document)):
            kinds = {e.event_type for e in document.events}
            assert {"received", "identified", "stored", "extracted"} <= kinds, document.id
            assert core.store.exists(document.sha256)
    for name, path in core.store.iter_objects():
        assert sha256_of_file(path) == name


def test_sigkill_loses_nothing_acknowledged_and_rerun_completes_the_rest(tmp_path):
    data_dir = tmp_path / "data"
    files = make_text_files(tmp_path / "in", 150)
    core = Khlang(Settings.load(data_dir))
    core.init()
    process = khlang(data_dir, "ingest", str(tmp_path / "in"), "--submitted-by", "dsss", "--json")
    wait_until(lambda: count_submissions(core) >= 20, "the job to record 20 files")
    workers = child_pids(process.pid)
    assert len(workers) >= 2, "the job should be preparing files in worker processes"
    process.send_signal(signal.SIGKILL)
    process.wait()
    acknowledged = count_submissions(core)
    wait_until(lambda: workers_gone(workers), "worker processes outlived the killed ingest")
    assert 20 <= acknowledged < len(files), "the job finished before it could be killed"
    assert_archive_consistent(core)

    rerun = khlang(data_dir, "ingest", str(tmp_path / "in"), "--submitted-by", "dsss", "--json")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    results = json.loads(out)
    assert len(results) == len(files)
    with core.sessions() as session:
        assert session.scalar(select(func.count(Document.id))) == len(files)
        statuses = Counter(session.scalars(select(Submission.status)))
        # every file arrived once: the resumed job skipped what the killed one had recorded
        assert statuses == {"ingested": len(files)}
        [batch] = session.scalars(select(Batch)).all()
        assert batch.status == "finished" and batch.detail["resumed"] == 1
    assert_archive_consistent(core)
    # what the killed run stored but had not yet indexed was indexed by the re-run
    assert_all_searchable(core, len(files))
    core.dispose()


def assert_all_searchable(core: Khlang, count: int) -> None:
    """Every document marked indexed, with its event, and found by a search."""
    with core.sessions() as session:
        documents = session.scalars(select(Document)).all()
        assert len(documents) == count
        unindexed = [d.filename for d in documents if not d.indexed_version]
        assert not unindexed, f"{len(unindexed)} documents left unindexed"
        for document in documents:
            assert "indexed" in {e.event_type for e in document.events}, document.filename
    assert core.search_backend.held_ids() == {d.id for d in documents}
    assert core.search_backend.search("ฉบับที่", limit=1).as_dict()["total"] == count


def test_several_processes_ingesting_at_once_keep_everything_consistent(tmp_path):
    data_dir = tmp_path / "data"
    files = make_text_files(tmp_path / "in", 60)
    core = Khlang(Settings.load(data_dir))
    core.init()
    # Three processes, overlapping inputs: each file is offered twice.
    groups = [files[0:40], files[20:60], files[0:20] + files[40:60]]
    processes = [
        khlang(data_dir, "ingest", *map(str, group), "--submitted-by", f"worker-{n}", "--json")
        for n, group in enumerate(groups)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    with core.sessions() as session:
        assert session.scalar(select(func.count(Document.id))) == 60
        statuses = Counter(session.scalars(select(Submission.status)))
        assert statuses == {"ingested": 60, "duplicate": 60}
    assert_archive_consistent(core)
    hits = core.search_backend.search("ฉบับที่", limit=1).as_dict()
    assert hits["total"] == 60
    assert core.search_backend.held_ids() == set(range(1, 61))
    core.dispose()


def job_owner_pid(core: Khlang, job_id: int) -> int:
    with core.sessions() as session:
        return session.get(Batch, job_id).detail["pid"]


def assert_upload_job_completed_once(core: Khlang, job_id: int, files: list[Path]) -> None:
    """Every uploaded file arrived exactly once, in that one job, and is searchable."""
    with core.sessions() as session:
        batch = session.get(Batch, job_id)
        assert batch.status == "finished", batch.detail
        assert batch.detail["resumed"] == 1
        names = list(session.scalars(select(Submission.original_name)))
        statuses = Counter(session.scalars(select(Submission.status)))
    assert sorted(names) == sorted(f.name for f in files)
    assert statuses == {"ingested": len(files)}
    assert_all_searchable(core, len(files))
    # removed right after the job is marked finished
    folder = Path(batch.detail["upload_dir"])
    wait_until(lambda: not folder.exists(), "the upload folder to be removed")


def upload_folder(data_dir: Path, files: list[Path]) -> list[Path]:
    """The uploaded files as the web service keeps them: tmp/uploads/job-*/NNNNN/name."""
    folder = data_dir / "tmp" / "uploads" / "job-test"
    paths = []
    for number, source in enumerate(files):
        target = folder / f"{number:05d}" / source.name
        target.parent.mkdir(parents=True)
        target.write_bytes(source.read_bytes())
        paths.append(target)
    return paths


UPLOAD_JOB_PROCESS = """
import sys, time
from pathlib import Path
from indexer.core import Khlang
from indexer.ingest.jobs import start_background_job

core = Khlang.open(sys.argv[1])
folder = Path(sys.argv[2])
paths = sorted(str(p) for p in folder.rglob("*.txt"))
print(start_background_job(core, paths, agent="dsss", cleanup=folder), flush=True)
time.sleep(600)
"""


def test_an_upload_job_whose_process_died_is_resumed_when_its_status_is_asked(tmp_path):
    from service import create_app
    from service.auth import create_token

    data_dir = tmp_path / "data"
    files = make_text_files(tmp_path / "in", 120)
    core = Khlang(Settings.load(data_dir))
    core.init()
    assert core.search_backend.held_ids() == set()  # the index exists, as a served archive has one
    upload_folder(data_dir, files)
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir)}
    env.pop("KHLANG_DATABASE_URL", None)
    owner = subprocess.Popen(
        [sys.executable, "-c", UPLOAD_JOB_PROCESS, str(data_dir), str(data_dir / "tmp/uploads")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    job_id = int(owner.stdout.readline())
    assert job_owner_pid(core, job_id) == owner.pid
    wait_until(lambda: count_submissions(core) >= 20, "the job to start")
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    owner.stdout.close()
    assert count_submissions(core) < len(files), "the job finished before it could be killed"

    app = create_app({"TESTING": True, "KHLANG_DATA_DIR": str(data_dir)})
    client = app.test_client()
    token = create_token(core, "tests", "admin")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    answer = client.get(f"/api/jobs/{job_id}").get_json()
    assert answer["status"] == "running"
    assert job_owner_pid(core, job_id) == os.getpid(), "this process took the job over"
    wait_until(
        lambda: client.get(f"/api/jobs/{job_id}").get_json()["status"] != "running",
        "the resumed job",
    )
    answer = client.get(f"/api/jobs/{job_id}").get_json()
    assert answer["done"] == answer["total"] == len(files)
    assert_upload_job_completed_once(core, job_id, files)
    app.extensions["khlang"].dispose()
    core.dispose()


def test_gunicorn_resumes_an_upload_job_whose_worker_was_killed(tmp_path):
    """The real service: an upload's worker is SIGKILLed mid-job; gunicorn starts a new
    worker, and the job is finished from the kept upload folder, each file once."""
    from service.auth import create_token
    from tests import live_server

    data_dir = tmp_path / "data"
    files = make_text_files(tmp_path / "in", 150)
    core = Khlang(Settings.load(data_dir))
    core.init()
    token = create_token(core, "tests", "admin")
    port = live_server.free_port()
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir), "KHLANG_WARM_SEARCH": "0"}
    env.pop("KHLANG_DATABASE_URL", None)
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4"]
    command += ["--bind", f"127.0.0.1:{port}", "service:create_app()"]
    server = live_server.start(command, env, port, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        status, answer = live_server.post_files(f"{base}/api/uploads", token, files)
        assert status == 202, answer
        job_id = answer["job_id"]
        assert answer["status_url"] == f"/api/jobs/{job_id}"
        wait_until(lambda: count_submissions(core) >= 20, "the job to start")
        os.kill(job_owner_pid(core, job_id), signal.SIGKILL)
        assert count_submissions(core) < len(files), "the job finished before it was killed"

        def finished() -> bool:
            status, answer = live_server.get_json(f"{base}/api/jobs/{job_id}", token)
            return status == 200 and answer["status"] != "running"

        wait_until(finished, "the resumed job")
        assert_upload_job_completed_once(core, job_id, files)
        status, hits = live_server.get_json(f"{base}/api/search?q={quote('ฉบับที่')}", token)
    finally:
        live_server.stop(server)
    assert hits["total"] == len(files)
    core.dispose()


def test_progress_shows_the_file_being_worked_on_and_grows_with_bundles(cli, tmp_path):
    import zipfile

    folder = tmp_path / "ส่งมอบ"
    make_text_files(folder, 2)
    with zipfile.ZipFile(folder / "ชุด.zip", "w") as archive:
        for n in range(3):
            archive.writestr(f"ภายใน-{n}.txt", f"เอกสารในชุด ฉบับที่ {n}".encode())
    result = cli("ingest", str(folder), "--progress", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 6
    segments = [part.split("\n")[0] for part in result.stderr.split("\r")]
    shown = [
        re.search(r"\] (\d+)/(\d+) .*?(\S+)\s*$", part).groups()
        for part in segments
        if part.startswith("[")
    ]

    def done_when_shown(name: str) -> int:
        return min(int(done) for done, _, shown_name in shown if shown_name.endswith(name))

    # each file is shown while it is worked on, before it is counted done: the bundle
    # first (its name sorts first), then its members, then the two texts
    assert done_when_shown("ส่งมอบ/ชุด.zip") == 0
    for n in range(3):
        assert done_when_shown(f"ชุด.zip/ภายใน-{n}.txt") == 1 + n
    assert done_when_shown("เอกสาร-0000.txt") == 4
    assert done_when_shown("เอกสาร-0001.txt") == 5
    # the total grows by the bundle's members when it is opened; done never passes it
    totals = [int(total) for _, total, _ in shown]
    assert totals[0] == 3 and totals[-1] == 6
    assert all(int(done) <= int(total) for done, total, _ in shown)
    assert shown[-1][:2] == ("6", "6")
    # without a terminal and without --progress, nothing is drawn
    quiet = cli("ingest", str(folder), "--json")
    assert "[" not in quiet.stderr.split("\n")[0]


def test_a_background_job_that_fails_before_it_starts_is_marked_failed(tmp_path, monkeypatch):
    """What goes wrong before the ingestor runs (reading the upload folder, here) still ends
    the job as failed with its reason: a job left "running" would be polled for ever."""
    import indexer.ingest.jobs as jobs

    core = Khlang(Settings.load(tmp_path / "data"))
    core.init()
    files = make_text_files(tmp_path / "in", 2)

    def unreadable(paths):
        raise PermissionError("the upload folder cannot be read")

    monkeypatch.setattr(jobs, "expand_paths", unreadable)
    job_id = jobs.start_background_job(core, [str(f) for f in files], agent="dsss")

    def finished_batch():
        with core.sessions() as session:
            batch = session.get(Batch, job_id)
            return batch if batch.status != "running" else None

    batch = wait_until(finished_batch, "the job to end")
    assert batch.status == "failed"
    assert "upload folder cannot be read" in batch.detail["error"]
    core.dispose()


def test_an_indexing_error_fails_the_job_and_rejects_no_file(tmp_path, monkeypatch):
    """The search index failing is the job's error, not a file's: every file stored and
    recorded stays ingested (a later reindex --if-needed indexes it), the job ends failed."""
    import indexer.ingest.index_queue as index_queue
    import indexer.ingest.pipeline as pipeline
    from indexer.ingest.sources import expand_paths

    core = Khlang(Settings.load(tmp_path / "data"))
    core.init()
    files = make_text_files(tmp_path / "in", 5)

    def broken_index(core, ids, *, agent):
        raise OSError("the index disk is full")

    monkeypatch.setattr(index_queue, "index_documents", broken_index)
    ingestor = pipeline.Ingestor(core, agent="dsss", index_every=2)
    try:
        ingestor.run(list(expand_paths([str(f) for f in files])))
    except OSError as exc:
        assert "disk is full" in str(exc)
    else:
        raise AssertionError("the job should have failed")
    with core.sessions() as session:
        batch = session.get(Batch, ingestor.batch_id)
        assert batch.status == "failed" and "disk is full" in batch.detail["error"]
        statuses = Counter(session.scalars(select(Submission.status)))
        assert statuses == {"ingested": 2}, statuses
        assert session.scalar(select(func.count(Document.id))) == 2
    core.dispose()
