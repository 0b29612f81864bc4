"""The API's declarations made into the OpenAPI document and the request checks.

spectree does both from the models: ``api.validate(query=..., json=..., form=...,
resp=Answers(HTTP_200=...), security=PUBLIC or STAFF)`` on a route checks what it is sent
and describes it; the route reads what was checked from ``request.context``.
Chosen over flask-openapi3 and APIFlask because it decorates ordinary Flask views on
ordinary blueprints (the others bring their own app or blueprint classes) and speaks
pydantic v2 and OpenAPI 3.1. Two things are Khlang's own (``KhlangPlugin``):

- a request that fails its model is refused as a ``KhlangError`` (the API's error JSON, a
  Thai message and a stable code: ``bad_argument`` for the query string,
  ``<field>_required``, ``invalid_body`` or ``invalid_json`` for a body), never spectree's
  422 list, and never with the bad value in the message;
- answers are not checked at run time (the tests and schemathesis check them against the
  same models): a model a little too strict must not turn a good answer into a 500.
"""

from __future__ import annotations

import re
from copy import deepcopy
from functools import cache
from typing import Any

from flask import current_app, request
from pydantic import BaseModel, ConfigDict, ValidationError
from spectree import Response as Answers  # a route's answers by status: Answers(HTTP_200=...)
from spectree import SpecTree
from spectree.plugins.base import Context
from spectree.plugins.flask_plugin import FlaskPlugin
from werkzeug.exceptions import BadRequest

from service.api_models.common import ROW_ID_MAX, Answer, Error
from service.errors import BadArgument, KhlangError

# Security of an operation: visitors may call it (what they see may be less), or staff only.
PUBLIC: list = []
STAFF = [{"bearer": []}, {"session": []}]

# Answers any operation may give, whatever its route declares, added in one place so that
# none is forgotten (see ``_with_common_responses``).
ERRORS = {
    "400": "bad argument or body (code bad_argument, invalid_json, invalid_body, csrf_failed, ...)",
    "401": "login or an API token is needed, or the token sent is wrong (code unauthorized, "
    "bad_token, bad_authorization)",
    "403": "the role or province may not do this (code forbidden)",
    "404": "not found, or not visible to the asker (code not_found)",
    "413": "the request is larger than the service accepts (code too_large)",
}

