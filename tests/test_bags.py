"""Issue 20: a project's outputs handed to another office as a BagIt bag that restores
exactly: same documents, hashes, events, links and search results. Through `khlang`."""

from __future__ import annotations

import csv

import bagit
import pytest
from lxml import etree
from sqlalchemy import select

from schemas.models import Document, Event
from tests.test_preservation import Khlang_CLI, make_files

PROJECT = "โครงการส่งเสริมการท่องเที่ยว"
INVENTORY = [
    ["ปีงบประมาณ", "จังหวัด", "โครงการ", "กิจกรรม", "หน่วยงานเจ้าภาพ", "ทรัพยากร/ผลลัพธ์", "จำนวน", "กำหนดส่ง"],
    ["2562", "เชียงใหม่", PROJECT, "กิจกรรมอบรม", "สำนักงานจังหวัดเชียงใหม่", "รายงานสรุปผลการอบรม", "1", "30 ก.ย. 2562"],
    ["2562", "เชียงราย", "โครงการพัฒนาข้อมูล จปฐ.", "กิจกรรมสำรวจ", "สำนักงานพัฒนาชุมชนจังหวัดเชียงราย", "แบบสำรวจข้อมูล", "1", "30 ก.ย. 2562"],
]  # fmt: skip


@pytest.fixture
def office_a(tmp_path, database_env):
    """An archive with four documents, an inventory, and two documents linked to an item
    of the tourism project (on SQLite, and on PostgreSQL where available: the bag then
    travels from PostgreSQL to another office's SQLite)."""
    khlang = Khlang_CLI(tmp_path / "สำนักงาน-ก", database_env)
    results = khlang.json("ingest", *map(str, make_files(tmp_path / "ส่งมอบ", 4)))
    assert all(r["status"] == "ingested" for r in results)
    sheet = tmp_path / "บัญชีทรัพยากร 2562.csv"
    with open(sheet, "w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(INVENTORY)
    assert khlang("inventory", "import", str(sheet)).exit_code == 0
    [item] = khlang.json("inventory", "list", "--project", "ท่องเที่ยว")
    for entry in results[:2]:
        linked = khlang("link", str(entry["document_id"]), item["code"])
        assert linked.exit_code == 0, linked.output
    return khlang, results, item


def _events(core, ignore: str) -> dict[str, list[tuple]]:
    with core.sessions() as session:
        rows = session.execute(
            select(Document.sha256, Event.event_type, Event.at, Event.agent, Event.outcome)
            .join(Document, Document.id == Event.document_id)
            .where(Event.event_type != ignore)
            .order_by(Event.id)
        ).all()
    found: dict[str, list[tuple]] = {}
    for sha256, *event in rows:
        found.setdefault(sha256, []).append(
            (event[0], event[1].replace(tzinfo=None).isoformat(timespec="seconds"), *event[2:])
        )
    return found


def test_a_projects_outputs_round_trip_through_a_bag_into_an_empty_archive(
    office_a, tmp_path, monkeypatch
):
    khlang_a, results, item = office_a
    bag_dir = tmp_path / "ถุงส่งมอบ"

    exported = khlang_a.json("export", "bag", str(bag_dir), "--project", PROJECT)

    assert (exported["documents"], exported["items"]) == (2, 1)
    bag = bagit.Bag(str(bag_dir))
    assert bag.is_valid() and "sha256" in bag.algorithms
    names = sorted(p.name for p in (bag_dir / "data" / "originals").rglob("*") if p.is_file())
    assert names == sorted(r["filename"] for r in results[:2])
    premis = etree.parse(str(next((bag_dir / "data" / "metadata").glob("*.premis.xml"))))
    ns = {"premis": "http://www.loc.gov/premis/v3"}
    assert premis.xpath("count(//premis:event)", namespaces=ns) >= 4
    assert premis.xpath("//premis:messageDigest/text()", namespaces=ns)[0] in {
        r["sha256"] for r in results
    }

    khlang_b = Khlang_CLI(tmp_path / "สำนักงาน-ข", {})
    restored = khlang_b.json("import", "bag", str(bag_dir))

    assert restored["imported"] == 2 and restored["duplicates"] == []
    core_a, core_b = khlang_a.core(monkeypatch), khlang_b.core(monkeypatch)
    with core_a.sessions() as a, core_b.sessions() as b:
        wanted = {r["sha256"] for r in results[:2]}
        docs_a = {d.sha256: d for d in a.scalars(select(Document)) if d.sha256 in wanted}
        docs_b = {d.sha256: d for d in b.scalars(select(Document))}
        assert set(docs_b) == wanted
        for sha256, doc in docs_b.items():
            assert (doc.filename, doc.size, doc.title, doc.text, doc.kind) == (
                docs_a[sha256].filename,
                docs_a[sha256].size,
                docs_a[sha256].title,
                docs_a[sha256].text,
                docs_a[sha256].kind,
            )
            assert core_b.store.check(sha256) == "ok"
            assert [(lk.item.code, lk.active) for lk in doc.links] == [(item["code"], True)]
        imported = b.scalars(select(Event).where(Event.event_type == "imported")).all()
        assert len(imported) == 2
    events_a = {s: e for s, e in _events(core_a, "exported").items() if s in wanted}
    events_b = _events(core_b, "imported")
    # B indexes the new documents itself: its own "indexed" events come after the copies.
    assert {s: [e for e in ev if e[0] != "indexed"] for s, ev in events_b.items()} == {
        s: [e for e in ev if e[0] != "indexed"] for s, ev in events_a.items()
    }
    assert khlang_b.json("verify")["ok"]
    for words in ("รายงานผลการดำเนินโครงการ", "สรุปผลโครงการอบรมเกษตรกร"):
        hits_a = {h["filename"] for h in khlang_a.json("search", words)["hits"]}
        hits_b = {h["filename"] for h in khlang_b.json("search", words)["hits"]}
        assert hits_b and hits_b == hits_a & {docs_b[s].filename for s in docs_b}
    [item_b] = khlang_b.json("inventory", "list")
    [item_a] = khlang_a.json("inventory", "list", "--project", "ท่องเที่ยว")
    assert item_b == item_a  # code, year, province, project, activity, agency, due, received

    again = khlang_b.json("import", "bag", str(bag_dir))
    assert again["imported"] == 0 and sorted(again["duplicates"]) == sorted(names)
    core_a.dispose()
    core_b.dispose()


def test_a_bag_whose_original_changed_is_refused_and_nothing_is_imported(
    office_a, tmp_path, monkeypatch
):
    khlang_a, _results, item = office_a
    bag_dir = tmp_path / "ถุง"
    khlang_a.json("export", "bag", str(bag_dir), "--item", item["code"])
    victim = next(p for p in (bag_dir / "data" / "originals").rglob("*") if p.is_file())
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0x01
    victim.write_bytes(bytes(data))

    khlang_b = Khlang_CLI(tmp_path / "ข", {})
    result = khlang_b("import", "bag", str(bag_dir))

    assert result.exit_code == 2
    assert "ไม่ถูกต้อง" in result.output and "not a valid BagIt bag" in result.output
    assert str(bag_dir) in result.output
    with khlang_b.core(monkeypatch).sessions() as session:
        assert session.scalars(select(Document)).all() == []


def test_export_refuses_a_folder_that_is_not_empty(office_a, tmp_path):
    khlang_a, _results, _item = office_a
    busy = tmp_path / "มีของ"
    busy.mkdir()
    (busy / "อื่น.txt").write_text("x")
    result = khlang_a("export", "bag", str(busy))
    assert result.exit_code == 2 and "must be empty" in result.output
    assert (busy / "อื่น.txt").read_text() == "x"
