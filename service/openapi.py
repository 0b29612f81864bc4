"""The OpenAPI 3.1 description of /api/ (served at /api/openapi.json).

Written by hand, next to the routes it describes; tests validate real responses against
these schemas and check that every /api/ route is described here.
"""

from __future__ import annotations

import re
from copy import deepcopy

from indexer.understand.kinds import KINDS
from schemas.search_index import FACET_FIELDS
from service.api_models.documents import PublicDocument

_NULLABLE_STR = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _json_body(properties: dict, required: tuple[str, ...] = ()) -> dict:
    """A required JSON request body: an object with these properties."""
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict:
    return _json(_ref("Error"), description)


ERRORS = {
    "400": _err(
        "bad argument or body (code bad_argument, invalid_json, invalid_body, csrf_failed, ...)"
    ),
    "401": _err(
        "login or an API token is needed, or the token sent is wrong (code unauthorized, "
        "bad_token, bad_authorization)"
    ),
    "403": _err("the role or province may not do this (code forbidden)"),
    "404": _err("not found, or not visible to the asker (code not_found)"),
    "413": _err("the request is larger than the service accepts (code too_large)"),
}


def _errors(*codes: str) -> dict:
    return {code: ERRORS[code] for code in codes}


def _param(name: str, schema: dict, description: str, where: str = "query", required=False):
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }


