"""The Flask service: Thai-first pages and a JSON API over the same core as the CLI."""

from __future__ import annotations

from flask import Flask

from indexer.core import Khlang


def create_app(config: dict | None = None) -> Flask:
    """Application factory (gunicorn: ``service:create_app()``).

    ``config`` may carry KHLANG_DATA_DIR and KHLANG_DATABASE_URL; otherwise the environment
    decides, as for the CLI.
    """
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=None,
        JSON_AS_ASCII=False,
    )
    if config:
        app.config.update(config)
    core = Khlang.open(app.config.get("KHLANG_DATA_DIR"), app.config.get("KHLANG_DATABASE_URL"))
    core.init()
    app.extensions["khlang"] = core
    if app.config.get("KHLANG_REPAIR_INDEX_AT_START", True):
        # A crash between a database commit and the index write leaves documents marked
        # unindexed; repairing at start-up means search never silently misses them.
        from indexer.indexing import reindex

        reindex(core, if_needed=True, agent="khlang-start-up", wait=False)
    app.json.ensure_ascii = False

    from service import api

    app.register_blueprint(api.bp)
    return app
