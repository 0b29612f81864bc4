"""Issue 6: the API explored by schemathesis against its own OpenAPI document.

Through the Flask app (WSGI, no network), as an administrator's API token, with a bounded
number of generated requests per operation: no answer may be a server error, every status
must be documented for its operation, and every body must conform to its schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from schemas.models import Batch
from service.api import bp as api_blueprint
from service.api_models.spec import document
from service.auth import create_token
from tests.test_service_web import build_site, wait_for_jobs

# Enough to reach every branch the schemas describe; small enough that the whole module
# runs in about twenty seconds on two cores.
EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    site = build_site(tmp_path_factory.mktemp("schemathesis") / "data")
    site.token = create_token(site.core, "schemathesis", "admin")
    with site.core.sessions() as session:
        site.job_id = session.scalar(select(Batch.id).order_by(Batch.id))
    yield site
    wait_for_jobs(site.core)  # uploads the test made are still being ingested
    site.app.extensions["khlang"].dispose()
    site.core.dispose()


@pytest.fixture(scope="module")
def api_schema(archive):
    """The document the service serves at /api/openapi.json, loaded through the app."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", archive.app)
    # The admin token below, not credentials generated from the security schemes.
    schema.config.generation.update(with_security_parameters=False)
    return schema


def aimed_at_the_archive(operation, archive):
    """Generated requests, about half of them made to name what the archive holds (its
    documents, jobs and inventory codes): random ids alone would only ever be 404s."""
    real = {
        "document_id": sorted(archive.ids.values()),
        "job_id": [archive.job_id],
        "code": sorted(archive.items.values()),
        "item_code": sorted(archive.items.values()),
    }

    def aim(case, at_real_things: bool, pick: int):
        if at_real_things:
            for name in case.path_parameters.keys() & real.keys():
                case.path_parameters[name] = real[name][pick % len(real[name])]
            if isinstance(case.body, dict) and "item_code" in case.body:
                case.body["item_code"] = real["item_code"][pick % len(real["item_code"])]
        return case

    return st.builds(
        aim,
        operation.as_strategy(GenerationMode.POSITIVE),
        st.booleans(),
        st.integers(min_value=0, max_value=10),
    )


def served_operations() -> list[tuple[str, str]]:
    """Every operation of the document the service serves (made from the API's blueprint
    alone: the list is needed before any test builds an app)."""
    app = Flask(__name__)
    app.register_blueprint(api_blueprint)
    with app.app_context():
        paths = document()["paths"]
    return [(path, method) for path, methods in paths.items() for method in methods]


# One test per operation (schemathesis' own pytest loader does not run under pytest 9),
# listed from the same description the service serves.
OPERATIONS = served_operations()


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_the_api_answers_as_its_openapi_document_says(api_schema, archive, path, method):
    operation = api_schema[path][method.upper()]
    # identity: the WSGI transport does not undo the gzip the service gives slow links
    headers = {"Authorization": f"Bearer {archive.token}", "Accept-Encoding": "identity"}

    # Valid requests only (malformed ones have their own tests), the same ones on every
    # run, so that a failure here is reproducible.
    @given(case=aimed_at_the_archive(operation, archive))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()
