"""gunicorn hooks that belong with the code; the Procfile loads them with
``-c python:service.gunicorn_conf`` and keeps the numbers (workers, timeouts, limits).

Upload jobs run in a thread of the worker that received the upload (indexer.ingest.jobs names
them ``khlang-job-<id>``). A worker that leaves on its own, recycled by --max-requests,
finishes those jobs first instead of taking them down with it, and keeps telling the
arbiter it is alive meanwhile, so that --timeout does not kill it for being quiet.
"""

from __future__ import annotations

import os
import threading
import time

JOB_THREAD_PREFIX = "khlang-job-"


def post_worker_init(worker) -> None:
    # gunicorn closes its handle on the heartbeat file before worker_exit: keep one.
    worker.khlang_heartbeat = os.dup(worker.tmp.fileno())


def worker_exit(server, worker) -> None:
    heartbeat = getattr(worker, "khlang_heartbeat", None)  # None in the arbiter
    if heartbeat is None:
        return
    try:
        for thread in threading.enumerate():
            if not thread.name.startswith(JOB_THREAD_PREFIX):
                continue
            server.log.info("worker %s finishes %s before exiting", worker.pid, thread.name)
            while thread.is_alive():
                now = time.monotonic()  # what gunicorn's own heartbeat writes
                os.utime(heartbeat, (now, now))
                thread.join(timeout=1.0)
    finally:
        os.close(heartbeat)
