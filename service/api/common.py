"""What the API routes share: the error answer and JSON data (from service.errors and
service.actions.common); what a route reads is declared on it (service/api_models)."""

from __future__ import annotations

from service.actions.common import jsonable as _jsonable
from service.actions.documents import document_not_found
from service.errors import HTTP_ERRORS, BadArgument, error, khlang_error_response

__all__ = ["HTTP_ERRORS", "BadArgument", "_jsonable", "_not_found", "error"]


def _not_found():
    return khlang_error_response(document_not_found())
