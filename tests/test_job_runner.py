"""The JobRunner seam, tested against its interface: every runner in ``RUNNERS`` starts a
job of real Thai files, reports its progress to the end, runs a job while the caller
waits, and resumes a job whose process died. The broker runner (cluster mode) passes
them unchanged with a real `khlang worker` on RabbitMQ."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import select

from indexer.ingest import RUNNERS, Ingestor, expand_paths, job_runner
from schemas.models import Batch, Document, Submission
from tests.broker_workers import Workers
from tests.conftest import PG_URL
from tests.test_jobs import make_text_files, upload_folder
from tests.waiting import wait_until

FILES = 6


@pytest.fixture(params=sorted(RUNNERS))
def runner(request, any_core, tmp_path, monkeypatch):
    if request.param != "broker":
        yield RUNNERS[request.param](any_core)
        return
    # The broker's jobs are run by a real `khlang worker` (two files at once) on a queue
    # of this test's own; skipped, with the reason, where RabbitMQ does not answer. On one
    # database: PostgreSQL, cluster mode's, where there is one (SQLite serves across
    # processes too, and is tried where there is no PostgreSQL).
    if any_core.settings.is_sqlite and PG_URL:
        pytest.skip("the broker runner is tried on PostgreSQL here, its database")
    workers = Workers(any_core.settings, tmp_path, monkeypatch)
    workers.start("worker", concurrency=2)
    try:
        yield RUNNERS["broker"](any_core)
    finally:
        workers.close()


def uploaded(core, tmp_path, count: int = FILES):
    """Real Thai texts as the web service keeps an upload's files: (folder, paths)."""
    files = make_text_files(tmp_path / "in", count)
    paths = [str(p) for p in upload_folder(core.settings.data_dir, files)]
    return core.settings.data_dir / "tmp" / "uploads" / "job-test", paths


def assert_searchable_once(core, count: int) -> None:
    """Each file arrived once, as one document, which the search index holds."""
    with core.sessions() as session:
        ids = set(session.scalars(select(Document.id)))
        statuses = Counter(session.scalars(select(Submission.status)))
    assert len(ids) == count
    assert statuses == {"ingested": count}
    assert core.search_backend.held_ids() == ids
    assert core.search_backend.search("ฉบับที่", limit=1).as_dict()["total"] == count


def test_the_factory_gives_a_runner_of_the_interface(any_core):
    runner = job_runner(any_core)
    for method in ("start", "run", "status", "resume_interrupted"):
        assert callable(getattr(runner, method))
    assert any(isinstance(runner, made) for made in RUNNERS.values() if isinstance(made, type))


def test_a_started_job_reports_its_progress_to_the_end(runner, any_core, tmp_path):
    folder, paths = uploaded(any_core, tmp_path)
    job_id = runner.start(paths, agent="dsss", cleanup=folder)
    seen: list[dict] = []

    def over() -> bool:
        seen.append(runner.status(job_id))
        return seen[-1]["status"] != "running"

    wait_until(over, "the job to finish")
    dones = [status["done"] for status in seen]
    assert dones == sorted(dones), "progress never goes back"
    assert all(status["done"] <= status["total"] for status in seen)
    final = seen[-1]
    assert final["job_id"] == job_id and final["agent"] == "dsss"
    assert final["status"] == "finished" and final["finished_at"]
    assert final["done"] == final["total"] == FILES
    assert final["counts"] == {"ingested": FILES}
    assert sorted(f["path"] for f in final["files"]) == sorted(p.rsplit("/", 1)[1] for p in paths)
    assert all(f["document_id"] and not f["error"] for f in final["files"])
    assert_searchable_once(any_core, FILES)
    wait_until(lambda: not folder.exists(), "the upload folder to be removed")
    assert runner.status(job_id + 1000) is None


def test_a_job_run_while_the_caller_waits_tells_each_file(runner, any_core, tmp_path):
    folder, _paths = uploaded(any_core, tmp_path)
    told = []
    results = runner.run([str(folder)], agent="dsss", progress=told.append)
    assert [r.status for r in results] == ["ingested"] * FILES
    assert told == results
    assert_searchable_once(any_core, FILES)
    with any_core.sessions() as session:
        (batch,) = session.scalars(select(Batch)).all()
        assert batch.status == "finished" and batch.done == batch.total == FILES
    # the same files again are a new job, of duplicates: nothing stored twice
    again = runner.run([str(folder)], agent="dsss")
    assert [r.status for r in again] == ["duplicate"] * FILES
    assert {r.document_id for r in again} == {r.document_id for r in results}


def test_a_job_for_an_unknown_item_is_refused_before_it_starts(runner, any_core, tmp_path):
    folder, paths = uploaded(any_core, tmp_path)
    with pytest.raises(LookupError):
        runner.start(paths, agent="dsss", item_code="INV-2562-XXXXXX", cleanup=folder)
    with pytest.raises(LookupError):
        runner.run(paths, agent="dsss", item_code="INV-2562-XXXXXX")
    with any_core.sessions() as session:
        assert session.scalars(select(Submission)).all() == []


def dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_job_whose_process_died_is_resumed_and_completed_once(runner, any_core, tmp_path):
    """The crash as a killed runner leaves it: the job's row still "running" under a
    process that is gone, two files recorded (not yet indexed), the rest not begun."""
    folder, paths = uploaded(any_core, tmp_path)
    killed = Ingestor(any_core, agent="dsss", source="upload")
    for source in list(expand_paths(paths))[:2]:
        assert killed.ingest_one(source).status == "ingested"
    with any_core.transaction() as session:
        batch = session.get(Batch, killed.batch_id)
        batch.total = FILES
        batch.detail = {
            "pid": dead_pid(),
            "host": socket.gethostname(),
            "paths": paths,
            "upload_dir": str(folder),
        }
    with any_core.sessions() as session:
        assert len(session.scalars(select(Submission)).all()) == 2

    resumed = runner.resume_interrupted()
    wait_until(lambda: runner.status(killed.batch_id)["status"] != "running", "the resumed job")
    assert killed.batch_id in resumed
    final = runner.status(killed.batch_id)
    assert final["status"] == "finished"
    assert final["done"] == final["total"] == FILES
    assert final["counts"] == {"ingested": FILES}
    assert_searchable_once(any_core, FILES)  # the two recorded before are indexed too
    with any_core.sessions() as session:
        assert session.get(Batch, killed.batch_id).detail["resumed"] == 1
    wait_until(lambda: not folder.exists(), "the upload folder to be removed")
    assert runner.resume_interrupted() == []  # nothing left to resume