# Ids are 32-bit database integers; a larger one in a path is not found (404).
ROW_ID = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
DOC_ID = _param("document_id", ROW_ID, "document id", "path")
BULK_IDS = {"type": "array", "maxItems": 500, "items": ROW_ID}
# Fiscal years (B.E.) the service answers for; in a path, another one is not found.
FISCAL_YEAR = {"type": "integer", "minimum": 2400, "maximum": 2700}
FILTER_PARAMS = [
    _param("fiscal_year", {"type": "integer"}, "fiscal year (B.E.), e.g. 2562"),
    _param("province", {"type": "string"}, "province (Thai name)"),
    _param("project", {"type": "string"}, "project name"),
    _param("agency", {"type": "string"}, "host agency"),
    _param("category", {"type": "string"}, "file category: text, image, audio, video, ..."),
    _param("kind", {"type": "string"}, "document kind: letter, memo, minutes, guideline, ..."),
    _param("sender", {"type": "string"}, "a letter's issuing office"),
    _param("urgency", {"enum": ["ด่วนที่สุด", "ด่วนมาก", "ด่วน"]}, "a letter's urgency"),
    _param("has_deadline", {"enum": ["yes", "no", "ใช่", "ไม่"]}, "the document sets a deadline"),
]

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "message_en"],
                "properties": {
                    "code": {"type": "string", "description": "stable machine-readable code"},
                    "message": {"type": "string", "description": "Thai"},
                    "message_en": {"type": "string", "description": "English"},
                },
            }
        },
    },
    "Health": {
        "type": "object",
        "required": ["ok", "checks"],
        "properties": {
            "ok": {"type": "boolean"},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "Me": {
        "type": "object",
        "required": ["authenticated", "kind", "name", "role", "province"],
        "properties": {
            "authenticated": {"type": "boolean"},
            "kind": {"enum": ["user", "token", "anonymous"]},
            "name": _NULLABLE_STR,
            "role": {"enum": ["admin", "strategy", "dsss", "viewer", None]},
            "province": _NULLABLE_STR,
        },
    },
    "Hit": {
        "type": "object",
        "required": ["document_id", "title", "filename", "score", "snippet"],
        "properties": {
            "document_id": {"type": "integer"},
            "title": {"type": "string"},
            "filename": {"type": "string"},
            "score": {"type": "number"},
            "snippet": {"type": "string", "description": "HTML, matches in <mark>"},
            "kind": {"type": "string"},
            "category": {"type": "string"},
            "fiscal_year": _NULLABLE_INT,
            "date": {**_NULLABLE_STR, "description": "the document's own date; null if undated"},
            "received": {**_NULLABLE_STR, "description": "when it came into Khlang"},
            "match": {
                "enum": ["phrase", "all", "some", None],
                "description": "search hits: the tier it came from -- phrase: the query "
                "verbatim; all: every content word; some: some of them (null: no query text)",
            },
            "shared_terms": {"type": "array", "items": {"type": "string"}},
            "projects": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ReuseProject": {
        "type": "object",
        "required": ["project", "score", "shared_terms", "documents"],
        "properties": {
            "project": {"type": "string", "description": "project name"},
            "score": {"type": "number", "description": "sum of its similar documents' scores"},
            "shared_terms": {"type": "array", "items": {"type": "string"}},
            "documents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["document_id", "title"],
                    "properties": {
                        "document_id": {"type": "integer"},
                        "title": {"type": "string"},
                    },
                },
            },
        },
    },
    "Reuse": {
        "type": "object",
        "required": ["hits", "projects"],
        "properties": {
            "hits": {"type": "array", "items": _ref("Hit")},
            "projects": {"type": "array", "items": _ref("ReuseProject")},
        },
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    },
    "SearchResult": {
        "type": "object",
        "required": ["total", "hits", "facets"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object",
                "properties": {
                    name: {"type": "array", "items": _ref("FacetValue")} for name in FACET_FIELDS
                },
            },
            "suggestion": {**_NULLABLE_STR, "description": "did you mean (logged-in only)"},
            "query": {"type": "object", "description": "the query as parsed"},
        },
    },
    "Similar": {
        "type": "object",
        "required": ["hits"],
        "properties": {"hits": {"type": "array", "items": _ref("Hit")}},
    },
    "Event": {
        "type": "object",
        "required": ["event", "at", "outcome", "detail"],
        "properties": {
            "event": {"type": "string"},
            "at": _NULLABLE_STR,
            "agent": {"type": "string", "description": "staff only"},
            "outcome": {"type": "string"},
            "detail": {
                "type": "object",
                "description": "visitors see only from, to, mime, category, size, sha256",
            },
        },
    },
    "Link": {
        "type": "object",
        "required": ["code", "title"],
        "properties": {
            "code": {"type": "string"},
            "title": {"type": "string"},
            "project": _NULLABLE_STR,
            "activity": _NULLABLE_STR,
            "fiscal_year": _NULLABLE_INT,
            "method": {"type": "string", "description": "staff only"},
            "linked_by": {"type": "string", "description": "staff only"},
            "linked_at": {"type": "string", "description": "staff only"},
        },
    },
    "Document": {
        "type": "object",
        "required": list(PublicDocument.model_fields),  # what every asker gets
        "description": "Visitors get the public view: no submissions, no agents, no "
        "server paths, no classifier evidence, references only to published letters.",
        "properties": {
            "document_id": {"type": "integer"},
            "title": {"type": "string"},
            "filename": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {"type": "integer"},
            "mime": {"type": "string"},
            "category": {"type": "string"},
            "kind": {"type": "string"},
            "fiscal_year": _NULLABLE_INT,
            "document_date": _NULLABLE_STR,
            "publication": {"enum": ["internal", "checked", "approved", "published"]},
            "created_at": {"type": "string"},
            "metadata": {"type": "object"},
            "links": {"type": "array", "items": _ref("Link")},
            "submissions": {
                "type": "array",
                "items": {"type": "object"},
                "description": "staff only",
            },
            "provenance": {"type": "array", "items": _ref("Event")},
            "notes": {"type": "string", "description": "staff only"},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "staff only"},
            "text": {"type": "string"},
        },
    },
    "BulkResult": {
        "type": "object",
        "required": ["done", "failed", "results"],
        "properties": {
            "done": {"type": "integer", "minimum": 0},
            "failed": {"type": "integer", "minimum": 0},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["document_id", "ok", "code"],
                    "properties": {
                        "document_id": {"type": "integer"},
                        "ok": {"type": "boolean"},
                        "code": {"type": "string"},
                        "message": {"type": "string", "description": "why not (Thai)"},
                        "message_en": {"type": "string"},
                    },
                },
            },
        },
    },
    "Preview": {
        "type": "object",
        "required": ["document_id", "kind", "pages", "page_urls"],
        "properties": {
            "document_id": {"type": "integer"},
            "kind": {"enum": ["pdf", "office", "image", "none"]},
            "pages": {"type": "integer", "minimum": 0},
            "page_urls": {"type": "array", "items": {"type": "string"}},
            "error": {
                "type": "object",
                "description": "why the original cannot be shown (Thai and English)",
                "properties": {"message": {"type": "string"}, "message_en": {"type": "string"}},
            },
        },
    },
    "PublicationResult": {
        "type": "object",
        "required": ["document_id", "publication", "event"],
        "properties": {
            "document_id": {"type": "integer"},
            "publication": {"enum": ["internal", "checked", "approved", "published"]},
            "event": _ref("Event"),
        },
    },
    "Links": {
        "type": "object",
        "required": ["document_id", "links"],
        "properties": {
            "document_id": {"type": "integer"},
            "links": {"type": "array", "items": _ref("Link")},
        },
    },
    "Suggestions": {
        "type": "object",
        "required": ["suggestions"],
        "properties": {
            "suggestions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "score", "reasons"],
                    "properties": {
                        "code": {"type": "string"},
                        "score": {"type": "number"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                        "deliverable": _NULLABLE_STR,
                        "project": _NULLABLE_STR,
                        "activity": _NULLABLE_STR,
                        "province": _NULLABLE_STR,
                        "fiscal_year": {"type": ["integer", "null"]},
                    },
                },
            }
        },
    },
    "JobAccepted": {
        "type": "object",
        "required": ["job_id", "status_url", "files"],
        "properties": {
            "job_id": {"type": "integer"},
            "status_url": {"type": "string"},
            "files": {"type": "integer"},
        },
    },
    "Job": {
        "type": "object",
        "required": ["job_id", "status", "agent", "total", "done", "counts", "files"],
        "properties": {
            "job_id": {"type": "integer"},
            "status": {"type": "string", "description": "running, finished, failed, ..."},
            "agent": {"type": "string"},
            "created_at": {"type": "string"},
            "finished_at": _NULLABLE_STR,
            "total": {"type": "integer"},
            "done": {"type": "integer"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "files": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "status", "document_id", "error"],
                    "properties": {
                        "path": {"type": "string"},
                        "status": {
                            "enum": ["ingested", "duplicate", "stored-without-text", "rejected"]
                        },
                        "document_id": _NULLABLE_INT,
                        "sha256": _NULLABLE_STR,
                        "error": _NULLABLE_STR,
                        "warnings": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "e.g. stored but not yet searchable (Thai, then "
                            "English in parentheses)",
                        },
                    },
                },
            },
            "error": _NULLABLE_STR,
        },
    },
    "InventoryItem": {
        "type": "object",
        "required": ["code", "fiscal_year", "project", "deliverable", "quantity"],
        "properties": {
            "code": {"type": "string"},
            "fiscal_year": {"type": "integer"},
            "cluster": _NULLABLE_STR,
            "province": _NULLABLE_STR,
            "project_code": _NULLABLE_STR,
            "project": {"type": "string"},
            "activity": _NULLABLE_STR,
            "host_agency": _NULLABLE_STR,
            "deliverable": {"type": "string"},
            "type": _NULLABLE_STR,
            "quantity": {"type": "integer"},
            "due_date": _NULLABLE_STR,
            "due_date_th": _NULLABLE_STR,
            "received": {"type": "integer"},
        },
    },
    "InventoryList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("InventoryItem")}},
    },
    "ImportResult": {
        "type": "object",
        "required": ["filename", "ok", "rows", "created", "updated", "unchanged", "errors"],
        "properties": {
            "filename": {"type": "string"},
            "ok": {"type": "boolean"},
            "committed": {"type": "boolean"},
            "rows": {"type": "integer"},
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "unchanged": {"type": "integer"},
            "errors": {"type": "array", "items": {"type": "object"}},
            "warnings": {"type": "array", "items": {"type": "object"}},
            "strict": {"type": "boolean"},
            "prune": {"type": "boolean"},
            "prune_skipped": {
                "type": "boolean",
                "description": "prune asked but rows had errors: nothing retired",
            },
            "absent": {"type": "array", "items": {"type": "string"}},
            "restored": {"type": "array", "items": {"type": "string"}},
            "retired": {"type": "array", "items": {"type": "string"}},
        },
    },
    "RetireResult": {
        "type": "object",
        "required": ["retired", "already_retired", "not_found"],
        "properties": {
            name: {"type": "array", "items": {"type": "string"}}
            for name in ("retired", "already_retired", "not_found")
        },
    },
    "ProcessDeadlines": {
        "type": "object",
        "required": ["fiscal_year", "inventory_to_dsss", "dsss_to_cluster", "configured"],
        "properties": {
            "fiscal_year": {"type": "integer"},
            "inventory_to_dsss": {"type": "string", "format": "date"},
            "dsss_to_cluster": {"type": "string", "format": "date"},
            "configured": {
                "type": "object",
                "properties": {
                    "inventory_to_dsss": {"type": "boolean"},
                    "dsss_to_cluster": {"type": "boolean"},
                },
            },
        },
    },
    "GapGroup": {
        "type": "object",
        "required": ["name", "items", "expected", "covered", "completeness"],
        "properties": {
            "name": {"type": "string"},
            "items": {"type": "integer"},
            "expected": {"type": "integer"},
            "covered": {"type": "integer"},
            "completeness": {"type": "number", "minimum": 0, "maximum": 1},
            "received": {"type": "integer"},
            "partial": {"type": "integer"},
            "missing": {"type": "integer"},
            "overdue": {"type": "integer"},
        },
    },
    "GapReport": {
        "type": "object",
        "required": ["fiscal_year", "as_of", "items", "by_province", "by_agency", "summary"],
        "properties": {
            "fiscal_year": {"type": "integer"},
            "as_of": {"type": "string", "format": "date"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "code",
                        "deliverable",
                        "quantity",
                        "received",
                        "unconfirmed",
                        "status",
                    ],
                    "properties": {
                        "code": {"type": "string"},
                        "deliverable": {"type": "string"},
                        "quantity": {"type": "integer"},
                        "received": {"type": "integer"},
                        "unconfirmed": {
                            "type": "integer",
                            "description": "of received: linked by suggestion, not confirmed",
                        },
                        "status": {"enum": ["received", "partial", "missing", "overdue"]},
                    },
                },
            },
            "by_province": {"type": "array", "items": _ref("GapGroup")},
            "by_agency": {"type": "array", "items": _ref("GapGroup")},
            "unexpected": {"type": "array"},
            "projects": {"type": "array"},
            "summary": {
                "type": "object",
                "required": ["items", "completeness", "unconfirmed_items"],
                "properties": {
                    "items": {"type": "integer"},
                    "completeness": {"type": "number"},
                    "unconfirmed_items": {"type": "integer"},
                    "unconfirmed_links": {"type": "integer"},
                },
            },
        },
    },
}

