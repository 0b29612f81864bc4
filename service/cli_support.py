"""What every `khlang` command module shares: opening the core, printing JSON, failing with
a message. Thai first, with English in brackets, because the operators work in Thai."""

from __future__ import annotations

import json
import sys

import click

from indexer.core import Khlang


def dump(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fail(message: str, code: int = 2):
    click.echo(f"ข้อผิดพลาด: {message}", err=True)
    sys.exit(code)


def open_core(ctx: click.Context, *, init: bool = True) -> Khlang:
    from schemas.config import ConfigError, check_environment

    try:
        # Every setting, also those read later (where files are read, in workers): a bad
        # value is said here, once, before anything runs.
        check_environment()
        core = Khlang.open(ctx.obj.get("data_dir"))
    except ConfigError as exc:
        fail(str(exc))
    if init:
        # Creating/upgrading is idempotent and cheap; doing it here means a new data
        # directory just works and an old one is migrated before anything touches it.
        core.init()
    ctx.call_on_close(core.dispose)
    return core
