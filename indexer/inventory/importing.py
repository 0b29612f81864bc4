"""Importing an inventory file: read and check it (``parse_inventory``), then create or
update its items by natural key within one transaction (``import_inventory``).

Rows with errors are reported by row number and column with the reason in Thai and
English; the good rows are imported, unless ``strict=True`` (all or nothing). An item the
list no longer has is retired when ``prune=True`` (for the projects of the file); a later
list that has it again restores it. Updated items whose indexed attributes changed mark
their linked documents for reindexing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from indexer.ingest.indexing import reindex_quietly
from indexer.inventory.items import _retire
from indexer.inventory.keys import item_code_for, normalise_name, normalise_text
from indexer.inventory.rows import EXAMPLE_MARK, ParsedRow, parse_row
from indexer.inventory.tables import RawTable, RowError, read_table
from indexer.records import provenance as ev
from schemas.models import (
    Activity,
    Agency,
    Cluster,
    Document,
    DocumentLink,
    InventoryItem,
    Project,
    Province,
    utcnow,
)


@dataclass
class ImportResult:
    filename: str
    rows: int = 0
    created: list[str] = field(default_factory=list)  # item codes
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # example rows
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # codes of the same projects not in the file
    restored: list[str] = field(default_factory=list)  # retired items the file lists again
    retired: list[str] = field(default_factory=list)  # absent items retired by prune
    # updated items whose change the search index holds (see _INDEXED_ITEM_ATTRIBUTES)
    reindex: list[str] = field(default_factory=list)
    prune: bool = False
    prune_skipped: bool = False  # prune asked, but rows had errors: nothing retired
    strict: bool = False
    committed: bool = True
    encoding: str | None = None
    sheet: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "filename": self.filename,
            "ok": self.ok,
            "committed": self.committed,
            "strict": self.strict,
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "codes": {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
            },
            "skipped_example_rows": self.skipped,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "absent": self.absent,
            "restored": self.restored,
            "retired": self.retired,
            "prune": self.prune,
            "prune_skipped": self.prune_skipped,
            "encoding": self.encoding,
            "sheet": self.sheet,
        }


def parse_inventory(data: bytes, filename: str) -> tuple[RawTable, list[ParsedRow], ImportResult]:
    """Read and check a file without touching the database."""
    table = read_table(data, filename)
    result = ImportResult(filename=filename, encoding=table.encoding, sheet=table.sheet)
    parsed: list[ParsedRow] = []
    seen: dict[str, int] = {}
    for raw in table.rows:
        if any(
            isinstance(value, str) and EXAMPLE_MARK.match(value) for value in raw.values.values()
        ):
            result.skipped.append(raw.number)
            continue
        result.rows += 1
        row, errors, warnings = parse_row(raw, table.headers)
        result.errors += errors
        result.warnings += warnings
        if row is None:
            continue
        if row.key in seen:
            result.errors.append(
                RowError(
                    row.number,
                    "deliverable",
                    table.headers.get("deliverable"),
                    row.deliverable,
                    f"ซ้ำกับแถว {seen[row.key]} (ปี โครงการ กิจกรรม รายการ และจังหวัดเดียวกัน)",
                    f"duplicates row {seen[row.key]} "
                    "(same year, project, activity, deliverable and province)",
                )
            )
            continue
        seen[row.key] = row.number
        parsed.append(row)
    return table, parsed, result


def import_inventory(
    core,
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    strict: bool = False,
    prune: bool = False,
    agent: str = "operator",
) -> ImportResult:
    """Import an inventory file (path or bytes; ``filename`` tells bytes' format).

    Good rows are created or updated by natural key; rows with errors are reported.
    ``strict=True`` imports nothing when any row has an error. ``prune=True`` retires the
    items of the file's projects that the file no longer lists, but only when every row
    was read: a row skipped for an error must not retire its item. Raises
    InventoryFileError when the file as a whole is unreadable."""
    if isinstance(source, bytes):
        data = source
        filename = filename or "inventory.csv"
    else:
        path = Path(source)
        data = path.read_bytes()
        filename = filename or path.name
    _table, rows, result = parse_inventory(data, filename)
    result.strict, result.prune = strict, prune
    if strict and result.errors:
        result.committed = False
        return result
    with core.transaction() as session:
        _apply(session, rows, result, agent=agent)
        if prune and result.errors:
            result.prune_skipped = True
        elif prune and result.absent:
            absent = session.scalars(
                select(InventoryItem).where(InventoryItem.code.in_(result.absent))
            )
            result.retired = _retire(
                session,
                list(absent),
                agent=agent,
                reason=f"ไม่อยู่ในบัญชี {filename} (not in the inventory file)",
                tool="khlang inventory import --prune",
            )
        ev.record(
            session,
            ev.INVENTORY_IMPORTED,
            agent=agent,
            tool="khlang inventory import",
            outcome="success" if result.ok else "partial",
            filename=filename,
            rows=result.rows,
            created=len(result.created),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
            errors=len(result.errors),
            restored=result.restored,
            retired=result.retired,
        )
        stale = _mark_linked_for_reindex(session, result.reindex)
    reindex_quietly(core, stale, agent=agent)
    return result


# What the search index holds of a linked item (indexer.ingest.indexing.document_for_index): its
# title, project, activity, host agency and province. A new quantity, type or due date
# leaves its documents' index entries as they are.
_INDEXED_ITEM_ATTRIBUTES = frozenset(
    ("title", "project_id", "activity_id", "agency_id", "province_id")
)


def _mark_linked_for_reindex(session: Session, codes: list[str]) -> list[int]:
    """The index holds a document's linked items' project, activity, agency and province:
    when an item changes, its documents are marked for reindexing (their ids returned)."""
    if not codes:
        return []
    ids = list(
        session.scalars(
            select(DocumentLink.document_id)
            .join(InventoryItem, InventoryItem.id == DocumentLink.item_id)
            .where(InventoryItem.code.in_(codes), DocumentLink.active.is_(True))
            .distinct()
        )
    )
    if ids:
        session.execute(update(Document).where(Document.id.in_(ids)).values(indexed_version=None))
    return ids


class _Resolver:
    """Finds or creates clusters, provinces, agencies, projects and activities by name,
    tolerant of spacing, digits and prefixes, within one session."""

    def __init__(self, session: Session):
        self.session = session
        self._projects: dict[tuple[int, str], Project] = {}
        self._loaded_years: set[int] = set()
        self._activities: dict[tuple[int, str], Activity] = {}
        self._agencies: dict[str, Agency] | None = None

    def cluster(self, name: str | None) -> Cluster | None:
        if not name:
            return None
        found = self.session.scalar(select(Cluster).where(Cluster.name == name))
        if found is None:
            found = Cluster(name=name)
            self.session.add(found)
            self.session.flush()
        return found

    def province(self, name: str | None, cluster: Cluster | None) -> Province | None:
        if not name:
            return None
        found = self.session.scalar(select(Province).where(Province.name == name))
        if found is None:
            found = Province(name=name, cluster=cluster)
            self.session.add(found)
            self.session.flush()
        elif found.cluster_id is None and cluster is not None:
            found.cluster = cluster
        return found

    def agency(self, name: str | None, province: Province | None) -> Agency | None:
        if not name:
            return None
        if self._agencies is None:
            self._agencies = {
                normalise_text(a.name): a for a in self.session.scalars(select(Agency))
            }
        key = normalise_text(name)
        found = self._agencies.get(key)
        if found is None:
            found = Agency(name=name, province=province)
            self.session.add(found)
            self.session.flush()
            self._agencies[key] = found
        return found

    def project(self, row: ParsedRow) -> Project:
        if row.fiscal_year not in self._loaded_years:
            for p in self.session.scalars(
                select(Project).where(Project.fiscal_year == row.fiscal_year)
            ):
                self._projects.setdefault((row.fiscal_year, normalise_name(p.name)), p)
            self._loaded_years.add(row.fiscal_year)
        key = (row.fiscal_year, normalise_name(row.project))
        found = self._projects.get(key)
        if found is None:
            found = Project(fiscal_year=row.fiscal_year, name=row.project)
            self.session.add(found)
            self.session.flush()
            self._projects[key] = found
        return found

    def activity(self, project: Project, name: str | None) -> Activity | None:
        if not name:
            return None
        key = (project.id, normalise_name(name))
        if key not in self._activities:
            for a in self.session.scalars(
                select(Activity).where(Activity.project_id == project.id)
            ):
                self._activities.setdefault((project.id, normalise_name(a.name)), a)
        found = self._activities.get(key)
        if found is None:
            found = Activity(project=project, name=name)
            self.session.add(found)
            self.session.flush()
            self._activities[key] = found
        return found


def _set(obj, attr: str, value) -> bool:
    if getattr(obj, attr) != value:
        setattr(obj, attr, value)
        return True
    return False


def _unique_code(session: Session, fiscal_year: int, key: str) -> str:
    for length in (6, 8, 10, 12):
        code = item_code_for(fiscal_year, key, length)
        owner = session.scalar(select(InventoryItem.natural_key).where(InventoryItem.code == code))
        if owner is None or owner == key:
            return code
    raise RuntimeError("no free inventory code")  # 60 bits of hash collided: not in practice


def _find_item(session: Session, row: ParsedRow, province: Province | None) -> InventoryItem | None:
    """The item of this row: by its key, else (for a row with a province) an item made
    before the province was part of the key, of that province or of none; it takes the
    new key and keeps its code."""
    item = session.scalar(select(InventoryItem).where(InventoryItem.natural_key == row.key))
    if item is not None or province is None:
        return item
    legacy = session.scalar(
        select(InventoryItem).where(InventoryItem.natural_key == row.key_without_province)
    )
    if legacy is not None and legacy.province_id in (None, province.id):
        legacy.natural_key = row.key
        return legacy
    return None


def _apply(
    session: Session, rows: Iterable[ParsedRow], result: ImportResult, *, agent: str
) -> None:
    resolve = _Resolver(session)
    touched_projects: set[int] = set()
    seen_keys: set[str] = set()
    for row in rows:
        cluster = resolve.cluster(row.cluster)
        province = resolve.province(row.province, cluster)
        agency = resolve.agency(row.host_agency, province)
        project = resolve.project(row)
        # The project takes what its rows say when it does not know yet; a later row of
        # another province does not move it (the item keeps its own province).
        if project.code is None and row.project_code:
            project.code = row.project_code
        if project.cluster_id is None and cluster is not None:
            project.cluster = cluster
        if project.province_id is None and province is not None:
            project.province = province
        if project.agency_id is None and agency is not None:
            project.agency = agency
        activity = resolve.activity(project, row.activity)
        key = row.key
        seen_keys.add(key)
        touched_projects.add(project.id)
        item = _find_item(session, row, province)
        values = {
            "project_id": project.id,
            "activity_id": activity.id if activity else None,
            "agency_id": agency.id if agency else None,
            "province_id": province.id if province else None,
            "title": row.deliverable,
            "item_type": row.item_type,
            "quantity": row.quantity,
            "due_date": row.due_date,
        }
        if item is None:
            item = InventoryItem(
                natural_key=key, code=_unique_code(session, row.fiscal_year, key), **values
            )
            session.add(item)
            session.flush()
            result.created.append(item.code)
            continue
        if item.retired_at is not None:
            item.retired_at = None
            result.restored.append(item.code)
            ev.record(
                session,
                ev.INVENTORY_RESTORED,
                agent=agent,
                tool="khlang inventory import",
                item_code=item.code,
                item_title=item.title,
                filename=result.filename,
            )
        changed = [attr for attr, value in values.items() if _set(item, attr, value)]
        if changed:
            item.updated_at = utcnow()
            result.updated.append(item.code)
            if _INDEXED_ITEM_ATTRIBUTES.intersection(changed):
                result.reindex.append(item.code)
        else:
            result.unchanged.append(item.code)
    if touched_projects:
        others = session.scalars(
            select(InventoryItem)
            .where(
                InventoryItem.project_id.in_(touched_projects),
                InventoryItem.retired_at.is_(None),
            )
            .order_by(InventoryItem.code)
        )
        result.absent = [i.code for i in others if i.natural_key not in seen_keys]