BEARER = [{"bearer": []}, {"session": []}]

# --- accounts (admins): users and API tokens --------------------------------------------------
_ROLE = {"enum": ["admin", "strategy", "dsss", "viewer"]}
_ACCOUNT_CONFLICT = _err(
    "a user of that name exists (user_exists), or an admin acting on their own account or "
    "token (own_account, own_token)"
)
SCHEMAS.update(
    {
        "User": {
            "type": "object",
            "required": ["name", "role", "province", "active"],
            "properties": {
                "name": {"type": "string"},
                "role": _ROLE,
                "province": _NULLABLE_STR,
                "active": {"type": "boolean"},
                "created_at": _NULLABLE_STR,
            },
        },
        "Token": {
            "type": "object",
            "required": ["id", "name", "role", "revoked", "last_used_at"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "role": _ROLE,
                "province": _NULLABLE_STR,
                "revoked": {"type": "boolean"},
                "created_at": _NULLABLE_STR,
                "last_used_at": _NULLABLE_STR,
                "token": {
                    "type": "string",
                    "description": "the secret: in the answer to POST /api/tokens only, once",
                },
            },
        },
    }
)
ACCOUNT_PATHS = {
    "/api/users": {
        "get": {
            "summary": "Every user account (admin)",
            "security": BEARER,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["users"],
                        "properties": {"users": {"type": "array", "items": _ref("User")}},
                    }
                ),
                **_errors("401", "403"),
            },
        },
        "post": {
            "summary": "Create a user (admin); an event records it",
            "security": BEARER,
            "requestBody": _json_body(
                {
                    "name": {"type": "string"},
                    "role": {"type": "string", "description": "admin, strategy, dsss, viewer"},
                    "password": {"type": "string", "description": "at least 8 characters"},
                    "province": {
                        "type": ["string", "null"],
                        "description": "required for dsss",
                    },
                },
                required=("name", "role", "password"),
            ),
            "responses": {
                "201": _json(_ref("User"), "created"),
                "409": _ACCOUNT_CONFLICT,
                **_errors("400", "401", "403"),
            },
        },
    },
    "/api/users/{name}": {
        "patch": {
            "summary": "Change a user's role, province, password or active flag (admin); "
            "any change but re-activation ends the user's sessions; an event names the old "
            "and new values",
            "security": BEARER,
            "parameters": [_param("name", {"type": "string"}, "user name", "path")],
            "requestBody": _json_body(
                {
                    "role": {"type": "string"},
                    "province": {"type": ["string", "null"]},
                    "password": {"type": "string"},
                    "active": {"type": "boolean"},
                }
            ),
            "responses": {
                "200": _json(_ref("User")),
                "409": _ACCOUNT_CONFLICT,
                **_errors("400", "401", "403"),
            },
        }
    },
    "/api/tokens": {
        "get": {
            "summary": "Every API token, with when it was last used (admin)",
            "security": BEARER,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["tokens"],
                        "properties": {"tokens": {"type": "array", "items": _ref("Token")}},
                    }
                ),
                **_errors("401", "403"),
            },
        },
        "post": {
            "summary": "Create an API token (admin); the answer's token is shown this once",
            "security": BEARER,
            "requestBody": _json_body(
                {
                    "name": {"type": "string"},
                    "role": {"type": "string"},
                    "province": {"type": ["string", "null"]},
                },
                required=("name", "role"),
            ),
            "responses": {"201": _json(_ref("Token"), "created"), **_errors("400", "401", "403")},
        },
    },
    "/api/tokens/{token_id}": {
        "delete": {
            "summary": "Revoke an API token (admin); a token cannot revoke itself",
            "security": BEARER,
            "parameters": [_param("token_id", ROW_ID, "token id", "path")],
            "responses": {
                "200": _json(_ref("Token")),
                "409": _ACCOUNT_CONFLICT,
                **_errors("401", "403"),
            },
        }
    },
}

