"""A document as the API shows it: ``PublicDocument`` is all a visitor may see of a
published document, ``Document`` what staff see.

The public models are allow-lists: a field added later for staff is not shown to the
public until it is declared here. Visitors see the document, what it says and its
publication history; never who submitted, linked or handled it, the server's paths, or the
classifier's evidence. ``visible_part`` cuts an answer down to what a model declares.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, Field

from indexer.understand.kinds import KINDS
from service.api_models.common import (
    OCR_REVIEW,
    Answer,
    Body,
    FiscalYear,
    OcrReview,
    Publication,
    Query,
    QueryInt,
)

KindName = Literal[KINDS]  # type: ignore[valid-type]


class PublicLink(Answer):
    code: str
    title: str
    project: str | None = None
    activity: str | None = None
    fiscal_year: int | None = None


class Link(PublicLink):
    method: str = Field(None, description="staff only")
    linked_by: str = Field(None, description="staff only")
    linked_at: str = Field(None, description="staff only")


class PublicEventDetail(Answer):
    """What a visitor sees of an event's detail: what changed, never where or by whom."""

    from_: Any = Field(None, alias="from")
    to: Any = None
    mime: Any = None
    category: Any = None
    size: Any = None
    sha256: Any = None


class PublicEvent(Answer):
    event: str
    at: str | None
    outcome: str
    detail: PublicEventDetail


class Event(PublicEvent):
    agent: str = Field(None, description="staff only")
    detail: dict[str, Any] = Field(
        description="visitors see only from, to, mime, category, size, sha256"
    )


class PublicMetadata(Answer):
    """What a visitor sees of what Khlang read from a document (not the classifier's
    evidence or scores, nor where a date or year was read from)."""

    kind: Any = None
    kind_label_th: Any = None
    title: Any = None
    document_date: Any = None
    fiscal_year: Any = None
    dates: Any = None
    deadlines: Any = None
    provinces: Any = None
    districts: Any = None
    projects: Any = None
    activities: Any = None
    amounts: Any = None
    letter: Any = None


class PublicDocument(Answer):
    """Visitors get the public view: no submissions, no agents, no server paths, no
    classifier evidence, references only to published letters."""

    document_id: int
    title: str
    filename: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: int
    mime: str
    category: str
    kind: str
    fiscal_year: int | None
    document_date: str | None
    publication: Publication
    created_at: str
    metadata: PublicMetadata
    links: list[PublicLink]
    provenance: list[PublicEvent]
    text: str
    ocr_review: OcrReview | None = Field(None, description=OCR_REVIEW)


class Document(PublicDocument):
    """A document with metadata, text, links and provenance; visitors get the public
    view (``PublicDocument``)."""

    metadata: dict[str, Any]
    links: list[Link]
    provenance: list[Event]
    submissions: list[dict[str, Any]] = Field(None, description="staff only")
    notes: str = Field(None, description="staff only")
    tags: list[str] = Field(None, description="staff only")


def visible_part(model: type[BaseModel], data: dict) -> dict:
    """The part of ``data`` that ``model`` declares: the keys it names (by alias), in
    nested models and lists of them only what those declare. Keys ``data`` lacks stay
    absent; values are passed on as they are."""
    part = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            continue
        value, (inner, many) = data[key], _nested_model(field.annotation)
        if inner is None:
            part[key] = value
        elif many:
            part[key] = [visible_part(inner, item) for item in value or []]
        else:
            part[key] = visible_part(inner, value or {})
    return part


def _nested_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True
    return None, False


# --- what the document routes accept ----------------------------------------------------------


class DocumentEdit(Body):
    """Correct the description; each field is optional, a missing one is left as it is."""

    title: str = Field(None, min_length=1, max_length=1000)
    kind: KindName = None  # type: ignore[valid-type]
    fiscal_year: FiscalYear | None = None
    project: str | None = None
    activity: str | None = None
    notes: str | None = None
    tags: list[Annotated[str, Field(max_length=100)]] = Field(None, max_length=50)


class LinkBody(Body):
    item_code: str
    method: Literal["manual", "confirmed"] = "manual"


class DueDateBody(Body):
    item_code: str
    due_date: str = Field(description="ISO or as staff write it: ๓๐ มิ.ย. ๒๕๖๖")


class PublicationBody(Body):
    action: Literal["check", "approve", "publish", "withdraw"]
    note: str = ""


class PublicationResult(Answer):
    document_id: int
    publication: Publication
    event: Event


class Links(Answer):
    document_id: int
    links: list[Link]


class Suggestion(Answer):
    code: str
    score: float
    reasons: list[str]
    deliverable: str | None = None
    project: str | None = None
    activity: str | None = None
    province: str | None = None
    fiscal_year: int | None = None


class Suggestions(Answer):
    suggestions: list[Suggestion]


class PreviewError(Answer):
    message: str = None
    message_en: str = None


class Preview(Answer):
    document_id: int
    kind: Literal["pdf", "office", "image", "none"]
    pages: int = Field(ge=0)
    page_urls: list[str]
    error: PreviewError = Field(
        None, description="why the original cannot be shown (Thai and English)"
    )


class SimilarQuery(Query):
    limit: QueryInt = Field(5, ge=1, le=50, description="how many")
