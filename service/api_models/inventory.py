"""The inventory (what each project must deliver), its deadlines and the gap report."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from service.api_models.common import (
    FISCAL_YEAR_MAX,
    FISCAL_YEAR_MIN,
    Answer,
    Body,
    Query,
    QueryInt,
)
from service.api_models.uploads import UploadedFile


class InventoryQuery(Query):
    fiscal_year: QueryInt = Field(
        0, ge=0, le=9999, description="fiscal year (B.E.); 0 for every year"
    )
    province: str | SkipJsonSchema[None] = Field(None, description="province")
    project: str | SkipJsonSchema[None] = Field(None, description="project name (part of)")


class InventoryItem(Answer):
    code: str
    fiscal_year: int
    cluster: str | None = None
    province: str | None = None
    project_code: str | None = None
    project: str
    activity: str | None = None
    host_agency: str | None = None
    deliverable: str
    type: str | None = None
    quantity: int
    due_date: str | None = None
    due_date_th: str | None = None
    received: int = None


class InventoryList(Answer):
    items: list[InventoryItem]


class ImportForm(BaseModel):
    """An inventory list (XLSX or CSV). ``file`` is required in the document; a form
    without one is answered ``no_file`` by the route."""

    model_config = ConfigDict(json_schema_extra={"required": ["file"]})

    file: UploadedFile = None
    strict: str = Field(
        None,
        description="true: all or nothing (nothing is imported when any row has an error)",
    )
    prune: str = Field(
        None,
        description="true: retire the items of the file's projects that the file no longer "
        "lists (only when no row has an error)",
    )


class ImportResult(Answer):
    filename: str
    ok: bool
    committed: bool = None
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]] = None
    strict: bool = None
    prune: bool = None
    prune_skipped: bool = Field(
        None, description="prune asked but rows had errors: nothing retired"
    )
    absent: list[str] = None
    restored: list[str] = None
    retired: list[str] = None


class RetireBody(Body):
    codes: list[str]
    reason: str = None


class RetireResult(Answer):
    retired: list[str]
    already_retired: list[str]
    not_found: list[str]


class DeadlinesBody(Body):
    inventory_to_dsss: str = Field(
        None, description="a date as staff write it: '๓๑ ต.ค. ๒๕๖๒', '31/10/2562', ISO"
    )
    dsss_to_cluster: str = None


class DeadlinesConfigured(Answer):
    inventory_to_dsss: bool = None
    dsss_to_cluster: bool = None


class ProcessDeadlines(Answer):
    fiscal_year: int
    inventory_to_dsss: dt.date
    dsss_to_cluster: dt.date
    configured: DeadlinesConfigured


class GapQuery(Query):
    fiscal_year: QueryInt = Field(
        ge=FISCAL_YEAR_MIN, le=FISCAL_YEAR_MAX, description="fiscal year (B.E.)"
    )
    province: str | SkipJsonSchema[None] = Field(None, description="province")
    cluster: str | SkipJsonSchema[None] = Field(None, description="provincial cluster")
    agency: str | SkipJsonSchema[None] = Field(None, description="host agency")
    project: str | SkipJsonSchema[None] = Field(None, description="project")
    as_of: str | SkipJsonSchema[None] = Field(
        None,
        description="evaluate the report on this day; a date as staff write it "
        "('๑ ธ.ค. ๒๕๖๒', '1/12/2562') or ISO",
    )
    format: Literal["json", "csv", "xlsx"] = Field("json", description="answer format")


class GapGroup(Answer):
    name: str
    items: int
    expected: int
    covered: int
    completeness: float = Field(ge=0, le=1)
    received: int = None
    partial: int = None
    missing: int = None
    overdue: int = None


class GapItem(Answer):
    code: str
    deliverable: str
    quantity: int
    received: int
    unconfirmed: int = Field(description="of received: linked by suggestion, not confirmed")
    status: Literal["received", "partial", "missing", "overdue"]


class GapSummary(Answer):
    items: int
    completeness: float
    unconfirmed_items: int
    unconfirmed_links: int = None


class GapReport(Answer):
    fiscal_year: int
    as_of: dt.date
    items: list[GapItem]
    by_province: list[GapGroup]
    by_agency: list[GapGroup]
    unexpected: list[Any] = None
    projects: list[Any] = None
    summary: GapSummary
