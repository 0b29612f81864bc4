"""`khlang verify`, `khlang replicate`: keeping every original whole, in two places."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from indexer.core import default_agent
from schemas.labels import FIXITY_PROBLEM_TH
from service import cli_worker
from service.cli_support import dump, fail, open_core

ORPHANS_EXPLAINED = (
    "  ไฟล์ไม่มีเจ้าของคือไฟล์ใน objects/ ที่ไม่มีเอกสารใดอ้างถึง มักเกิดเมื่อระบบหยุดระหว่างเก็บไฟล์"
    "กับบันทึกข้อมูล: นำเข้าไฟล์ต้นฉบับนั้นอีกครั้ง ระบบจะรับไฟล์นี้เป็นของเอกสาร หรือย้ายออกถ้าไม่ต้องการ; "
    "ไฟล์ที่อยู่ผิดที่ไม่ใช่ไฟล์ของคลัง ให้ย้ายออกจาก objects/\n"
    "  (An orphan is a file in objects/ that no document refers to, usually left by a crash "
    "between storing and recording: ingest the original file again and it is adopted, or "
    "move it out if it is not wanted. A misplaced file, outside the objects/ab/cd/<sha256> "
    "layout, is not an object: move it out of objects/.)"
)

COPIES_EXPLAINED = (
    "  สำเนาที่ค้นหาได้สร้างจากต้นฉบับได้เสมอ ไม่นับเป็นความเสียหาย: สั่ง khlang verify --rebuild-copies "
    "หรือ khlang derive searchable --all --missing-only เพื่อสร้างใหม่\n"
    "  (A searchable copy is derived from its original and can always be made again, so a "
    "missing one fails nothing: run khlang verify --rebuild-copies or khlang derive "
    "searchable --all --missing-only.)"
)

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


def parse_duration(value: str | None) -> float | None:
    """Seconds from "30m", "2h", "1h30m", "90s" or "90"."""
    if value is None:
        return None
    match = _DURATION.match(value.strip().lower())
    if not value.strip() or not match or not any(match.groups()):
        raise click.BadParameter(
            f"{value!r} ไม่ใช่ระยะเวลา ใช้เช่น 30m, 2h, 1h30m (not a duration: e.g. 30m, 2h, 1h30m)"
        )
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _print_verify(report: dict) -> None:
    click.echo(
        f"ตรวจแล้ว {report['checked']} จาก {report['total']} เอกสาร "
        f"(checked {report['checked']} of {report['total']} documents)"
    )
    for entry in report["missing"]:
        click.echo(
            f"  {FIXITY_PROBLEM_TH['missing']} (missing): เอกสาร #{entry['document_id']} {entry['filename']} "
            f"{entry['path']}"
        )
    for entry in report["corrupt"]:
        click.echo(
            f"  {FIXITY_PROBLEM_TH['corrupt']} (corrupt): เอกสาร #{entry['document_id']} {entry['filename']} "
            f"{entry['path']} {entry.get('reason', '')}"
        )
    for entry in report["repaired"]:
        click.echo(
            f"  ซ่อมแล้ว (repaired, was {entry['was']}): เอกสาร #{entry['document_id']} "
            f"{entry['filename']} {entry['path']} ← {entry['from']}"
        )
    for entry in report["orphans"]:
        where = " อยู่ผิดที่ (misplaced)" if entry["misplaced"] else ""
        click.echo(f"  {FIXITY_PROBLEM_TH['orphans']} (orphan){where}: {entry['path']}")
    if report["orphans"]:
        click.echo(ORPHANS_EXPLAINED)
    for entry in report["copies_missing"]:
        click.echo(
            f"  สำเนาที่ค้นหาได้หาย (searchable copy missing): เอกสาร #{entry['document_id']} "
            f"{entry['filename']}"
        )
    if report["copies_missing"]:
        click.echo(COPIES_EXPLAINED)
    if not report["events_recorded"]:
        click.echo(
            "  บันทึกผลการตรวจลงฐานข้อมูลไม่ได้ เพราะพื้นที่ดิสก์เต็ม "
            "(the results could not be recorded: the disk is full)"
        )
    if not report["complete"]:
        click.echo(
            "  รอบนี้ตรวจไม่ครบ รอบถัดไปจะตรวจเอกสารที่ยังไม่ได้ตรวจนานที่สุดก่อน "
            "(a partial run: the next one starts with the least recently checked)"
        )
    click.echo("ผ่าน (ok)" if report["ok"] else "ไม่ผ่าน (FAILED)")


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--json", "as_json", is_flag=True)
    @click.option(
        "--max-objects",
        type=click.IntRange(1),
        help="ตรวจไม่เกินจำนวนนี้ (check at most N objects, least recently checked first)",
    )
    @click.option(
        "--max-duration",
        help="หยุดเมื่อครบเวลานี้ เช่น 30m (stop starting new checks after this long, e.g. 30m)",
    )
    @click.option("--queue", is_flag=True, help="ให้ worker ทำ (run it on a worker: cluster mode)")
    @click.option(
        "--rebuild-copies",
        is_flag=True,
        help="สร้างสำเนาที่ค้นหาได้ที่หายขึ้นใหม่ด้วย OCR (make missing searchable copies of "
        "scans again, by OCR: 5-10 s a page)",
    )
    @click.pass_context
    def verify(ctx, as_json, max_objects, max_duration, queue, rebuild_copies):
        """ตรวจความถูกต้องของไฟล์ต้นฉบับ (re-hash preserved objects, both copies with a
        replica, and repair a bad copy from the good one; name scans whose searchable copy
        is missing). Exit status 1 on any failure."""
        from indexer.preserve.fixity import verify as run_verify

        max_seconds = parse_duration(max_duration)
        if queue and rebuild_copies:
            fail(
                "--rebuild-copies ใช้กับ --queue ไม่ได้ ให้สั่ง khlang derive searchable บนเครื่องนี้ "
                "(--rebuild-copies does not go with --queue: run khlang derive searchable here)"
            )
        if queue:
            cli_worker.queue_maintenance("verify", max_objects=max_objects, max_seconds=max_seconds)
        core = open_core(ctx)
        report = run_verify(
            core, agent=default_agent(), max_objects=max_objects, max_seconds=max_seconds
        )
        if rebuild_copies:
            report["copies_rebuilt"] = _rebuild_missing(core, report, printing=not as_json)
        if as_json:
            dump(report)
        else:
            _print_verify(report)
        failed = any(e["outcome"] == "failed" for e in report.get("copies_rebuilt", []))
        sys.exit(0 if report["ok"] and not failed else 1)

    def _rebuild_missing(core, report: dict, *, printing: bool) -> list[dict]:
        """Make the copies the run found missing again; each outcome printed as it comes."""
        from indexer.preserve.searchable_rebuild import rebuild_copies
        from service.cli_derive import print_outcome

        ids = [entry["document_id"] for entry in report["copies_missing"]]
        outcomes = []
        for entry in rebuild_copies(core, ids, agent=default_agent()):
            outcomes.append(entry.as_dict())
            if printing:
                print_outcome(entry)
        mended = {e["document_id"] for e in outcomes if e["outcome"] == "rebuilt"}
        # the run's report names only what is still missing
        report["copies_missing"] = [
            e for e in report["copies_missing"] if e["document_id"] not in mended
        ]
        return outcomes

    @main.command()
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--progress/--no-progress", default=None, help="แถบความคืบหน้า (progress bar)")
    @click.pass_context
    def replicate(ctx, as_json, progress):
        """ทำสำเนาที่สองให้ครบ (copy every not-yet-replicated original to KHLANG_REPLICA)."""
        from indexer.preserve.replication import catch_up, not_yet_replicated

        core = open_core(ctx)
        if core.replica is None:
            fail("ยังไม่ได้ตั้ง KHLANG_REPLICA (KHLANG_REPLICA is not set)")
        if progress is None:
            progress = not as_json and sys.stderr.isatty()
        if progress:
            total = len(not_yet_replicated(core))
            with click.progressbar(
                length=total, label="ทำสำเนา (replicating)", file=sys.stderr
            ) as bar:
                report = catch_up(
                    core, agent=default_agent(), progress=lambda done, total: bar.update(1)
                )
        else:
            report = catch_up(core, agent=default_agent())
        if as_json:
            dump(report)
        else:
            click.echo(
                f"ทำสำเนาแล้ว {report['replicated']} ไฟล์ (replicated {report['replicated']} files)"
            )
            for entry in report["pending"]:
                click.echo(
                    f"  ยังทำสำเนาไม่ได้ (not yet replicated): เอกสาร #{entry['document_id']} "
                    f"{entry['filename']}"
                )
        sys.exit(0 if report["ok"] else 1)

    @main.group("export")
    def export_group() -> None:
        """ส่งออกข้อมูล (export)."""

    @export_group.command("bag")
    @click.argument("directory", type=click.Path(file_okay=False))
    @click.option("--fiscal-year", type=int, help="ปีงบประมาณ พ.ศ. (fiscal year, B.E.)")
    @click.option("--project", help="ชื่อหรือรหัสโครงการ (project name or code)")
    @click.option("--item", "item_code", help="รหัสรายการในบัญชี (inventory item code)")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def export_bag(ctx, directory, fiscal_year, project, item_code, as_json):
        """เขียนแพ็กเกจ BagIt ของต้นฉบับ ข้อมูล และประวัติ (write a BagIt bag of the
        originals, their metadata and provenance, for another office)."""
        from indexer.preserve.bags import BagError
        from indexer.preserve.bags import export_bag as run_export

        core = open_core(ctx)
        try:
            report = run_export(
                core,
                Path(directory),
                agent=default_agent(),
                fiscal_year=fiscal_year,
                project=project,
                item_code=item_code,
            )
        except BagError as exc:
            fail(str(exc))
        if as_json:
            dump(report)
        else:
            click.echo(
                f"ส่งออก {report['documents']} เอกสาร ไปที่ {report['bag']} "
                f"(exported {report['documents']} documents to {report['bag']})"
            )

    @main.group("import")
    def import_group() -> None:
        """นำเข้าข้อมูล (import)."""

    @import_group.command("bag")
    @click.argument("directory", type=click.Path(file_okay=False, exists=True))
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def import_bag(ctx, directory, as_json):
        """นำเข้าแพ็กเกจ BagIt จากคลังอื่น ตรวจ manifest ก่อน (restore a bag from another
        installation, verified against its manifests)."""
        from indexer.preserve.bags import BagError
        from indexer.preserve.bags import import_bag as run_import

        core = open_core(ctx)
        try:
            report = run_import(core, Path(directory), agent=default_agent())
        except BagError as exc:
            fail(str(exc))
        if as_json:
            dump(report)
        else:
            click.echo(
                f"นำเข้า {report['imported']} เอกสาร ซ้ำ {len(report['duplicates'])} "
                f"(imported {report['imported']} documents, "
                f"{len(report['duplicates'])} already here)"
            )

    @main.command("backup")
    @click.argument("directory", type=click.Path(file_okay=False))
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def backup_command(ctx, directory, as_json):
        """สำรองฐานข้อมูล ต้นฉบับ และการตั้งค่า ขณะระบบทำงานอยู่ได้ (back up the database,
        the originals and the settings; safe while the service runs)."""
        from indexer.preserve.backup import BackupError, backup

        core = open_core(ctx)
        try:
            report = backup(core, Path(directory))
        except BackupError as exc:
            fail(str(exc))
        if as_json:
            dump(report)
        else:
            click.echo(
                f"สำรอง {report['documents']} เอกสาร ไว้ที่ {report['backup']} "
                f"(backed up {report['documents']} documents to {report['backup']})"
            )

    @main.command("restore")
    @click.argument("directory", type=click.Path(file_okay=False, exists=True))
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def restore_command(ctx, directory, as_json):
        """กู้คืนจากโฟลเดอร์สำรองลงโฟลเดอร์ข้อมูลที่ว่าง แล้วสร้างดัชนีใหม่ (restore a backup
        into an empty data directory and rebuild the search index)."""
        from indexer.preserve.backup import BackupError, restore
        from schemas.config import ConfigError, Settings

        try:
            settings = Settings.load(ctx.obj.get("data_dir"))
            report = restore(settings, Path(directory), agent=default_agent())
        except (BackupError, ConfigError) as exc:
            fail(str(exc))
        if as_json:
            dump(report)
        else:
            click.echo(
                f"กู้คืน {report['documents']} เอกสาร ไปที่ {report['restored']} "
                f"(restored {report['documents']} documents to {report['restored']})"
            )
