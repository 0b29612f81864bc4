"""Uploads and their jobs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from service.api_models.common import Answer

# A file part of a multipart form (any bytes).
UploadedFile = Annotated[
    Any, WithJsonSchema({"type": "string", "contentMediaType": "application/octet-stream"})
]


def _as_list(value: Any) -> Any:
    # one file part arrives as itself, several as a list
    return value if isinstance(value, list) else [value]


class UploadForm(BaseModel):
    """Files or ZIP bundles, and the inventory item they fulfil. ``files`` is required in
    the document; a form without any is answered ``no_files`` by the route."""

    model_config = ConfigDict(json_schema_extra={"required": ["files"]})

    files: Annotated[list[UploadedFile], BeforeValidator(_as_list)] = []
    item_code: str = None


class JobAccepted(Answer):
    job_id: int
    status_url: str
    files: int


class JobFile(Answer):
    path: str
    status: Literal["ingested", "duplicate", "stored-without-text", "rejected"]
    document_id: int | None
    sha256: str | None = None
    error: str | None
    warnings: list[str] = Field(
        None,
        description="e.g. stored but not yet searchable (Thai, then English in parentheses)",
    )


class JobReading(Answer):
    path: str
    step: Literal["ocr"]
    page: int = Field(description="the page being read (1-based)")
    pages: int = Field(description="pages of the file read by OCR")
    message: str = Field(description="e.g. กำลังอ่านข้อความจากภาพ หน้า 3/12 (... page 3/12)")


class Job(Answer):
    job_id: int
    status: str = Field(description="running, finished, failed, ...")
    agent: str
    created_at: str = None
    finished_at: str | None = None
    total: int
    done: int
    counts: dict[str, int]
    files: list[JobFile]
    error: str | None = None
    current: list[JobReading] = Field(
        None, description="files of a running job being read by OCR, page by page"
    )
