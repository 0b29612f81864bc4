"""Server-rendered pages (Thai first), one blueprint per resource: search (and reuse),
documents, uploads, inventory, gaps; nested in the ``pages`` blueprint, whose template
context (layout.py) every page shares. Endpoints read ``pages.<resource>.<function>``.
The home page, the admin's accounts, bulk work on a selection, preservation and the report
settings are blueprints of their own (endpoints ``home.*``, ``admin.*``, ``bulk.*``,
``preservation.*``, ``report_settings.*``).

Every page asks the same access questions as the API (service.access, service.auth) and
does its work through service.actions; nothing is hidden only by leaving a button out.

May import: flask, indexer, schemas, and service.access, actions, auth, context,
disposition, errors, i18n, preview_view and report_format (and the app factory, to render
the printable gap report for the CLI); never service.api.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from service.pages import (
    admin,
    bulk,
    documents,
    gaps,
    home,
    inventory,
    layout,
    preservation,
    report_settings,
    search,
    uploads,
)

bp = Blueprint("pages", __name__)
bp.app_context_processor(layout.layout_context)
for _resource in (search, documents, uploads, inventory, gaps):
    bp.register_blueprint(_resource.bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    for own in (bulk, preservation, home, admin, report_settings):
        app.register_blueprint(own.bp)
