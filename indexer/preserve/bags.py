"""BagIt transfer: a project's outputs as a verifiable package for another office.

`khlang export bag DIR` writes a BagIt 1.0 bag (bagit-python, SHA-256 manifests):

    data/originals/<document-id>/<Thai file name>   the preserved bytes
    data/metadata/<document-id>.json                the document, its submissions, events, links
    data/metadata/<document-id>.premis.xml          its events as PREMIS 3 XML
    data/inventory.json                             the inventory items the documents are linked to

`khlang import bag DIR` validates the manifests, then restores documents (objects checked
against their SHA-256 once more), events (plus an ``imported`` one), submissions, items and
links into this installation; a document whose bytes are already here is recognised as a
duplicate and only gains the links it lacks.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path, PurePosixPath

import bagit
from sqlalchemy import or_, select

from indexer.core import Khlang
from indexer.preserve.premis import events_as_premis
from indexer.records import provenance as ev
from schemas.models import (
    Activity,
    Agency,
    Cluster,
    Document,
    DocumentLink,
    Event,
    InventoryItem,
    Project,
    Province,
    Submission,
)

TOOL = f"bagit-python {bagit.VERSION}" if hasattr(bagit, "VERSION") else "bagit-python"
DOCUMENT_FIELDS = (
    "sha256",
    "size",
    "mime",
    "category",
    "kind",
    "title",
    "filename",
    "text",
    "text_status",
    "meta",
    "fiscal_year",
    "document_date",
    "letter_number",
    "publication",
    "created_at",
)
EVENT_FIELDS = ("event_type", "at", "agent", "outcome", "tool", "detail")
SUBMISSION_FIELDS = (
    "submitted_by",
    "submitted_at",
    "original_name",
    "bundle_path",
    "source_path",
    "status",
    "error",
    "sha256",
)


class BagError(ValueError):
    """A bag that cannot be written or read; the message names it and says why (Thai, English)."""


def _plain(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _row(obj, fields) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


def original_name(document: Document) -> str:
    """The file's own name (the last part of a bundle path), safe as one path component."""
    name = PurePosixPath(document.filename.replace("\\", "/")).name
    return name if name not in ("", ".", "..") else f"document-{document.id}"


def _selected(session, fiscal_year, project, item_code) -> list[Document]:
    query = select(Document).order_by(Document.id)
    if item_code or project or fiscal_year is not None:
        linked = (
            select(DocumentLink.document_id)
            .join(InventoryItem, InventoryItem.id == DocumentLink.item_id)
            .join(Project, Project.id == InventoryItem.project_id)
            .where(DocumentLink.active)
        )
        if item_code:
            linked = linked.where(InventoryItem.code == item_code)
        if project:
            linked = linked.where(or_(Project.name == project, Project.code == project))
        if fiscal_year is not None:
            linked = linked.where(Project.fiscal_year == fiscal_year)
        condition = Document.id.in_(linked)
        if fiscal_year is not None and not (item_code or project):
            condition = or_(condition, Document.fiscal_year == fiscal_year)
        query = query.where(condition)
    return list(session.scalars(query))


def _item_dict(item: InventoryItem) -> dict:
    project = item.project
    return {
        "code": item.code,
        "natural_key": item.natural_key,
        "title": item.title,
        "item_type": item.item_type,
        "quantity": item.quantity,
        "due_date": _plain(item.due_date),
        "retired_at": _plain(item.retired_at),
        "project": {
            "fiscal_year": project.fiscal_year,
            "code": project.code,
            "name": project.name,
            "cluster": project.cluster.name if project.cluster else None,
            "province": project.province.name if project.province else None,
            "agency": project.agency.name if project.agency else None,
        },
        "activity": item.activity.name if item.activity else None,
        "agency": item.agency.name if item.agency else None,
        "province": item.province.name if item.province else None,
    }


