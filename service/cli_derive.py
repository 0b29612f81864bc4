"""`khlang derive searchable`: making scans' searchable copies again from their originals."""

from __future__ import annotations

import sys

import click

from indexer.core import default_agent
from service.cli_support import dump, fail, open_core

OUTCOME_TH = {"rebuilt": "สร้างใหม่แล้ว", "skipped": "ข้าม", "failed": "ไม่สำเร็จ"}


def print_outcome(entry) -> None:
    what = f"{OUTCOME_TH[entry.outcome]} ({entry.outcome}): เอกสาร #{entry.document_id}"
    if entry.filename:
        what += f" {entry.filename}"
    if entry.outcome == "rebuilt":
        what += f", {entry.pages} หน้ามีข้อความ (pages with text) sha256 {entry.sha256[:12]}…"
    else:
        what += f": {entry.reason}"
    click.echo(what)


def register(main: click.Group) -> None:
    @main.group("derive")
    def derive_group() -> None:
        """สร้างไฟล์ที่ได้จากต้นฉบับใหม่ (make derived files again from the originals)."""

    @derive_group.command("searchable")
    @click.argument("document_ids", nargs=-1, type=click.IntRange(1))
    @click.option(
        "--all", "every_scan", is_flag=True, help="ทุกเอกสารสแกน (every document read by OCR)"
    )
    @click.option(
        "--missing-only",
        is_flag=True,
        help="เฉพาะที่ยังไม่มีสำเนาหรือสำเนาหาย (only where the copy is missing or failed)",
    )
    @click.option("--json", "as_json", is_flag=True, help="พิมพ์ผลเป็น JSON")
    @click.pass_context
    def derive_searchable(ctx, document_ids, every_scan, missing_only, as_json):
        """สร้าง PDF ที่ค้นหาข้อความได้ของเอกสารสแกนใหม่ จากต้นฉบับ ด้วย OCR อีกครั้ง
        (rebuild scans' searchable PDF copies from their originals, OCR'd again: 5-10 s a
        page). Each copy is a new `derived` event; exit status 1 if any document failed."""
        from indexer.preserve.searchable_rebuild import rebuild_copies, scan_ids

        if bool(document_ids) == every_scan:
            fail(
                "ให้ระบุหมายเลขเอกสาร หรือ --all อย่างใดอย่างหนึ่ง "
                "(give document ids or --all, one of the two)"
            )
        core = open_core(ctx)
        ids = scan_ids(core) if every_scan else list(dict.fromkeys(document_ids))
        counts = {"rebuilt": 0, "skipped": 0, "failed": 0}
        entries = []
        for entry in rebuild_copies(core, ids, agent=default_agent(), missing_only=missing_only):
            counts[entry.outcome] += 1
            entries.append(entry.as_dict())
            if not as_json:
                print_outcome(entry)
        if as_json:
            dump(entries)
        click.echo(
            f"{len(ids)} เอกสาร: สร้างใหม่ {counts['rebuilt']}, ข้าม {counts['skipped']}, "
            f"ไม่สำเร็จ {counts['failed']} ({len(ids)} documents: {counts['rebuilt']} rebuilt, "
            f"{counts['skipped']} skipped, {counts['failed']} failed)",
            err=True,
        )
        sys.exit(1 if counts["failed"] else 0)
