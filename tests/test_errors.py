"""service.errors: one handler answers a KhlangError raised anywhere, as the API's JSON
under /api/ and as the error page with its reason elsewhere."""

from __future__ import annotations

import pytest

from service.errors import BadArgument, KhlangError
from tests.conftest import app_for


@pytest.fixture
def client(core):
    app = app_for(core)

    def refuse():
        raise KhlangError(
            409, "item_retired", "รายการนี้ถูกยกเลิกแล้ว", "the item is retired", headers={"X-Why": "1"}
        )

    app.add_url_rule("/api/refused", "api_refused", refuse)
    app.add_url_rule("/refused", "page_refused", refuse)
    yield app.test_client()
    app.extensions["khlang"].dispose()


def test_the_api_answers_json_with_the_code_and_both_messages(client):
    response = client.get("/api/refused")
    assert response.status_code == 409
    assert response.get_json() == {
        "error": {
            "code": "item_retired",
            "message": "รายการนี้ถูกยกเลิกแล้ว",
            "message_en": "the item is retired",
        }
    }
    assert response.headers["X-Why"] == "1"


def test_a_page_answers_the_error_page_with_the_reason_in_the_users_language(client):
    response = client.get("/refused")
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    assert "รายการนี้ถูกยกเลิกแล้ว" in response.get_data(as_text=True)
    english = client.get("/refused?lang=en").get_data(as_text=True)
    assert "the item is retired" in english


def test_a_bad_argument_names_the_parameter():
    refusal = BadArgument("limit")
    assert (refusal.status, refusal.code) == (400, "bad_argument")
    assert "limit" in refusal.message_th and "limit" in refusal.message_en
