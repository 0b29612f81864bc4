"""The one accessor for the application's Khlang core (the database, store and index that
``create_app`` opened), for any code running inside a request or app context."""

from __future__ import annotations

from flask import current_app

from indexer.core import Khlang


def core() -> Khlang:
    return current_app.extensions["khlang"]
