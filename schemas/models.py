"""The database: what Khlang knows about clusters, projects, expected deliverables, the
documents it has received, and every action taken on them.

Documents are unique by content (sha256). Each arrival of a file is a ``Submission``; every
preservation action is an ``Event`` (what, when, who, which tool, outcome), in the manner of
PREMIS and Archivematica. Fiscal years are Buddhist Era (B.E.) integers throughout, as staff
write them (2562, not 2019).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


# --- Who and where ---------------------------------------------------------------------------


class Cluster(Base):
    """A provincial cluster (กลุ่มจังหวัด), e.g. กลุ่มจังหวัดภาคเหนือตอนบน ๑."""

    __tablename__ = "clusters"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    provinces: Mapped[list[Province]] = relationship(back_populates="cluster")


class Province(Base):
    __tablename__ = "provinces"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    cluster: Mapped[Cluster | None] = relationship(back_populates="provinces")


class Agency(Base):
    """A host agency (หน่วยงานเจ้าภาพ) that runs projects and delivers their outputs."""

    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    province: Mapped[Province | None] = relationship()


# --- What was planned ------------------------------------------------------------------------


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("fiscal_year", "name", name="uq_project_year_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)  # B.E.
    code: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(1000))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    cluster: Mapped[Cluster | None] = relationship()
    province: Mapped[Province | None] = relationship()
    agency: Mapped[Agency | None] = relationship()
    activities: Mapped[list[Activity]] = relationship(back_populates="project")


class Activity(Base):
    """An activity (กิจกรรม) of a project."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_activity_project_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    name: Mapped[str] = mapped_column(String(1000))
    project: Mapped[Project] = relationship(back_populates="activities")


class InventoryItem(Base):
    """An expected deliverable (ทรัพยากร/ผลลัพธ์) from the host agency's inventory list."""

    __tablename__ = "inventory_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable, human-typable code that `khlang ingest --item CODE` accepts.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # Natural key of the row (year, project, activity, deliverable), so a re-import updates.
    natural_key: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    title: Mapped[str] = mapped_column(String(1000))
    item_type: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Withdrawn from the inventory (renamed or dropped); kept with its links and history.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    project: Mapped[Project] = relationship()
    activity: Mapped[Activity | None] = relationship()
    agency: Mapped[Agency | None] = relationship()
    province: Mapped[Province | None] = relationship()


class ProcessDeadline(Base):
    """Seed 000's process deadlines, configurable per fiscal year."""

    __tablename__ = "process_deadlines"
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    inventory_to_dsss: Mapped[date | None] = mapped_column(Date)
    dsss_to_cluster: Mapped[date | None] = mapped_column(Date)


# --- What arrived ----------------------------------------------------------------------------


class Batch(Base):
    """One ingestion job: a set of paths or an upload, processed file by file."""

    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    agent: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(50), default="cli")  # cli | upload | api
    status: Mapped[str] = mapped_column(String(20), default="running")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    item_code: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class JobFile(Base):
    """One file of a job run on a broker (cluster mode): one message each. Its row says
    whether the file's outcome is recorded, in the same database as the outcome, so a
    message delivered again after its worker died is neither counted nor stored twice, and
    the job is over when no row is left queued."""

    __tablename__ = "job_files"
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    # the Source to ingest: local_path (in the shared spool), names, display path
    source: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="queued")  # queued | done
    results: Mapped[int] = mapped_column(Integer, default=0)  # outcomes (a bundle: several)
    handled_by: Mapped[str | None] = mapped_column(String(255))


class JobPage(Base):
    """One page of a scan of a job run on a broker, read by OCR in a message of its own: its
    text (or why it has none) is kept here until the file's last page is in, then the file
    is ingested with these pages (indexer.ingest.broker_pages). A page turns "done" once, so
    a message delivered again after its worker died is neither read nor counted twice."""

    __tablename__ = "job_pages"
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)  # the JobFile's
    # 0: the file itself; N: the N-th member of the file, a bundle (its path: member_path)
    member: Mapped[int] = mapped_column(Integer, primary_key=True, default=0, server_default="0")
    page: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based
    member_path: Mapped[str | None] = mapped_column(Text)  # as the bundle's ingest names it
    kind: Mapped[str] = mapped_column(String(20))  # pdf | image (ocr_pages.READERS)
    state: Mapped[str] = mapped_column(String(20), default="queued")  # queued | done
    text: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    layer: Mapped[bytes | None] = mapped_column(LargeBinary)  # the invisible text page
    error: Mapped[str | None] = mapped_column(Text)
    timed_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # not read: the file's OCR budget (KHLANG_MAX_OCR_SECONDS) was spent by its other pages
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    rotation: Mapped[int] = mapped_column(Integer, default=0)  # degrees turned upright
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    handled_by: Mapped[str | None] = mapped_column(String(255))


