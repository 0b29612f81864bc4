"""`khlang`: the operators' command line, a thin layer over the same core as the web service.

Scripts outside the project depend on the command names, options and JSON keys here.
Messages are Thai first, with English in brackets, because the operators work in Thai.
"""

from __future__ import annotations

import io
import os
import sys
import time

import click

from indexer.core import default_agent
from schemas.labels import INGEST_STATUS_TH as STATUS_TH
from service import cli_accounts, cli_derive, cli_inventory, cli_preservation, cli_worker
from service.cli_support import dump, fail, open_core


@click.group()
@click.option(
    "--data-dir",
    envvar="KHLANG_DATA_DIR",
    type=click.Path(file_okay=False),
    help="โฟลเดอร์ข้อมูล (data directory; default ./data)",
)
@click.pass_context
def main(ctx: click.Context, data_dir: str | None) -> None:
    """คลัง (Khlang): จัดเก็บและค้นหาผลลัพธ์โครงการกลุ่มจังหวัด."""
    ctx.obj = {"data_dir": data_dir}


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """สร้างหรือปรับรุ่นโฟลเดอร์ข้อมูลและฐานข้อมูล (create or upgrade the data directory)."""
    core = open_core(ctx)
    # Staging files of writers killed more than an hour ago were never acknowledged.
    core.store.clean_tmp()
    click.echo(f"พร้อมใช้งาน (ready): {core.settings.data_dir}")


@main.command("settings")
@click.option("--json", "as_json", is_flag=True, help="พิมพ์ผลเป็น JSON")
def show_settings(as_json: bool) -> None:
    """แสดงค่าที่ตั้งไว้ทั้งหมด (every KHLANG_* setting: its value here and its default)."""
    from schemas.config import ConfigError, check_environment, current_values

    rows = current_values()
    if as_json:
        dump([{"name": n, "value": v, "default": d} for n, v, d in rows])
    else:
        for name, value, shown in rows:
            click.echo(f"{name:<38} {value or '-':<24} (ค่าเริ่มต้น default: {shown.replace('`', '')})")
    try:
        check_environment()
    except ConfigError as exc:
        fail(str(exc))


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--item", "item_code", help="รหัสรายการในบัญชี (inventory item code) to link")
@click.option("--submitted-by", help="ผู้ส่ง (who delivered the files); default: OS user")
@click.option("--json", "as_json", is_flag=True, help="พิมพ์ผลเป็น JSON")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="แถบความคืบหน้าทาง stderr (progress bar on stderr; default: when stderr is a "
    "terminal and without --json)",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=lambda: os.cpu_count() or 1,
    show_default="number of CPUs",
    help="กระบวนการที่อ่านไฟล์ล่วงหน้า (processes preparing files ahead, for big batches)",
)
@click.pass_context
def ingest(ctx, paths, item_code, submitted_by, as_json, progress, workers):
    """นำเข้าไฟล์ โฟลเดอร์ หรือไฟล์ ZIP (ingest files, folders and ZIP bundles)."""
    from indexer.ingest import job_runner

    core = open_core(ctx)
    agent = submitted_by or default_agent()
    started = time.monotonic()
    if progress is None:
        progress = not as_json and sys.stderr.isatty()
    bar = _IngestProgress(enabled=progress)
    try:
        results = job_runner(core).run(
            paths, agent=agent, item_code=item_code, progress=bar, workers=workers
        )
    except LookupError as exc:  # no such item, or a retired one: the message says which
        fail(str(exc))
    bar.close()
    if as_json:
        dump([r.as_dict() for r in results])
    else:
        for r in results:
            line = f"{STATUS_TH[r.status]:<22} {r.document_id or '-':>6}  {r.path}"
            if r.error:
                line += f"\n{'':29}{r.error}"
            click.echo(line)
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUS_TH}
    elapsed = time.monotonic() - started
    click.echo(
        f"{len(results)} ไฟล์: นำเข้า {counts['ingested']}, ซ้ำ {counts['duplicate']}, "
        f"ไม่มีข้อความ {counts['stored-without-text']}, ปฏิเสธ {counts['rejected']} "
        f"({len(results)} files: {counts['ingested']} ingested, {counts['duplicate']} duplicate, "
        f"{counts['stored-without-text']} without text, {counts['rejected']} rejected; "
        f"{elapsed:.1f} s)",
        err=True,
    )
    sys.exit(0 if all(r.ok for r in results) else 1)


