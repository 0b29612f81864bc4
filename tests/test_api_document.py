"""The OpenAPI document made from the API's models (service/api_models) keeps every
operation, answer and security the hand-written document had, and the request checks made
from the same models answer with the API's error JSON."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from service.api_models.spec import PUBLIC, STAFF
from tests.test_service_web import build_site

# Each operation of the document as it was written by hand before the models: who may call
# it and the statuses it documents (a status dropped would fail schemathesis' checks).
OPERATIONS = {
    ("get", "/healthz"): (PUBLIC, "200 503"),
    ("get", "/api/openapi.json"): (PUBLIC, "200 401"),
    ("get", "/api/me"): (PUBLIC, "200 401"),
    ("get", "/api/search"): (PUBLIC, "200 400 401 503"),
    ("get", "/api/documents/{document_id}"): (PUBLIC, "200 401 404"),
    ("patch", "/api/documents/{document_id}"): (STAFF, "200 400 401 403 404 413"),
    ("get", "/api/documents/{document_id}/file"): (PUBLIC, "200 401 404 410 500"),
    ("get", "/api/documents/{document_id}/preview"): (PUBLIC, "200 401 404"),
    ("get", "/api/documents/{document_id}/preview/{page}.png"): (PUBLIC, "200 401 404 422"),
    ("post", "/api/bulk/links"): (STAFF, "200 400 401 403 413"),
    ("post", "/api/bulk/publication"): (STAFF, "200 400 401 403 413"),
    ("post", "/api/bulk/tags"): (STAFF, "200 400 401 403 413"),
    ("post", "/api/bulk/export"): (PUBLIC, "200 400 401 413"),
    ("get", "/api/documents/{document_id}/searchable.pdf"): (PUBLIC, "200 401 404"),
    ("get", "/api/documents/{document_id}/similar"): (PUBLIC, "200 400 401 404"),
    ("post", "/api/documents/{document_id}/publication"): (STAFF, "200 400 401 403 404 409 413"),
    ("post", "/api/documents/{document_id}/links"): (STAFF, "200 400 401 403 404 409 413"),
    ("post", "/api/documents/{document_id}/due-date"): (STAFF, "200 400 401 403 404 413"),
    ("delete", "/api/documents/{document_id}/links/{code}"): (STAFF, "200 400 401 403 404 413"),
    ("get", "/api/documents/{document_id}/suggestions"): (STAFF, "200 401 403 404"),
    ("post", "/api/reuse"): (PUBLIC, "200 400 401 413 503"),
    ("post", "/api/uploads"): (STAFF, "202 400 401 403 404 409 413"),
    ("get", "/api/jobs/{job_id}"): (STAFF, "200 401 403 404"),
    ("get", "/api/inventory"): (STAFF, "200 400 401 403"),
    ("get", "/api/inventory/template"): (STAFF, "200 401 403"),
    ("post", "/api/inventory/import"): (STAFF, "200 400 401 403 413"),
    ("post", "/api/inventory/retire"): (STAFF, "200 400 401 403 413"),
    ("get", "/api/inventory/deadlines/{fiscal_year}"): (STAFF, "200 401 403 404"),
    ("put", "/api/inventory/deadlines/{fiscal_year}"): (STAFF, "200 400 401 403 404 413"),
    ("get", "/api/gaps"): (STAFF, "200 400 401 403"),
    ("get", "/api/users"): (STAFF, "200 401 403"),
    ("post", "/api/users"): (STAFF, "201 400 401 403 409 413"),
    ("patch", "/api/users/{name}"): (STAFF, "200 400 401 403 404 409 413"),
    ("get", "/api/tokens"): (STAFF, "200 401 403"),
    ("post", "/api/tokens"): (STAFF, "201 400 401 403 413"),
    ("delete", "/api/tokens/{token_id}"): (STAFF, "200 400 401 403 404 409 413"),
}


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    site = build_site(tmp_path_factory.mktemp("document") / "data")
    try:
        yield site.app.test_client().get("/api/openapi.json").get_json()
    finally:
        site.app.extensions["khlang"].dispose()
        site.core.dispose()


@pytest.mark.parametrize(
    ("method", "path"), list(OPERATIONS), ids=[" ".join(o) for o in OPERATIONS]
)
def test_every_operation_of_the_written_document_is_generated(document, method, path):
    security, statuses = OPERATIONS[method, path]
    operation = document["paths"][path][method]
    assert set(statuses.split()) <= set(operation["responses"]), operation["responses"]
    assert operation.get("security") == security
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            assert parameter["required"] and parameter["description"], parameter


def test_the_document_is_openapi_3_1_with_valid_schemas(document):
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"].keys() == {"bearer", "session"}
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert detail["required"] == ["code", "message", "message_en"]
    # ids in paths are 32-bit rows, as the database holds them
    (document_id,) = document["paths"]["/api/documents/{document_id}"]["get"]["parameters"]
    assert document_id["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