# What each path parameter is; integer ids are 32-bit database rows.
_ROW = {"minimum": 0, "maximum": ROW_ID_MAX}
PATH_PARAMETERS = {
    "document_id": ("document id", _ROW),
    "job_id": ("job id", _ROW),
    "token_id": ("token id", _ROW),
    "page": ("1-based", {"minimum": 0, "maximum": 100_000}),
    "fiscal_year": ("fiscal year (B.E.)", {}),
    "code": ("item code", {}),
    "name": ("user name", {}),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OpenAPIDocument(Answer):
    """The OpenAPI document itself."""

    model_config = ConfigDict(extra="allow")


def first_problem(exc: ValidationError) -> tuple[list[str], str, str]:
    """Where the first problem is (field names, list positions), its kind and its message;
    never the value sent, which may be huge or what should not be echoed."""
    problem = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    return [str(part)[:100] for part in problem["loc"]], problem["type"], problem["msg"][:200]


def refusal(where: str, exc: ValidationError) -> KhlangError:
    """The refusal of a request that fails its model: ``bad_argument`` naming the query
    parameter, or for a body ``<field>_required`` or ``invalid_body`` saying where."""
    path, kind, message = first_problem(exc)
    if where == "query":
        return BadArgument(path[0] if path else "query")
    if kind == "missing" and path:
        # the code a route gives when the field is empty too: text_required, ...
        name = path[-1]
        return KhlangError(400, f"{name}_required", f"กรุณาระบุ {name}", f"{name} is required")
    at = "/".join(path) or "body"
    return KhlangError(
        400,
        "invalid_body",
        f"ข้อมูลที่ส่งมาไม่ถูกต้อง ที่ {at}",
        f"invalid request body at {at}: {message}",
    )


class KhlangPlugin(FlaskPlugin):
    """spectree's Flask plugin with the API's refusals, and answers passed on as the
    routes give them."""

    def request_validation(self, request, query, json, form, headers, cookies):
        has_body = request.method not in ("GET", "DELETE")
        request.context = Context(
            read_query(query, request.args) if query else None,
            # Only a body sent as JSON: a form post carries strings the route reads itself.
            self._checked("body", json, _json_body)
            if json and has_body and request.is_json
            else None,
            self._checked("form", form, lambda: self.fill_form(request))
            if form and has_body and request.mimetype in self.FORM_MIMETYPE
            else None,
            None,
            None,
        )

    def _checked(self, where: str, model, read):
        try:
            return self.model_adapter.validate_obj(model, read())
        except ValidationError as exc:
            raise refusal(where, exc) from None

    def validate_response(self, resp, resp_model, skip_validation, force_resp_serialize):
        return current_app.make_response(resp), None


def read_query(model: type[BaseModel], args) -> Any:
    """``args`` (the query string, or a page's own dict of it) read through ``model``, the
    first value of each name as Flask's ``args.get`` gives it; a wrong value ends in
    ``BadArgument`` naming it (400 ``bad_argument`` under /api/)."""
    try:
        return model.model_validate(args.to_dict() if hasattr(args, "to_dict") else dict(args))
    except ValidationError as exc:
        raise refusal("query", exc) from None


def _json_body() -> Any:
    try:
        return request.get_json()
    except BadRequest:
        raise KhlangError(
            400, "invalid_json", "ข้อมูลที่ส่งมาไม่ใช่ JSON", "the body is not valid JSON"
        ) from None


__all__ = ["PUBLIC", "STAFF", "Answers", "api", "document", "files", "read_query"]

api = SpecTree(
    backend=KhlangPlugin,
    mode="strict",  # only the routes declared here: pages are not part of the API
    title="Khlang (คลัง) API",
    version="1",
    description="Archive and Thai search for provincial-cluster project outputs. Visitors "
    "without credentials see published documents only. Scripts send 'Authorization: Bearer "
    "TOKEN' (khlang tokens create). Browser sessions send the page's CSRF token as "
    'X-CSRF-Token on POST and DELETE. Errors are {"error": {"code", "message" (Thai), '
    '"message_en"}}.',
    validation_error_status=400,
    validation_error_model=Error,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    annotations=False,  # routes read what was checked from request.context
)


def files(status: str, description: str, *media_types: str):
    """Declares that a route answers ``status`` with a file of one of ``media_types``
    (a download is not JSON, so it has no model)."""

    def mark(view):
        view.api_files = {**getattr(view, "api_files", {}), status: (description, media_types)}
        return view

    return mark


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /api/jobs/<int:job_id> -> /api/jobs/{job_id}."""
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)


@cache
def document() -> dict:
    """The OpenAPI 3.1 document (made once: every app has the same API routes)."""
    spec = deepcopy(api.spec)
    spec["jsonSchemaDialect"] = "https://spec.openapis.org/oas/3.1/dialect/base"
    spec["servers"] = [{"url": "/"}]
    spec["security"] = [*STAFF, {}]
    spec["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "session": {"type": "apiKey", "in": "cookie", "name": "khlang_session"},
    }
    spec.pop("tags", None)
    _add_files(spec)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            _tidy(operation)
            _with_common_responses(path, method, operation)
    return spec


def _add_files(spec: dict) -> None:
    for rule in current_app.url_map.iter_rules():
        view = _unwrapped(current_app.view_functions[rule.endpoint], "api_files")
        if view is None:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            responses = spec["paths"][openapi_path(rule.rule)][method.lower()]["responses"]
            for status, (description, media_types) in view.api_files.items():
                # beside a JSON answer the route may also give (the gap report's formats)
                answer = responses.setdefault(status, {"description": description})
                content = answer.setdefault("content", {})
                content.update({media: {"schema": {}} for media in media_types})


def _unwrapped(view, attribute: str):
    while view is not None:
        if hasattr(view, attribute):
            return view
        view = getattr(view, "__wrapped__", None)
    return None


def _tidy(operation: dict) -> None:
    for key in ("tags", "description"):
        if not operation.get(key):
            operation.pop(key, None)
    for parameter in operation.get("parameters", []):
        parameter["schema"].pop("title", None)
        if parameter["in"] == "path" and parameter["name"] in PATH_PARAMETERS:
            parameter["schema"].pop("format", None)  # int32: the ids' range says it exactly
            description, bounds = PATH_PARAMETERS[parameter["name"]]
            parameter["description"] = description
            for key, value in bounds.items():
                parameter["schema"].setdefault(key, value)


def _with_common_responses(path: str, method: str, operation: dict) -> None:
    """A wrong token (401) on every /api/ path; a role or province that may not (403) on
    every operation for staff; a missing CSRF token (400) and a body over the size limit
    (413) on every POST, PUT, PATCH and DELETE; an id that names nothing visible (404) on
    every path with parameters."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses = operation["responses"]
    codes = []
    if path.startswith("/api/"):
        codes.append("401")
    if operation.get("security") == STAFF:
        codes.append("403")
    if method in ("post", "put", "patch", "delete"):
        codes += ["400", "413"]
    if "{" in path:
        codes.append("404")
    for code in codes:
        responses.setdefault(code, {"description": ERRORS[code], **error})
    # spectree describes its validation answer as "Bad Request": say what it holds
    if responses.get("400", {}).get("description") == "Bad Request":
        responses["400"]["description"] = ERRORS["400"]