class _Drawn(io.TextIOBase):
    """stderr, said to be a terminal: click draws a progress bar only on one, and
    ``--progress`` asks for it also when stderr is a file or a pipe."""

    def __init__(self, stream):
        self.stream = stream

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


class _IngestProgress:
    """click's progress bar on stderr: files done of total, the rate, and the file being
    worked on. The total grows as bundles are opened (their members join it)."""

    def __init__(self, enabled: bool):
        self.started = time.monotonic()
        self.bar = click.progressbar(
            length=0,
            hidden=not enabled,
            file=_Drawn(sys.stderr),
            color=False,  # no cursor hiding: the output may be a file
            width=24,
            empty_char=".",
            bar_template="[%(bar)s] %(info)s",
            info_sep=" ",
            show_pos=True,
            show_percent=False,
            show_eta=False,
            item_show_func=self._rate_and_name,
        )

    def _rate_and_name(self, name: str | None) -> str:
        rate = self.bar.pos / max(time.monotonic() - self.started, 1e-6)
        return f"{rate:5.1f} ไฟล์/วินาที  {name or '':<40}"

    def set_total(self, total: int) -> None:
        self.bar.length = total

    def add_total(self, count: int) -> None:
        self.bar.length += count
        self.bar.render_progress()

    def start(self, path: str) -> None:
        self.bar.current_item = path
        self.bar.render_progress()

    def __call__(self, result) -> None:
        self.bar.length = max(self.bar.length, self.bar.pos + 1)
        self.bar.update(1)

    def close(self) -> None:
        # A plain new line (click's own ending would add an escape code to show the
        # cursor it did not hide).
        if self.bar.pos and not self.bar.hidden:
            click.echo("", err=True)


