"""The flock helper that gunicorn workers and the CLI share a data directory with. flock
locks belong to an open file, so two opens in this one process contend like two
processes do."""

from __future__ import annotations

from indexer.runtime.locks import file_lock


def test_an_exclusive_lock_keeps_others_out_until_released(tmp_path):
    path = tmp_path / "jobs.lock"
    with file_lock(path) as held:
        assert held
        with file_lock(path, wait=False) as other:
            assert other is False
        with file_lock(path, timeout=0.2) as other:
            assert other is False
        with file_lock(path, shared=True, wait=False) as reader:
            assert reader is False
    with file_lock(path, wait=False) as after:
        assert after


def test_shared_locks_share_and_keep_an_exclusive_one_out(tmp_path):
    path = tmp_path / "index-write.lock"
    with file_lock(path, shared=True) as first, file_lock(path, shared=True) as second:
        assert first and second
        with file_lock(path, wait=False) as writer:
            assert writer is False