PATHS = {
    "/healthz": {
        "get": {
            "summary": "Health of the database, the store and the index",
            "security": [],
            "responses": {"200": _json(_ref("Health")), "503": _json(_ref("Health"), "unhealthy")},
        }
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": _json({"type": "object"})},
        }
    },
    "/api/me": {
        "get": {
            "summary": "Who the API thinks you are",
            "security": [],
            "responses": {"200": _json(_ref("Me")), **_errors("401")},
        }
    },
    "/api/search": {
        "get": {
            "summary": "Search in Thai (or English); visitors get published documents only",
            "security": [],
            "parameters": [
                _param("q", {"type": "string"}, "query; see the query language"),
                _param("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "hits per page"),
                _param("offset", {"type": "integer", "minimum": 0}, "hits to skip"),
                _param("sort", {"enum": ["relevance", "date"]}, "order"),
                _param(
                    "match",
                    {"enum": ["default", "all", "any", "strict"], "default": "default"},
                    "default: documents with the query verbatim, then those with every "
                    "content word, then those with some (each hit's match says which); all: "
                    "each unbroken Thai run is a phrase, documents with every one first; "
                    "any: the default's former name; strict: all's former name",
                ),
                *FILTER_PARAMS,
            ],
            "responses": {
                "200": _json(_ref("SearchResult")),
                **_errors("400", "401"),
                "503": _err("the search index is damaged and is being rebuilt (index_damaged)"),
            },
        }
    },
    "/api/documents/{document_id}": {
        "get": {
            "summary": "A document with metadata, text, links and provenance",
            "security": [],
            "parameters": [DOC_ID],
            "responses": {"200": _json(_ref("Document")), **_errors("401", "404")},
        },
        "patch": {
            "summary": "Correct the description: title, kind, fiscal year, project, activity, "
            "notes, tags (strategy and admin; dsss for their own province's documents). "
            "Each change is an `edited` provenance event with old and new values and the "
            "agent; the search index follows.",
            "security": BEARER,
            "parameters": [DOC_ID],
            "requestBody": _json_body(
                {
                    "title": {"type": "string", "minLength": 1, "maxLength": 1000},
                    "kind": {"enum": list(KINDS)},
                    "fiscal_year": {**FISCAL_YEAR, "type": ["integer", "null"]},
                    "project": _NULLABLE_STR,
                    "activity": _NULLABLE_STR,
                    "notes": _NULLABLE_STR,
                    "tags": {
                        "type": "array",
                        "maxItems": 50,
                        "items": {"type": "string", "maxLength": 100},
                    },
                }
            ),
            "responses": {
                "200": _json(_ref("Document"), "the updated document"),
                **_errors("400", "401", "403", "404"),
            },
        },
    },
    "/api/documents/{document_id}/file": {
        "get": {
            "summary": "Download the preserved original",
            "security": [],
            "parameters": [DOC_ID],
            "responses": {
                "200": {
                    "description": "the original bytes, as the type identified from them",
                    "content": {"*/*": {"schema": {}}},
                },
                **_errors("401", "404"),
                "410": _err("the preserved object is missing"),
                "500": _err(
                    "the preserved object is corrupt (object_corrupt): its bytes no longer match "
                    "their hash; not served, a failed fixity check is recorded"
                ),
            },
        }
    },
    "/api/documents/{document_id}/preview": {
        "get": {
            "summary": "The preview of the original: its kind (pdf, office, image, none), "
            "page count and page image URLs (access as the download)",
            "security": [],
            "parameters": [DOC_ID],
            "responses": {"200": _json(_ref("Preview")), **_errors("401", "404")},
        }
    },
    "/api/documents/{document_id}/preview/{page}.png": {
        "get": {
            "summary": "One page of the preview as a PNG, rendered from the original and "
            "cached as a derived file (the original is only read)",
            "security": [],
            "parameters": [
                DOC_ID,
                _param(
                    "page", {"type": "integer", "minimum": 0, "maximum": 100000}, "1-based", "path"
                ),
            ],
            "responses": {
                "200": {"description": "the page", "content": {"image/png": {"schema": {}}}},
                **_errors("401", "404"),
                "422": _err("the original cannot be rendered (preview_failed), with the reason"),
            },
        }
    },
    "/api/bulk/links": {
        "post": {
            "summary": "Link, confirm or unlink many documents, each to its own item (a ZIP's "
            "members, suggestions); each entry checked as one link (dsss: own province)",
            "security": BEARER,
            "requestBody": _json_body(
                {
                    "links": {
                        "type": "array",
                        "maxItems": 500,
                        "items": {
                            "type": "object",
                            "required": ["document_id", "item_code"],
                            "properties": {
                                "document_id": ROW_ID,
                                "item_code": {"type": "string"},
                                "op": {"enum": ["link", "confirm", "unlink"]},
                            },
                        },
                    }
                },
                ("links",),
            ),
            "responses": {"200": _json(_ref("BulkResult")), **_errors("400", "401", "403")},
        }
    },
    "/api/bulk/publication": {
        "post": {
            "summary": "One publication step for each selected document (same rules as one: "
            "the approver is not the checker)",
            "security": BEARER,
            "requestBody": _json_body(
                {
                    "document_ids": BULK_IDS,
                    "action": {"enum": ["check", "approve", "publish", "withdraw"]},
                    "note": {"type": "string"},
                },
                ("document_ids", "action"),
            ),
            "responses": {"200": _json(_ref("BulkResult")), **_errors("400", "401", "403")},
        }
    },
    "/api/bulk/tags": {
        "post": {
            "summary": "Add tags to each selected document (an edit event each)",
            "security": BEARER,
            "requestBody": _json_body(
                {
                    "document_ids": BULK_IDS,
                    "tags": {
                        "type": "array",
                        "maxItems": 50,
                        "items": {"type": "string", "maxLength": 100},
                    },
                },
                ("document_ids", "tags"),
            ),
            "responses": {"200": _json(_ref("BulkResult")), **_errors("400", "401", "403")},
        }
    },
    "/api/bulk/export": {
        "post": {
            "summary": "The selected documents as XLSX (real date cells, Thai B.E. format, "
            "frozen header, filters, A4 landscape) or CSV; visitors: published ones only",
            "security": [],
            "requestBody": _json_body(
                {"document_ids": BULK_IDS, "format": {"enum": ["xlsx", "csv"]}},
                ("document_ids",),
            ),
            "responses": {
                "200": {
                    "description": "the file",
                    "content": {
                        "text/csv": {"schema": {}},
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {}
                        },
                    },
                },
                **_errors("400", "401"),
            },
        }
    },
    "/api/documents/{document_id}/searchable.pdf": {
        "get": {
            "summary": "Download a scan's searchable copy (OCR text as an invisible layer)",
            "security": [],
            "parameters": [DOC_ID],
            "responses": {
                "200": {
                    "description": "the original's pages with the recognised text laid over",
                    "content": {"application/pdf": {"schema": {}}},
                },
                **_errors("401", "404"),
            },
        }
    },
    "/api/documents/{document_id}/similar": {
        "get": {
            "summary": "Documents similar to this one, with shared terms",
            "security": [],
            "parameters": [
                DOC_ID,
                _param("limit", {"type": "integer", "minimum": 1, "maximum": 50}, "how many"),
            ],
            "responses": {"200": _json(_ref("Similar")), **_errors("400", "401", "404")},
        }
    },
    "/api/documents/{document_id}/publication": {
        "post": {
            "summary": "One step of the approval chain (seed 001): check, approve, publish; "
            "or withdraw (admin)",
            "security": BEARER,
            "parameters": [DOC_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["action"],
                            "properties": {
                                "action": {"enum": ["check", "approve", "publish", "withdraw"]},
                                "note": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_ref("PublicationResult")),
                **_errors("400", "401", "403", "404"),
                "409": _err("wrong state (invalid_transition) or same checker (same_agent)"),
            },
        }
    },
    "/api/documents/{document_id}/links": {
        "post": {
            "summary": "Link the document to an inventory item (dsss: own province only)",
            "security": BEARER,
            "parameters": [DOC_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["item_code"],
                            "properties": {
                                "item_code": {"type": "string"},
                                "method": {"enum": ["manual", "confirmed"]},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_ref("Links")),
                **_errors("400", "401", "403", "404"),
                "409": _err("a bundle (link its members) or a retired item (code not_linkable)"),
            },
        }
    },
    "/api/documents/{document_id}/due-date": {
        "post": {
            "summary": "Use a date (e.g. a deadline this letter sets) as an item's due date",
            "security": BEARER,
            "parameters": [DOC_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["item_code", "due_date"],
                            "properties": {
                                "item_code": {"type": "string"},
                                "due_date": {
                                    "type": "string",
                                    "description": "ISO or as staff write it: ๓๐ มิ.ย. ๒๕๖๖",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_ref("InventoryItem")),
                **_errors("400", "401", "403", "404"),
            },
        }
    },
    "/api/documents/{document_id}/links/{code}": {
        "delete": {
            "summary": "Unlink (the link is kept, inactive, with an event)",
            "security": BEARER,
            "parameters": [DOC_ID, _param("code", {"type": "string"}, "item code", "path")],
            "responses": {"200": _json(_ref("Links")), **_errors("401", "403", "404")},
        }
    },
    "/api/documents/{document_id}/suggestions": {
        "get": {
            "summary": "Inventory items this document may fulfil",
            "security": BEARER,
            "parameters": [DOC_ID],
            "responses": {"200": _json(_ref("Suggestions")), **_errors("401", "403", "404")},
        }
    },
    "/api/reuse": {
        "post": {
            "summary": "Paste a new project's description; get the most similar past "
            "documents and projects, with the key terms they share",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["text"],
                            "properties": {
                                "text": {"type": "string"},
                                "limit": {"type": "integer", "minimum": 1, "maximum": 50},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_ref("Reuse")),
                **_errors("400", "401"),
                "503": _err("the search index is damaged and is being rebuilt (index_damaged)"),
            },
        }
    },
    "/api/uploads": {
        "post": {
            "summary": "Upload files or ZIP bundles; ingestion runs as a job (admin, dsss)",
            "security": BEARER,
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["files"],
                            "properties": {
                                "files": {
                                    "type": "array",
                                    "items": {
                                        "type": "string",
                                        "contentMediaType": "application/octet-stream",
                                    },
                                },
                                "item_code": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": _json(_ref("JobAccepted"), "accepted; poll status_url"),
                **_errors("400", "401", "403", "404"),
                "409": _err("the item is retired (code item_retired)"),
                "413": _err("too large (code too_large)"),
            },
        }
    },
    "/api/jobs/{job_id}": {
        "get": {
            "summary": "Progress and per-file results of an upload job (its owner, strategy, admin)",
            "security": BEARER,
            "parameters": [_param("job_id", ROW_ID, "job id", "path")],
            "responses": {"200": _json(_ref("Job")), **_errors("401", "403", "404")},
        }
    },
    "/api/inventory": {
        "get": {
            "summary": "Inventory items with counts received",
            "security": BEARER,
            "parameters": [
                _param(
                    "fiscal_year",
                    {"type": "integer", "minimum": 0, "maximum": 9999},
                    "fiscal year (B.E.); 0 for every year",
                ),
                _param("province", {"type": "string"}, "province"),
                _param("project", {"type": "string"}, "project name (part of)"),
            ],
            "responses": {"200": _json(_ref("InventoryList")), **_errors("400", "401", "403")},
        }
    },
    "/api/inventory/template": {
        "get": {
            "summary": "The XLSX template for inventory lists",
            "security": BEARER,
            "responses": {
                "200": {
                    "description": "XLSX",
                    "content": {
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {}
                        }
                    },
                },
                **_errors("401", "403"),
            },
        }
    },
    "/api/inventory/import": {
        "post": {
            "summary": "Import an inventory list (XLSX or CSV; strategy, admin)",
            "security": BEARER,
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "string",
                                    "contentMediaType": "application/octet-stream",
                                },
                                "strict": {
                                    "type": "string",
                                    "description": "true: all or nothing (nothing is "
                                    "imported when any row has an error)",
                                },
                                "prune": {
                                    "type": "string",
                                    "description": "true: retire the items of the file's "
                                    "projects that the file no longer lists (only when no "
                                    "row has an error)",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {"200": _json(_ref("ImportResult")), **_errors("400", "401", "403")},
        }
    },
    "/api/inventory/retire": {
        "post": {
            "summary": "Retire (withdraw) items: they leave the gap report and the suggestions, "
            "keep their links and history (strategy, admin)",
            "security": BEARER,
            "requestBody": _json_body(
                {
                    "codes": {"type": "array", "items": {"type": "string"}},
                    "reason": {"type": "string"},
                },
                required=("codes",),
            ),
            "responses": {"200": _json(_ref("RetireResult")), **_errors("400", "401", "403")},
        }
    },
    "/api/inventory/deadlines/{fiscal_year}": {
        "get": {
            "summary": "The process deadlines of a fiscal year (inventory to DSSS, DSSS to "
            "the cluster office)",
            "security": BEARER,
            "parameters": [_param("fiscal_year", FISCAL_YEAR, "fiscal year (B.E.)", "path")],
            "responses": {"200": _json(_ref("ProcessDeadlines")), **_errors("401", "403")},
        },
        "put": {
            "summary": "Set a fiscal year's process deadlines (strategy, admin)",
            "security": BEARER,
            "parameters": [_param("fiscal_year", FISCAL_YEAR, "fiscal year (B.E.)", "path")],
            "requestBody": _json_body(
                {
                    "inventory_to_dsss": {
                        "type": "string",
                        "description": "a date as staff write it: '๓๑ ต.ค. ๒๕๖๒', '31/10/2562', ISO",
                    },
                    "dsss_to_cluster": {"type": "string"},
                }
            ),
            "responses": {
                "200": _json(_ref("ProcessDeadlines")),
                **_errors("400", "401", "403"),
            },
        },
    },
    "/api/gaps": {
        "get": {
            "summary": "Gap report: expected against received (dsss: own province only)",
            "security": BEARER,
            "parameters": [
                _param("fiscal_year", FISCAL_YEAR, "fiscal year (B.E.)", required=True),
                _param("province", {"type": "string"}, "province"),
                _param("cluster", {"type": "string"}, "provincial cluster"),
                _param("agency", {"type": "string"}, "host agency"),
                _param("project", {"type": "string"}, "project"),
                _param(
                    "as_of",
                    {"type": "string"},
                    "evaluate the report on this day; a date as staff write it "
                    "('๑ ธ.ค. ๒๕๖๒', '1/12/2562') or ISO",
                ),
                _param("format", {"enum": ["json", "csv", "xlsx"]}, "answer format"),
            ],
            "responses": {
                "200": {
                    "description": "the report",
                    "content": {
                        "application/json": {"schema": _ref("GapReport")},
                        "text/csv": {"schema": {"type": "string"}},
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {}
                        },
                    },
                },
                **_errors("400", "401", "403"),
            },
        }
    },
}
PATHS.update(ACCOUNT_PATHS)


