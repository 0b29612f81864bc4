"""Search, similar documents and reuse: what they accept and answer."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, create_model
from pydantic.json_schema import SkipJsonSchema

from indexer.search.backend import MATCH_MODES
from schemas.search_index import FACET_FIELDS
from service.api_models.common import OCR_REVIEW, Answer, Body, OcrReview, Query, QueryInt

MatchMode = Literal[MATCH_MODES]  # type: ignore[valid-type]


class SearchFilters(Query):
    """Every facet of the index is also a filter (an absent one: no filter)."""

    fiscal_year: QueryInt | SkipJsonSchema[None] = Field(
        None, description="fiscal year (B.E.), e.g. 2562"
    )
    province: str | SkipJsonSchema[None] = Field(None, description="province (Thai name)")
    project: str | SkipJsonSchema[None] = Field(None, description="project name")
    agency: str | SkipJsonSchema[None] = Field(None, description="host agency")
    category: str | SkipJsonSchema[None] = Field(
        None, description="file category: text, image, audio, video, ..."
    )
    kind: str | SkipJsonSchema[None] = Field(
        None, description="document kind: letter, memo, minutes, guideline, ..."
    )
    sender: str | SkipJsonSchema[None] = Field(None, description="a letter's issuing office")
    urgency: Literal["ด่วนที่สุด", "ด่วนมาก", "ด่วน"] | SkipJsonSchema[None] = Field(
        None, description="a letter's urgency"
    )
    has_deadline: Literal["yes", "no", "ใช่", "ไม่"] | SkipJsonSchema[None] = Field(
        None, description="the document sets a deadline"
    )

    def filters(self) -> dict:
        """The filters sent, as the index takes them."""
        return {key: getattr(self, key) for key in FACET_FIELDS if getattr(self, key) is not None}


class SearchQuery(SearchFilters):
    q: str = Field("", description="query; see the query language")
    limit: QueryInt = Field(20, ge=1, le=100, description="hits per page")
    offset: QueryInt = Field(0, ge=0, le=100_000, description="hits to skip")
    sort: Literal["relevance", "date"] = Field("relevance", description="order")
    match: MatchMode = Field(  # type: ignore[valid-type]
        "default",
        description="default: documents with the query verbatim, then those with every "
        "content word, then those with some (each hit's match says which); all: each "
        "unbroken Thai run is a phrase, documents with every one first; any: the default's "
        "former name; strict: all's former name",
    )


class Hit(Answer):
    document_id: int
    title: str
    filename: str
    score: float
    snippet: str = Field(description="HTML, matches in <mark>")
    kind: str = None
    category: str = None
    fiscal_year: int | None = None
    date: str | None = Field(None, description="the document's own date; null if undated")
    received: str | None = Field(None, description="when it came into Khlang")
    match: Literal["phrase", "all", "some", None] = Field(
        None,
        description="search hits: the tier it came from -- phrase: the query verbatim; all: "
        "every content word; some: some of them (null: no query text)",
    )
    shared_terms: list[str] = None
    projects: list[str] = None
    ocr_review: OcrReview | None = Field(None, description="search hits: " + OCR_REVIEW)


class FacetValue(Answer):
    value: str
    count: int = Field(ge=1)


Facets = create_model(
    "Facets",
    __base__=Answer,
    **{name: (list[FacetValue], None) for name in FACET_FIELDS},
)


class SearchResult(Answer):
    total: int = Field(ge=0)
    hits: list[Hit]
    facets: Facets  # type: ignore[valid-type]
    suggestion: str | None = Field(None, description="did you mean (logged-in only)")
    query: dict = Field(None, description="the query as parsed")


class Similar(Answer):
    hits: list[Hit]


class ReuseBody(Body):
    text: str
    limit: int = Field(10, ge=1, le=50)


class ReuseDocument(Answer):
    document_id: int
    title: str


class ReuseProject(Answer):
    project: str = Field(description="project name")
    score: float = Field(description="sum of its similar documents' scores")
    shared_terms: list[str]
    documents: list[ReuseDocument]


class Reuse(Answer):
    hits: list[Hit]
    projects: list[ReuseProject]