def export_bag(
    core: Khlang,
    destination: Path,
    *,
    agent: str,
    fiscal_year: int | None = None,
    project: str | None = None,
    item_code: str | None = None,
) -> dict:
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise BagError(
            f"{destination}: โฟลเดอร์ปลายทางต้องว่างหรือยังไม่มี "
            f"(the destination folder must be empty or not exist yet)"
        )
    (destination / "originals").mkdir(parents=True, exist_ok=True)
    (destination / "metadata").mkdir()
    items: dict[str, dict] = {}
    exported = []
    with core.sessions() as session:
        documents = _selected(session, fiscal_year, project, item_code)
        for document in documents:
            folder = destination / "originals" / str(document.id)
            folder.mkdir()
            target = folder / original_name(document)
            with core.store.open(document.sha256) as stream, open(target, "wb") as out:
                while chunk := stream.read(1024 * 1024):
                    out.write(chunk)
            links = []
            for found in document.links:
                items.setdefault(found.item.code, _item_dict(found.item))
                links.append(
                    {
                        "item_code": found.item.code,
                        "method": found.method,
                        "active": found.active,
                        "linked_by": found.linked_by,
                        "linked_at": _plain(found.linked_at),
                    }
                )
            record = {
                "document_id": document.id,
                "original": f"data/originals/{document.id}/{target.name}",
                "document": _row(document, DOCUMENT_FIELDS),
                "submissions": [_row(s, SUBMISSION_FIELDS) for s in document.submissions],
                "events": [_row(e, EVENT_FIELDS) for e in document.events],
                "links": links,
            }
            (destination / "metadata" / f"{document.id}.json").write_text(
                json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            (destination / "metadata" / f"{document.id}.premis.xml").write_bytes(
                events_as_premis(document, document.events)
            )
            exported.append(document.id)
    (destination / "inventory.json").write_text(
        json.dumps(sorted(items.values(), key=lambda i: i["code"]), ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    scope = {"fiscal-year": fiscal_year, "project": project, "item": item_code}
    bag_info = {
        "Source-Organization": "Khlang (คลัง)",
        "External-Description": "ผลลัพธ์โครงการกลุ่มจังหวัด (provincial-cluster project outputs)",
        "Khlang-Scope": json.dumps({k: v for k, v in scope.items() if v}, ensure_ascii=False),
        "Khlang-Documents": str(len(exported)),
    }
    bagit.make_bag(str(destination), bag_info, checksums=["sha256"])
    with core.transaction() as session:
        ev.record_rows(
            session,
            [
                ev.row(ev.EXPORTED, agent=agent, document_id=i, tool=TOOL, bag=str(destination))
                for i in exported
            ],
        )
    return {"ok": True, "bag": str(destination), "documents": len(exported), "items": len(items)}


def _parse_time(value):
    return dt.datetime.fromisoformat(value) if value else None


def _parse_date(value):
    return dt.date.fromisoformat(value) if value else None


def _by_name(session, model, name, **extra):
    if not name:
        return None
    found = session.scalars(select(model).where(model.name == name)).first()
    if found is None:
        found = model(name=name, **extra)
        session.add(found)
        session.flush()
    return found


def _ensure_item(session, data: dict) -> InventoryItem:
    item = session.scalars(
        select(InventoryItem).where(
            or_(
                InventoryItem.code == data["code"], InventoryItem.natural_key == data["natural_key"]
            )
        )
    ).first()
    if item is not None:
        return item
    spec = data["project"]
    cluster = _by_name(session, Cluster, spec.get("cluster"))
    project = session.scalars(
        select(Project).where(
            Project.fiscal_year == spec["fiscal_year"], Project.name == spec["name"]
        )
    ).first()
    if project is None:
        project = Project(
            fiscal_year=spec["fiscal_year"],
            code=spec.get("code"),
            name=spec["name"],
            cluster=cluster,
            province=_by_name(session, Province, spec.get("province")),
            agency=_by_name(session, Agency, spec.get("agency")),
        )
        session.add(project)
        session.flush()
    activity = None
    if data.get("activity"):
        activity = session.scalars(
            select(Activity).where(
                Activity.project_id == project.id, Activity.name == data["activity"]
            )
        ).first()
        if activity is None:
            activity = Activity(project_id=project.id, name=data["activity"])
            session.add(activity)
            session.flush()
    item = InventoryItem(
        code=data["code"],
        natural_key=data["natural_key"],
        project=project,
        activity=activity,
        agency=_by_name(session, Agency, data.get("agency")),
        province=_by_name(session, Province, data.get("province")),
        title=data["title"],
        item_type=data.get("item_type"),
        quantity=data.get("quantity") or 1,
        due_date=_parse_date(data.get("due_date")),
        retired_at=_parse_time(data.get("retired_at")),
    )
    session.add(item)
    session.flush()
    return item


def _validated(source: Path) -> bagit.Bag:
    try:
        bag = bagit.Bag(str(source))
        bag.validate(processes=1)
    except bagit.BagError as exc:
        raise BagError(f"{source}: แพ็กเกจ BagIt ไม่ถูกต้อง (not a valid BagIt bag): {exc}") from exc
    if "sha256" not in bag.algorithms:
        raise BagError(f"{source}: ไม่มี manifest แบบ SHA-256 (no SHA-256 manifest)")
    return bag


def import_bag(core: Khlang, source: Path, *, agent: str) -> dict:
    """Restore a bag's documents into this installation; returns counts and document ids."""
    from indexer.ingest.indexing import reindex_quietly
    from indexer.preserve.replication import record_replication

    source = Path(source)
    bag = _validated(source)
    data = source / "data"
    items = json.loads((data / "inventory.json").read_text(encoding="utf-8"))
    imported, duplicates, new_ids = [], [], []
    with core.transaction() as session:
        codes = {entry["code"]: _ensure_item(session, entry).id for entry in items}
    for metadata in sorted((data / "metadata").glob("*.json"), key=lambda p: int(p.stem)):
        record = json.loads(metadata.read_text(encoding="utf-8"))
        fields = record["document"]
        original = source / record["original"]
        staged = core.store.stage_file(original)
        try:
            if staged.sha256 != fields["sha256"]:
                raise BagError(
                    f"{original}: SHA-256 ไม่ตรงกับที่บันทึกไว้ (does not match its recorded SHA-256)"
                )
            with core.transaction() as session:
                document = session.scalars(
                    select(Document).where(Document.sha256 == fields["sha256"])
                ).first()
                if document is None:
                    core.store.commit(staged)
                    document = _new_document(session, record, agent, bag)
                    imported.append(document.filename)
                    new_ids.append(document.id)
                else:
                    duplicates.append(document.filename)
                _add_links(session, document, record["links"], codes)
                document_id = document.id
        finally:
            core.store.discard(staged)
        if core.replica is not None and document_id in new_ids:
            record_replication(core, document_id, fields["sha256"], agent=agent)
    if new_ids:
        reindex_quietly(core, new_ids, agent=agent)
    return {
        "ok": True,
        "imported": len(imported),
        "duplicates": duplicates,
        "items": len(codes),
        "document_ids": new_ids,
    }


def _new_document(session, record: dict, agent: str, bag: bagit.Bag) -> Document:
    fields = dict(record["document"])
    fields["document_date"] = _parse_date(fields.get("document_date"))
    fields["created_at"] = _parse_time(fields.get("created_at"))
    document = Document(**fields, indexed_version=None)
    session.add(document)
    session.flush()
    for entry in record["submissions"]:
        values = dict(entry, submitted_at=_parse_time(entry["submitted_at"]))
        session.add(Submission(document_id=document.id, **values))
    for entry in record["events"]:
        values = dict(entry, at=_parse_time(entry["at"]))
        session.add(Event(document_id=document.id, **values))
    ev.record(
        session,
        ev.IMPORTED,
        agent=agent,
        document=document,
        tool=TOOL,
        bag=str(bag.path),
        source_document_id=record["document_id"],
        source_organization=bag.info.get("Source-Organization"),
    )
    return document


def _add_links(session, document: Document, links: list[dict], codes: dict[str, int]) -> None:
    for entry in links:
        item_id = codes.get(entry["item_code"])
        if item_id is None:
            continue
        exists = session.scalars(
            select(DocumentLink).where(
                DocumentLink.document_id == document.id, DocumentLink.item_id == item_id
            )
        ).first()
        if exists is None:
            session.add(
                DocumentLink(
                    document_id=document.id,
                    item_id=item_id,
                    method=entry["method"],
                    active=entry["active"],
                    linked_by=entry["linked_by"],
                    linked_at=_parse_time(entry["linked_at"]),
                )
            )
