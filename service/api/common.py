"""What the API routes share: the error answer and the readers of request arguments (the
same as the pages', from service.errors and service.actions.common)."""

from __future__ import annotations

from service.actions.common import int_arg as _int_arg
from service.actions.common import jsonable as _jsonable
from service.actions.documents import document_not_found
from service.errors import HTTP_ERRORS, BadArgument, error, khlang_error_response

__all__ = ["HTTP_ERRORS", "BadArgument", "_int_arg", "_jsonable", "_not_found", "error"]


def _not_found():
    return khlang_error_response(document_not_found())
