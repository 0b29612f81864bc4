"""Actions on a selection of documents."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.actions.bulk import MAX_SELECTION
from service.api_models.common import Answer, Body, RowId

Selection = Annotated[list[RowId], Field(max_length=MAX_SELECTION)]
Tags = Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=50)]


class BulkLink(Body):
    document_id: RowId
    item_code: str
    op: Literal["link", "confirm", "unlink"] = "link"


class BulkLinks(Body):
    links: Annotated[list[BulkLink], Field(max_length=MAX_SELECTION)]


class BulkPublication(Body):
    document_ids: Selection
    action: Literal["check", "approve", "publish", "withdraw"]
    note: str = None


class BulkTags(Body):
    document_ids: Selection
    tags: Tags


class BulkExport(Body):
    document_ids: Selection
    format: Literal["xlsx", "csv"] = "xlsx"


class BulkEntry(Answer):
    document_id: int
    ok: bool
    code: str
    message: str = Field(None, description="why not (Thai)")
    message_en: str = None


class BulkResult(Answer):
    done: int = Field(ge=0)
    failed: int = Field(ge=0)
    results: list[BulkEntry]
