"""The OpenAPI document made from the API's models (service/api_models) keeps every
operation, answer and security the hand-written document had, and the request checks made
from the same models answer with the API's error JSON: a stable code, a Thai message, and
never the bad value itself."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from service.api_models.spec import PUBLIC, STAFF
from service.auth import create_token
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
def site(tmp_path_factory):
    site = build_site(tmp_path_factory.mktemp("document") / "data")
    token = create_token(site.core, "models", "admin")
    site.headers = {"Authorization": f"Bearer {token}"}
    yield site
    site.app.extensions["khlang"].dispose()
    site.core.dispose()


@pytest.fixture(scope="module")
def document(site):
    return site.app.test_client().get("/api/openapi.json").get_json()


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


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    problem = response.get_json()["error"]
    assert problem["code"] == code and problem["message"] and problem["message_en"], problem
    return problem


def test_query_strings_are_read_through_their_models(site):
    client = site.app.test_client()
    # blank is not sent; Thai digits are digits, as int() reads them
    answer = client.get("/api/search", query_string={"q": "", "limit": "", "fiscal_year": "๒๕๖๒"})
    assert answer.status_code == 200, answer.text
    problem = refused(client.get("/api/search?limit=101"), 400, "bad_argument")
    assert problem["message"] == "ค่า limit ไม่ถูกต้อง" and "limit" in problem["message_en"]
    refused(client.get("/api/search?urgency=soon"), 400, "bad_argument")
    refused(client.get("/api/gaps", headers=site.headers), 400, "bad_argument")
    # a huge bad value is named, not echoed
    problem = refused(client.get("/api/search?offset=" + "9" * 20000), 400, "bad_argument")
    assert len(str(problem)) < 300


def test_bodies_are_checked_against_their_models(site):
    client = site.app.test_client()
    document_id = next(iter(site.ids.values()))
    path = f"/api/documents/{document_id}/links"
    problem = refused(
        client.post(path, json={"item_code": ["ก" * 50000]}, headers=site.headers),
        400,
        "invalid_body",
    )
    assert "item_code" in problem["message"] and "item_code" in problem["message_en"]
    assert "กกก" not in str(problem) and len(str(problem)) < 500
    refused(
        client.post(path, json={"method": "manual"}, headers=site.headers),
        400,
        "item_code_required",
    )
    # JSON types as sent: "5" is not a number
    refused(
        client.post("/api/reuse", json={"text": "ประปา", "limit": "5"}, headers=site.headers),
        400,
        "invalid_body",
    )
    refused(
        client.post(path, data="{", content_type="application/json", headers=site.headers),
        400,
        "invalid_json",
    )