def _with_common_responses(paths: dict) -> dict:
    """Answers any operation may give, whatever its handler does, added in one place so
    that none is forgotten: a wrong token (401) on every /api/ path; a missing CSRF token
    (400) and a body over the size limit (413) on every POST, PUT and DELETE; an id that
    names nothing visible (404) on every path with parameters."""
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path.startswith("/api/"):
                responses.setdefault("401", ERRORS["401"])
            if method in ("post", "put", "patch", "delete"):
                responses.setdefault("400", ERRORS["400"])
                responses.setdefault("413", ERRORS["413"])
            if "{" in path:
                responses.setdefault("404", ERRORS["404"])
    return paths


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /api/jobs/<int:job_id> -> /api/jobs/{job_id}."""
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)


def json_body_schema(rule: str, method: str) -> dict | None:
    """The JSON request body schema of an operation (with the components its $refs
    need), or None when the operation takes no JSON body."""
    operation = PATHS.get(openapi_path(rule), {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return None
    return {**schema, "components": {"schemas": SCHEMAS}}


def spec() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Khlang (คลัง) API",
            "version": "1",
            "description": "Archive and Thai search for provincial-cluster project outputs. "
            "Visitors without credentials see published documents only. Scripts send "
            "'Authorization: Bearer TOKEN' (khlang tokens create). Browser sessions send "
            "the page's CSRF token as X-CSRF-Token on POST and DELETE. Errors are "
            '{"error": {"code", "message" (Thai), "message_en"}}.',
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}, {}],
        "paths": _with_common_responses(deepcopy(PATHS)),
        "components": {
            "schemas": deepcopy(SCHEMAS),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "khlang_session"},
            },
        },
    }