@main.command()
@click.argument("document_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, document_id, as_json):
    """แสดงเอกสาร ข้อความ และประวัติ (show a document with its text and provenance)."""
    from indexer.records.documents import document_as_dict
    from schemas.models import Document

    core = open_core(ctx)
    with core.sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            fail(f"ไม่พบเอกสารหมายเลข {document_id} (no document {document_id})", 1)
        data = document_as_dict(session, document)
    if as_json:
        dump(data)
        return
    click.echo(f"เอกสาร #{data['document_id']}: {data['title']}")
    for label, key in [
        ("ชื่อไฟล์", "filename"),
        ("ชนิด", "mime"),
        ("หมวด", "category"),
        ("ประเภท", "kind"),
        ("ปีงบประมาณ", "fiscal_year"),
        ("ขนาด", "size"),
        ("sha256", "sha256"),
    ]:
        click.echo(f"  {label}: {data[key]}")
    click.echo("  ประวัติ (provenance):")
    for event in data["provenance"]:
        click.echo(
            f"    {event['at']}  {event['event']:<16} {event['outcome']:<10} {event['agent']}"
        )
    click.echo("")
    click.echo(data["text"][:3000])


@main.command()
@click.option("--if-needed", is_flag=True, help="เฉพาะที่ขาดหรือล้าสมัย (only missing/stale)")
@click.option("--queue", is_flag=True, help="ให้ worker ทำ (run it on a worker: cluster mode)")
@click.pass_context
def reindex(ctx, if_needed, queue):
    """สร้างดัชนีค้นหาใหม่จากฐานข้อมูล (rebuild the search index from the database)."""
    from indexer.ingest.indexing import reindex as run_reindex

    if queue:
        cli_worker.queue_maintenance("reindex", if_needed=if_needed)
    core = open_core(ctx)
    with click.progressbar(length=1, label="ทำดัชนี (indexing)", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        result = run_reindex(core, if_needed=if_needed, agent=default_agent(), progress=progress)
    click.echo(
        f"ทำดัชนีแล้ว {result['documents']} เอกสาร ({result['mode']}: "
        f"{result['documents']} documents indexed)"
    )


NO_SPACE_TO_SEARCH = (
    "พื้นที่ดิสก์ของคลังเต็ม จึงเปิดดัชนีค้นหาไม่ได้ ให้เพิ่มพื้นที่แล้วค้นหาอีกครั้ง "
    "(no space left on the archive's disk to open the search index; free some space)"
)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance")
@click.option(
    "--all",
    "match_all",
    is_flag=True,
    help="ทุกคำแบบเคร่งครัด: ข้อความไทยที่ติดกันคือวลีเดียว "
    "(strict: each unbroken Thai run is one phrase; documents with all of them first)",
)
@click.option(
    "--any",
    "match_any",
    is_flag=True,
    hidden=True,
    help="the former any-words mode, now the default: kept for scripts",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(ctx, query, limit, offset, sort, match_all, match_any, as_json):
    """ค้นหาเอกสารเป็นภาษาไทย (search in Thai; same JSON as GET /api/search).

    By default: documents with the query verbatim first (ตรงทั้งวลี), then those with every
    content word (มีครบทุกคำ), then those with some (มีบางคำ). The words of QUERY may be
    given as separate arguments; one starting with '-' (an exclusion, -ลำปาง or
    -province:ลำปาง) is part of the query, not an option; +คำ must occur."""
    from indexer.records.documents import mark_ocr_review
    from indexer.runtime.diskspace import is_no_space
    from indexer.search.errors import IndexDamaged
    from schemas.labels import MATCH_TIER_TH as TIER_LABELS

    core = open_core(ctx)
    text = " ".join(query)
    try:
        result = core.search_backend.search(
            text,
            limit=limit,
            offset=offset,
            sort=sort,
            match="all" if match_all and not match_any else "default",
        ).as_dict()
        with core.sessions() as session:
            mark_ocr_review(session, result["hits"])
    except OSError as exc:
        if not is_no_space(exc):
            raise
        fail(f"{NO_SPACE_TO_SEARCH} ({exc})", 4)
    except IndexDamaged as exc:
        fail(
            "ดัชนีค้นหาเสียหายหรือยังสร้างไม่เสร็จ ตอบไม่ได้ ให้สั่ง khlang reindex --if-needed "
            f"(the search index cannot answer: {exc}; run khlang reindex --if-needed)",
            3,
        )
    if as_json:
        dump(result)
        return
    click.echo(f"พบ {result['total']} เอกสาร (found {result['total']})")
    for hit in result["hits"]:
        tier = TIER_LABELS.get(hit.get("match"), "")
        click.echo(f"#{hit['document_id']:<6} {hit['score']:7.2f}  {tier:<12}{hit['title']}")
        snippet = _strip_marks(hit.get("snippet") or "")
        if snippet:
            click.echo(f"{'':16}{snippet[:200]}")
        if hit["ocr_review"]:
            pages = ", ".join(map(str, hit["ocr_review"]["pages"]))
            click.echo(
                f"{'':16}ตรวจทาน: ข้อความจากการสแกนอาจไม่ถูกต้อง (หน้า {pages}) "
                f"(review: text read from a scan may be wrong, page {pages})"
            )
    if not result["hits"] and result.get("suggestion"):
        click.echo(f"หรือหมายถึง (did you mean): {result['suggestion']}")
    if not result["hits"] and match_all:
        click.echo(
            "ลองค้นโดยไม่ใส่ --all เพื่อหาเอกสารที่มีบางคำ "
            "(try without --all: documents with some of the words)"
        )


def _strip_marks(snippet: str) -> str:
    """Terminal output: the <mark> highlights become brackets, entities plain text."""
    import html

    return html.unescape(snippet.replace("<mark>", "[").replace("</mark>", "]"))


cli_inventory.register(main)
cli_accounts.register(main)
cli_preservation.register(main)
cli_derive.register(main)
cli_worker.register(main)


def _set_data_dir(ctx: click.Context, _param, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(dict)["data_dir"] = value


def _accept_data_dir_everywhere(group: click.Group) -> None:
    """`khlang ingest --data-dir X` works as well as `khlang --data-dir X ingest`."""
    for command in group.commands.values():
        command.params.append(
            click.Option(
                ["--data-dir"],
                type=click.Path(file_okay=False),
                expose_value=False,
                callback=_set_data_dir,
                help="โฟลเดอร์ข้อมูล (data directory), as before the command",
            )
        )
        if isinstance(command, click.Group):
            _accept_data_dir_everywhere(command)


_accept_data_dir_everywhere(main)


if __name__ == "__main__":
    main()
