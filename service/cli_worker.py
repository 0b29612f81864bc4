"""`khlang worker`: a worker of the cluster mode, ingesting the files of jobs queued on the
message broker (``KHLANG_BROKER_URL``), on this machine or any other that reads the same
database, spool and objects. Start as many as the machines can carry; SIGTERM stops one
gracefully (the files at hand are finished first). ``queue_maintenance`` is what
`khlang reindex --queue` and `khlang verify --queue` do: hand the run to a worker."""

from __future__ import annotations

import os
import sys

import click

from indexer.core import default_agent
from service.cli_support import fail, open_core


@click.command()
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(1, 64),
    default=lambda: os.cpu_count() or 1,
    show_default="number of CPUs",
    help="จำนวนไฟล์ที่ทำพร้อมกัน (files worked on at once: one process each)",
)
@click.option(
    "--queue",
    "-Q",
    envvar="KHLANG_QUEUE",
    help="ชื่อคิว (the queue to consume; default KHLANG_QUEUE or 'khlang')",
)
@click.pass_context
def worker(ctx: click.Context, concurrency: int, queue: str | None) -> None:
    """ทำงานนำเข้าจากคิวของ broker (run the ingestion jobs queued on KHLANG_BROKER_URL)."""
    from indexer.ingest.broker_runner import broker_url, run_worker

    if not broker_url():
        fail(
            "ยังไม่ได้ตั้งค่า KHLANG_BROKER_URL จึงไม่มีคิวให้ทำงาน "
            "(KHLANG_BROKER_URL is not set: there is no queue to work on)"
        )
    core = open_core(ctx)  # creates or upgrades the database before any file is handled
    settings = core.settings
    core.dispose()  # the pool's processes open their own
    run_worker(settings, concurrency=concurrency, queue=queue)


def register(main: click.Group) -> None:
    main.add_command(worker)


def queue_maintenance(what: str, **arguments) -> None:
    """Queue a re-indexing or fixity run for a worker, say so, and end the command."""
    from indexer.ingest.broker_runner import send_maintenance
    from schemas.config import ConfigError

    try:
        message = send_maintenance(what, agent=default_agent(), **arguments)
    except ConfigError as exc:
        fail(str(exc))
    click.echo(f"ส่งเข้าคิวแล้ว (queued for a worker): {what} {message}")
    sys.exit(0)
