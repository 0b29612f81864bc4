"""Process plumbing shared by every job: file locks between the processes of one data
directory, disk-full detection, worker processes that die with their job, and the
documented hold point crash tests kill a process at (``holds``).

Imports only the standard library and ``schemas`` (so, unlike the other subpackages, its
names are imported here directly: nothing in it can import back).
"""

from indexer.runtime.diskspace import NO_SPACE, NOT_YET_SEARCHABLE, is_no_space
from indexer.runtime.holds import hold_at
from indexer.runtime.locks import file_lock
from indexer.runtime.workers import (
    in_job_worker,
    mark_job_worker,
    memory_limit,
    start_worker,
    worker_context,
    worker_pool,
)

__all__ = [
    "NOT_YET_SEARCHABLE",
    "NO_SPACE",
    "file_lock",
    "hold_at",
    "in_job_worker",
    "is_no_space",
    "mark_job_worker",
    "memory_limit",
    "start_worker",
    "worker_context",
    "worker_pool",
]