class Document(Base):
    """One unique content (by sha256), however many times it arrived."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(50), index=True)
    kind: Mapped[str] = mapped_column(String(50), default="other", index=True)
    title: Mapped[str] = mapped_column(String(1000))
    filename: Mapped[str] = mapped_column(String(1000))  # first arrival's name or bundle path
    text: Mapped[str] = mapped_column(Text, default="")
    text_status: Mapped[str] = mapped_column(String(30), default="extracted")
    meta: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    fiscal_year: Mapped[int | None] = mapped_column(Integer, index=True)
    document_date: Mapped[date | None] = mapped_column(Date)
    # An official letter's number, Arabic digits, no spaces ("ขร0019.1/19555"), so that
    # references (อ้างถึง) in later letters find the letter they cite.
    letter_number: Mapped[str | None] = mapped_column(String(200), index=True)
    # internal -> checked -> approved -> published (seed 001's approval chain).
    publication: Mapped[str] = mapped_column(String(20), default="internal", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Staff's own notes and tags (set by editing in the web or PATCH /api/documents/<id>).
    notes: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list | None] = mapped_column(JSON)
    # Version of the search index this row was last written to; NULL means "needs indexing".
    indexed_version: Mapped[str | None] = mapped_column(String(200), index=True)
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="document", order_by="Submission.id"
    )
    events: Mapped[list[Event]] = relationship(back_populates="document", order_by="Event.id")
    links: Mapped[list[DocumentLink]] = relationship(back_populates="document")


class Submission(Base):
    """One arrival of a file: who sent it, when, under which name, from which bundle."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    original_name: Mapped[str] = mapped_column(String(1000))
    bundle_path: Mapped[str | None] = mapped_column(String(2000))  # path inside a ZIP
    source_path: Mapped[str | None] = mapped_column(String(4000))  # where the CLI read it
    # ingested | duplicate | stored-without-text | rejected
    status: Mapped[str] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    document: Mapped[Document | None] = relationship(back_populates="submissions")


class DocumentLink(Base):
    """A document delivered against an inventory item; unlinking keeps the row, inactive."""

    __tablename__ = "document_links"
    __table_args__ = (UniqueConstraint("document_id", "item_id", name="uq_link_doc_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_items.id"), index=True)
    method: Mapped[str] = mapped_column(String(30), default="manual")  # manual|suggested|confirmed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    linked_by: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    document: Mapped[Document] = relationship(back_populates="links")
    item: Mapped[InventoryItem] = relationship()


class Event(Base):
    """A provenance event: received, identified, stored, extracted, classified, linked, ..."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_document_type", "document_id", "event_type"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    agent: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(30), default="success")
    tool: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    document: Mapped[Document | None] = relationship(back_populates="events")


class FixityRun(Base):
    """One run of `khlang verify`: what it covered and what it found (the aggregated report
    the admin page and /healthz show; each object's check is also an Event)."""

    __tablename__ = "fixity_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    agent: Mapped[str] = mapped_column(String(255))
    checked: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # not repaired
    repaired: Mapped[int] = mapped_column(Integer, default=0)
    # True when every document was checked (no --max-objects/--max-duration cut it short).
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    report: Mapped[dict] = mapped_column(JSON, default=dict)


# --- Who may do what -------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # admin | strategy | dsss | viewer
    password_hash: Mapped[str] = mapped_column(String(255))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    province: Mapped[Province | None] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    # Only a hash is kept: a leaked database does not leak working tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Touched at most once a minute (see service.auth): a token nobody used for months is
    # one the admin can revoke without breaking a script.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A dsss token acts for one province, like a dsss officer (linking, gap reports).
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    province: Mapped[Province | None] = relationship()


class UserSession(Base):
    """A login, as the server knows it. The signed cookie only names it: logout deletes
    this row (a copy of the cookie is then worth nothing), and a new password, role or
    province, or a disabled account, deletes every row of the user."""

    __tablename__ = "user_sessions"
    # A random token (the cookie is signed, but its content is readable: no user data here).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginFailure(Base):
    """A wrong name or password at the login form, kept a short while: login throttling
    counts them by account and by address in the database, so every gunicorn worker (and
    every machine behind one proxy) sees the same counts."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Setting(Base):
    """Small key/value facts about this installation (e.g. the index schema version)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
