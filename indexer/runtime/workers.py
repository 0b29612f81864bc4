"""Worker processes for a job, made to die with the job's process.

How they start: forked when the job's process runs a single thread (the CLI), spawned
otherwise (a job in the web service runs beside request threads, and a fork copies their
locks in whatever state they are). A forked worker begins with everything the job's
process has already imported and loaded (libraries, the segmentation dictionary): a
spawned one spends 0.3 to 0.7 s of CPU importing them again, a tenth of the CPU of a
500-file job on two cores. Both kinds of worker are started before any thread of the job
exists: the pool's own threads start after its processes, and the indexing process is a
plain process with a pipe (no thread)."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext

PR_SET_PDEATHSIG = 1  # linux/prctl.h

_in_job_worker = False  # set in a job's worker process (mark_job_worker)


def worker_context() -> BaseContext:
    """How to start this job's workers: fork when this process runs one thread (on Linux),
    else spawn. Ask once, before starting any of them: a started pool runs threads."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def rebuild_procs() -> int:
    """Processes a search rebuild may start by default: 2 on a multi-core machine when this
    process may fork (:func:`worker_context`), else 1 (a spawned worker's imports cost more
    than it would save)."""
    forks = worker_context().get_start_method() == "fork"
    return 2 if (os.cpu_count() or 1) >= 2 and forks else 1


def mark_job_worker() -> None:
    """This process is one of a job's workers (the prefetch pool): work it is handed that
    could start a pool of its own (the pages of a scan) is done in place instead, or two
    prefetch workers with two page workers each would be six processes on two cores."""
    global _in_job_worker
    _in_job_worker = True


def in_job_worker() -> bool:
    return _in_job_worker


def die_with_parent(parent_pid: int) -> None:
    """A worker must not outlive its job's process. When that process is killed (even with
    SIGKILL) Linux sends the worker SIGTERM; elsewhere, nothing."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def limit_memory(max_bytes: int) -> None:
    """Bound this process's address space (RLIMIT_AS) to ``max_bytes``, or to the hard limit
    when that is lower: an allocation past it fails (Python raises MemoryError) instead of
    the machine swapping, and the programs this process starts inherit the bound."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        max_bytes = min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, hard))
    # glibc reserves 64 MB of address space for each thread's malloc arena (up to 8 per
    # core): a multi-threaded program started from here (tesseract runs a thread per core)
    # would pass the bound on a many-core machine without using the memory.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")


def memory_limit() -> int | None:
    """This process's address-space bound in bytes, None when there is none."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def start_worker(
    parent_pid: int,
    initializer: Callable | None = None,
    initargs: tuple = (),
    nice: int = 0,
    memory: int | None = None,
) -> None:
    """What every worker runs first: die with the job, lower its priority by ``nice``, bound
    its address space to ``memory`` bytes, then ``initializer(*initargs)``."""
    die_with_parent(parent_pid)
    if nice:
        os.nice(nice)
    if memory:
        limit_memory(memory)
    if initializer is not None:
        initializer(*initargs)


def worker_pool(
    workers: int,
    context: BaseContext,
    initializer: Callable | None = None,
    initargs: tuple = (),
    *,
    nice: int = 0,
    memory: int | None = None,
) -> ProcessPoolExecutor:
    """``workers`` processes started by ``context`` that die with this one, each first
    running ``initializer(*initargs)`` at ``nice`` lower priority, within ``memory`` bytes
    of address space (see ``limit_memory``)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(), initializer, initargs, nice, memory),
    )
