"""`khlang inventory ...`, `khlang link`, `khlang unlink` and `khlang gaps`: the inventory of
expected deliverables, linking documents to it, and the gap report (seed 000)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from indexer.core import default_agent
from service.cli_support import dump, fail, open_core


def _fiscal_year(value: str | None) -> int:
    from indexer.inventory.gaps import today_in_thailand
    from indexer.inventory.items import parse_fiscal_year
    from indexer.thai.dates import fiscal_year_of

    if not value:
        return fiscal_year_of(today_in_thailand())
    year = parse_fiscal_year(value)
    if year is None:
        fail(f"ปีงบประมาณไม่ถูกต้อง: {value} (invalid fiscal year; e.g. 2562 or ๒๕๖๒)")
    return year


def _date(value: str | None) -> dt.date | None:
    from indexer.thai.dates import parse_thai_date

    if not value:
        return None
    parsed = parse_thai_date(value)
    if parsed is None:
        fail(f"อ่านวันที่ไม่ได้: {value} (unreadable date; e.g. ๓๑ ต.ค. ๒๕๖๒ or 2019-10-31)")
    return parsed


@click.group()
def inventory() -> None:
    """บัญชีรายละเอียดทรัพยากร/ผลลัพธ์ (the inventory of expected deliverables)."""


@inventory.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--strict", is_flag=True, help="นำเข้าทั้งหมดหรือไม่นำเข้าเลย (all or nothing)")
@click.option(
    "--prune",
    is_flag=True,
    help="ยกเลิกรายการของโครงการในไฟล์ที่ไฟล์ไม่มีแล้ว (retire the file's projects' items "
    "it no longer lists)",
)
@click.option("--submitted-by", help="ผู้ส่งบัญชี (who delivered the list); default: OS user")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_cmd(ctx, file, strict, prune, submitted_by, as_json):
    """นำเข้าบัญชีจากไฟล์ XLSX หรือ CSV (import an inventory from XLSX or CSV)."""
    from indexer.inventory.items import InventoryFileError, import_inventory

    core = open_core(ctx)
    try:
        result = import_inventory(
            core, file, strict=strict, prune=prune, agent=submitted_by or default_agent()
        )
    except InventoryFileError as exc:
        if as_json:
            dump({"filename": Path(file).name, "ok": False, "file_error": str(exc)})
        fail(str(exc), 1)
    if as_json:
        dump(result.as_dict())
    else:
        for error in result.errors:
            click.echo(f"ผิดพลาด (error): {error}", err=True)
        for warning in result.warnings:
            click.echo(f"คำเตือน (warning): {warning}", err=True)
        if not result.committed:
            click.echo(
                f"ไม่ได้นำเข้า เพราะมีข้อผิดพลาด {len(result.errors)} จุด "
                f"(nothing imported: {len(result.errors)} errors, --strict)"
            )
        else:
            click.echo(
                f"{result.rows} แถว: เพิ่ม {len(result.created)}, ปรับปรุง {len(result.updated)}, "
                f"ไม่เปลี่ยน {len(result.unchanged)}, ผิดพลาด {len(result.errors)} "
                f"({result.rows} rows: {len(result.created)} created, {len(result.updated)} "
                f"updated, {len(result.unchanged)} unchanged, {len(result.errors)} errors)"
            )
        if result.skipped:
            rows = ", ".join(str(n) for n in result.skipped)
            click.echo(f"ข้ามแถวตัวอย่าง (example rows skipped): {rows}")
        if result.restored:
            click.echo(f"นำรายการที่ยกเลิกไว้กลับมาใช้ (restored): {', '.join(result.restored)}")
        if result.retired:
            click.echo(
                f"ยกเลิกรายการที่ไม่อยู่ในไฟล์นี้ {len(result.retired)} รายการ "
                f"(retired, not in this file): {', '.join(result.retired)}"
            )
        elif result.absent:
            kept = "ไม่ได้ยกเลิก เพราะมีแถวผิดพลาด" if result.prune_skipped else "ยังเก็บไว้"
            click.echo(
                f"รายการเดิม {len(result.absent)} รายการไม่อยู่ในไฟล์นี้ ({kept}; "
                f"not in this file, kept"
                f"{': rows had errors, nothing pruned' if result.prune_skipped else ''}): "
                + ", ".join(result.absent)
            )
    sys.exit(0 if result.ok else 1)


@inventory.command("list")
@click.option("--fiscal-year", help="ปีงบประมาณ พ.ศ. (B.E.)")
@click.option("--project", help="ชื่อโครงการ (part of the project name)")
@click.option("--include-retired", is_flag=True, help="รวมรายการที่ยกเลิกแล้ว (retired too)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_cmd(ctx, fiscal_year, project, include_retired, as_json):
    """แสดงรายการในบัญชี (list inventory items)."""
    from indexer.inventory.items import list_items
    from indexer.inventory.reports import _fit

    core = open_core(ctx)
    year = _fiscal_year(fiscal_year) if fiscal_year else None
    items = list_items(core, year, project=project, include_retired=include_retired)
    if as_json:
        dump(items)
        return
    for item in items:
        click.echo(
            f"{item['code']:<16} {_fit(item['project'], 30)} {_fit(item['activity'] or '', 24)} "
            f"{_fit(item['deliverable'], 28)} {item['received']}/{item['quantity']} "
            f"{item['due_date_th'] or ''}".rstrip()
        )
    click.echo(f"{len(items)} รายการ (items)", err=True)


@inventory.command("retire")
@click.argument("codes", nargs=-1, required=True)
@click.option("--reason", help="เหตุผล เช่น เปลี่ยนชื่อรายการ (why, e.g. renamed)")
@click.option("--submitted-by", help="ผู้ดำเนินการ (who acts); default: OS user")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def retire_cmd(ctx, codes, reason, submitted_by, as_json):
    """ยกเลิกรายการในบัญชี (retire items: they leave the gap report, keep links and history)."""
    from indexer.inventory.items import retire_items

    core = open_core(ctx)
    result = retire_items(core, codes, agent=submitted_by or default_agent(), reason=reason)
    if as_json:
        dump(result)
    else:
        for code in result["retired"]:
            click.echo(f"ยกเลิกรายการ {code} แล้ว (retired)")
        for code in result["already_retired"]:
            click.echo(f"รายการ {code} ถูกยกเลิกไว้ก่อนแล้ว (already retired)")
        for code in result["not_found"]:
            click.echo(f"ไม่พบรายการรหัส {code} (no inventory item with code {code})", err=True)
    sys.exit(1 if result["not_found"] else 0)


@inventory.command("template")
@click.argument("output", type=click.Path(dir_okay=False))
def template_cmd(output):
    """บันทึกแบบฟอร์มบัญชี XLSX (write the XLSX template staff fill in)."""
    from indexer.inventory.items import template_xlsx

    Path(output).write_bytes(template_xlsx())
    click.echo(f"บันทึกแบบฟอร์มแล้ว (template written): {output}")


@inventory.command("deadlines")
@click.argument("fiscal_year")
@click.option("--inventory-to-dsss", help="กำหนดส่งบัญชีให้เจ้าหน้าที่ DSSS เช่น '๓๑ ต.ค. ๒๕๖๒'")
@click.option("--dsss-to-cluster", help="กำหนดเจ้าหน้าที่ DSSS ส่งให้กลุ่มจังหวัด เช่น '๖ พ.ย. ๒๕๖๒'")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def deadlines_cmd(ctx, fiscal_year, inventory_to_dsss, dsss_to_cluster, as_json):
    """แสดงหรือตั้งกำหนดเวลาของกระบวนการ (show or set the process deadlines of a year)."""
    from indexer.inventory.items import process_deadlines, set_process_deadlines
    from indexer.inventory.reports import DEADLINE_TH, thai_date

    core = open_core(ctx)
    year = _fiscal_year(fiscal_year)
    if inventory_to_dsss or dsss_to_cluster:
        data = set_process_deadlines(
            core,
            year,
            inventory_to_dsss=_date(inventory_to_dsss),
            dsss_to_cluster=_date(dsss_to_cluster),
        )
    else:
        data = process_deadlines(core, year)
    if as_json:
        dump(data)
        return
    for name in ("inventory_to_dsss", "dsss_to_cluster"):
        source = "ตั้งไว้" if data["configured"][name] else "ค่าเริ่มต้น"
        click.echo(f"{DEADLINE_TH[name]}: {thai_date(data[name])} ({source})")


@inventory.command("suggest")
@click.argument("document_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def suggest_cmd(ctx, document_id, as_json):
    """รายการที่เอกสารนี้น่าจะตรงกับ (inventory items this document may fulfil)."""
    from indexer.inventory.suggest import suggest_items

    core = open_core(ctx)
    suggestions = suggest_items(core, document_id)
    if as_json:
        dump([s.as_dict() for s in suggestions])
        return
    if not suggestions:
        click.echo("ไม่พบรายการที่ตรงกัน (no matching items)")
    for s in suggestions:
        click.echo(f"{s.score:.2f}  {s.code}  {s.project} / {s.activity or '-'} / {s.deliverable}")
        for reason in s.reasons:
            click.echo(f"        {reason}")


def _link_command(name: str, *, remove: bool):
    @click.command(name)
    @click.argument("document_id", type=int)
    @click.argument("code")
    @click.option("--submitted-by", "agent", help="ผู้ดำเนินการ (who acts); default: OS user")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def command(ctx, document_id, code, agent, as_json):
        from indexer.inventory.items import confirm_link, link, unlink
        from schemas.models import DocumentLink

        core = open_core(ctx)
        agent = agent or default_agent()
        try:
            if remove:
                done = unlink(core, document_id, code, agent=agent)
                data = {"document_id": document_id, "code": code, "unlinked": done}
                message = (
                    f"ยกเลิกการเชื่อมโยงเอกสาร #{document_id} กับ {code} แล้ว (unlinked)"
                    if done
                    else f"เอกสาร #{document_id} ไม่ได้เชื่อมโยงกับ {code} (was not linked)"
                )
            else:
                from sqlalchemy import select

                from indexer.inventory.items import get_item

                with core.sessions() as session:
                    item = get_item(session, code)
                    current = item and session.scalar(
                        select(DocumentLink.method).where(
                            DocumentLink.document_id == document_id,
                            DocumentLink.item_id == item.id,
                            DocumentLink.active.is_(True),
                        )
                    )
                # Linking what the system suggested is staff confirming it.
                if current == "suggested":
                    data = confirm_link(core, document_id, code, agent=agent)
                else:
                    data = link(core, document_id, code, agent=agent)
                message = f"เชื่อมโยงเอกสาร #{document_id} กับ {data['code']} แล้ว ({data['method']})"
        except (LookupError, ValueError) as exc:  # unknown; a bundle or a retired item
            fail(str(exc), 1)
        if as_json:
            dump(data)
        else:
            click.echo(message)

    command.help = (
        "ยกเลิกการเชื่อมโยงเอกสารกับรายการ (unlink a document from an inventory item)."
        if remove
        else "เชื่อมโยงเอกสารกับรายการในบัญชี (link a document to an inventory item; "
        "confirms a suggested link)."
    )
    return command


@click.command("gaps")
@click.option("--fiscal-year", help="ปีงบประมาณ พ.ศ. (default: the current one)")
@click.option("--cluster", help="กลุ่มจังหวัด")
@click.option("--province", help="จังหวัด")
@click.option("--agency", help="หน่วยงานเจ้าภาพ")
@click.option("--project", help="โครงการ (name or code)")
@click.option("--as-of", help="ณ วันที่ เช่น '๑ ธ.ค. ๒๕๖๒' (default: today)")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx", "html"]), default="table"
)
@click.option("--json", "as_json", is_flag=True, help="เหมือน --format json")
@click.option("--output", type=click.Path(dir_okay=False), help="บันทึกลงไฟล์ (write to FILE)")
@click.option(
    "--digits",
    type=click.Choice(["thai", "arabic"]),
    help="ตัวเลขไทยหรืออารบิกใน XLSX (default: the office's setting)",
)
@click.pass_context
def gaps(ctx, fiscal_year, cluster, province, agency, project, as_of, fmt, as_json, output, digits):
    """รายงานรายการที่ยังขาดและเกินกำหนด (gap report: missing, overdue, unexpected)."""
    from indexer.inventory import reports
    from indexer.inventory.gaps import gap_report

    core = open_core(ctx)
    params = {
        "fiscal_year": _fiscal_year(fiscal_year),
        "cluster": cluster,
        "province": province,
        "agency": agency,
        "project": project,
        "as_of": _date(as_of),
    }
    report = gap_report(core, **params)
    if as_json:
        fmt = "json"
    if fmt == "json":
        data = json.dumps(report, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    elif fmt == "csv":
        data = reports.gaps_csv(report)
    elif fmt == "xlsx":
        if not output:
            fail("--format xlsx ต้องใช้คู่กับ --output FILE (xlsx needs --output)")
        from indexer.inventory.report_settings import report_digits

        data = reports.gaps_xlsx(report, digits=report_digits(core, digits))
    elif fmt == "html":
        from service.pages.gaps import gaps_print_page

        data = gaps_print_page(core, report, params).encode("utf-8")
    else:
        data = reports.gaps_text(report).encode("utf-8")
    if output:
        Path(output).write_bytes(data)
        click.echo(f"บันทึกรายงานแล้ว (written): {output}", err=True)
    else:
        click.echo(data.decode("utf-8-sig"), nl=False)


def register(main: click.Group) -> None:
    main.add_command(inventory)
    main.add_command(_link_command("link", remove=False))
    main.add_command(_link_command("unlink", remove=True))
    inventory.add_command(_link_command("link", remove=False))
    inventory.add_command(_link_command("unlink", remove=True))
    main.add_command(gaps)
