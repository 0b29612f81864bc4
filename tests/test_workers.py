"""A job's worker processes: how they start, their priority, and the indexing process's
answers (a batch indexed, an error, a death)."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

import indexer.ingest.indexing as indexing
import indexer.ingest.pipeline as pipeline
from indexer.ingest.jobs import run_ingest_job
from indexer.ingest.prepare import PREPARE_NICENESS, Prefetcher
from indexer.ingest.sources import expand_paths
from indexer.runtime.workers import worker_context
from schemas.models import Batch, Document, Submission
from tests.conftest import DATABASES, make_core
from tests.test_jobs import REPO, make_text_files

FORK = multiprocessing.get_context("fork")


def test_workers_are_forked_from_a_single_threaded_process():
    probe = (
        "import json, threading, time\n"
        "from indexer.runtime.workers import worker_context\n"
        "alone = worker_context().get_start_method()\n"
        "threading.Thread(target=time.sleep, args=(1,), daemon=True).start()\n"
        "print(json.dumps([alone, worker_context().get_start_method()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == ["fork", "spawn"]


def test_workers_are_spawned_beside_other_threads():
    """As in the web service, where a job runs beside request threads."""
    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    try:
        assert worker_context().get_start_method() == "spawn"
    finally:
        release.set()
        thread.join()


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_prepare_workers_run_at_a_lower_priority(core, start):
    own = os.nice(0)
    prefetcher = Prefetcher(
        [], 2, core.store, core.settings.max_file_size, multiprocessing.get_context(start)
    )
    try:
        niceness = {prefetcher.pool.submit(os.nice, 0).result() for _ in range(4)}
    finally:
        prefetcher.close()
    assert niceness == {min(own + PREPARE_NICENESS, 19)}
    assert os.nice(0) == own  # not this process


def _ingest_some(core, tmp_path, count=3) -> list[int]:
    files = make_text_files(tmp_path / "in", count)
    results = pipeline.Ingestor(core, agent="dsss", index=False).run(
        list(expand_paths([str(f) for f in files]))
    )
    return [r.document_id for r in results]


def test_the_indexing_process_indexes_what_it_is_sent(core, tmp_path):
    ids = _ingest_some(core, tmp_path)

    def marked(document_ids) -> list[bool]:
        with core.sessions() as session:
            return [bool(session.get(Document, i).indexed_version) for i in document_ids]

    process = indexing.IndexingProcess(core.settings, FORK)
    try:
        process.submit(ids[:2], agent="dsss")
        process.submit(ids[2:], agent="dsss")  # waits for the first batch to be done
        assert marked(ids[:2]) == [True, True]
    finally:
        process.close()  # waits for the second
    assert core.search_backend.held_ids() == set(ids)
    assert marked(ids) == [True] * len(ids)


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("cannot pickle this error")


def full_disk(core, ids, *, agent):
    raise OSError(28, "No space left on device")


def lost_lock(core, ids, *, agent):
    raise Unpicklable("the writer lock is lost")


def dies(core, ids, *, agent):
    os._exit(3)


@pytest.mark.parametrize(
    "index_documents, raised, reason",
    [
        (full_disk, OSError, "No space left"),
        (lost_lock, RuntimeError, "Unpicklable: the writer lock is lost"),
        (dies, indexing.IndexingProcessDied, "exit code 3"),
    ],
    ids=["an error", "an error that does not pickle", "a death"],
)
def test_what_goes_wrong_in_the_indexing_process_is_raised_in_the_job(
    core, tmp_path, monkeypatch, index_documents, raised, reason
):
    """Forked: the process runs this process's code, so a patched index_documents."""
    ids = _ingest_some(core, tmp_path)
    monkeypatch.setattr(indexing, "index_documents", index_documents)
    process = indexing.IndexingProcess(core.settings, FORK)
    process.submit(ids, agent="dsss")
    with pytest.raises(raised, match=reason):
        process.close()


@pytest.mark.parametrize("database", DATABASES)
@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_large_job_indexes_every_file_with_either_start(tmp_path, monkeypatch, start, database):
    """Forked workers inherit the job's open database connections and never use them."""
    monkeypatch.setattr(pipeline, "worker_context", lambda: multiprocessing.get_context(start))
    core = make_core(tmp_path / "data", database)
    files = make_text_files(tmp_path / "in", 40)
    timings: dict[str, float] = {}
    results = run_ingest_job(core, [str(tmp_path / "in")], agent="dsss", workers=2, timings=timings)
    assert "identify (work)" in timings and "index (work)" in timings  # workers did the work
    assert Counter(r.status for r in results) == {"ingested": len(files)}
    assert core.search_backend.held_ids() == {r.document_id for r in results}
    assert core.search_backend.search("ฉบับที่ 17").as_dict()["total"] >= 1
    core.dispose()


def failing_index(core, ids, *, agent):
    raise RuntimeError("the index writer broke")


def test_an_indexing_process_error_fails_a_large_job_and_rejects_no_file(tmp_path, monkeypatch):
    """As in-process (tests/test_jobs.py), with the job's indexing process forked."""
    monkeypatch.setattr(pipeline, "worker_context", lambda: FORK)
    monkeypatch.setattr(indexing, "index_documents", failing_index)
    core = make_core(tmp_path / "data")
    make_text_files(tmp_path / "in", 40)
    ingestor = pipeline.Ingestor(core, agent="dsss", workers=2, index_every=10)
    with pytest.raises(RuntimeError, match="index writer broke"):
        ingestor.run(list(expand_paths([str(tmp_path / "in")])))
    with core.sessions() as session:
        batch = session.get(Batch, ingestor.batch_id)
        assert batch.status == "failed" and "index writer broke" in batch.detail["error"]
        statuses = set(session.scalars(select(Submission.status)))
        assert statuses == {"ingested"}
        stored = session.scalar(select(func.count(Document.id)))
        assert stored >= 10
        unindexed = session.scalar(
            select(func.count(Document.id)).where(Document.indexed_version.is_(None))
        )
        assert unindexed == stored  # left for reindex --if-needed
    core.dispose()


def test_a_full_disk_in_the_indexing_process_defers_indexing_and_the_job_finishes(
    tmp_path, monkeypatch
):
    """A full disk while indexing is no reason to end the job (the real disk: see
    tests/test_full_disk.py): every file is stored, says it is not yet searchable, and is
    left unindexed for the next ingest or service start."""
    from indexer.runtime.diskspace import NOT_YET_SEARCHABLE

    monkeypatch.setattr(pipeline, "worker_context", lambda: FORK)
    monkeypatch.setattr(indexing, "index_documents", full_disk)
    core = make_core(tmp_path / "data")
    make_text_files(tmp_path / "in", 40)
    ingestor = pipeline.Ingestor(core, agent="dsss", workers=2, index_every=10)
    results = ingestor.run(list(expand_paths([str(tmp_path / "in")])))
    assert Counter(r.status for r in results) == {"ingested": 40}
    assert all(NOT_YET_SEARCHABLE in r.warnings for r in results)
    with core.sessions() as session:
        assert session.get(Batch, ingestor.batch_id).status == "finished"
        unindexed = session.scalar(
            select(func.count(Document.id)).where(Document.indexed_version.is_(None))
        )
    assert unindexed == 40
    core.dispose()
