"""Shapes every part of the API shares: the error, ids, years and the three base models
(query strings, JSON bodies, answers)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _no_null_defaults(schema: dict, _model: type) -> None:
    # An optional field's None default says "not sent" in Python; in the document it would
    # read as a value of the wrong type (and request generators may try it).
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Answer(BaseModel):
    """A response body. Described only: answers are built by the handlers and checked
    against these models by the tests, not at run time."""

    model_config = ConfigDict(json_schema_extra=_no_null_defaults)


class Body(BaseModel):
    """A JSON request body, JSON types as sent: "5" is not a number and 5 is not a string,
    as the document says."""

    model_config = ConfigDict(strict=True, json_schema_extra=_no_null_defaults)


def _python_int(value: Any) -> Any:
    # int() as the handlers always read query integers: Thai digits ("๒๕๖๒") are digits.
    if isinstance(value, str):
        return int(value.strip())
    return value


# An integer in a query string.
QueryInt = Annotated[int, BeforeValidator(_python_int)]


class Query(BaseModel):
    """A query string. An empty or blank value counts as not sent, and values lose their
    surrounding blanks (a pasted province name often carries a space)."""

    model_config = ConfigDict(str_strip_whitespace=True, json_schema_extra=_no_null_defaults)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


# Ids are 32-bit database integers; a larger one in a path is not found (404).
ROW_ID_MAX = 2**31 - 1
RowId = Annotated[int, Field(ge=0, le=ROW_ID_MAX)]
# Fiscal years (B.E.) the service answers for; in a path, another one is not found.
FISCAL_YEAR_MIN, FISCAL_YEAR_MAX = 2400, 2700
FiscalYear = Annotated[int, Field(ge=FISCAL_YEAR_MIN, le=FISCAL_YEAR_MAX)]
Publication = Literal["internal", "checked", "approved", "published"]


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code")
    message: str = Field(description="Thai")
    message_en: str = Field(description="English")


class Error(Answer):
    """Every refusal: a stable code and the reason in Thai and English."""

    error: ErrorDetail


class OcrReview(Answer):
    """Text read by OCR with low confidence: it may be misread, and a person should check
    it against the original (or its searchable copy) before relying on it."""

    pages: list[int] = Field(
        min_length=1, description="the pages (1-based) OCR read with low confidence"
    )


OCR_REVIEW = (
    "pages of the text OCR read with low confidence (the text may be misread there); "
    "null when no page needs review or the text was not read by OCR"
)
