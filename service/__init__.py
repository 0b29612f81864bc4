"""The Flask service: Thai-first pages and a JSON API over the same core as the CLI."""

from __future__ import annotations

import gzip
import logging
import os
import secrets
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from flask import Flask, Request, g, request
from werkzeug.routing import IntegerConverter

from indexer.core import Khlang
from schemas.config import check_environment, setting
from service import login_throttle

# The routes that take files; they alone may send up to KHLANG_MAX_UPLOAD.
UPLOAD_ENDPOINTS = frozenset(
    {
        "api.uploads.upload",
        "pages.uploads.upload_post",
        "api.inventory.inventory_import",
        "pages.inventory.inventory",
    }
)


def secret_key(data_dir: Path) -> str:
    """KHLANG_SECRET_KEY, or a key generated once and kept in the data directory, so that
    every gunicorn worker (and every restart) signs sessions with the same key."""
    from_env = setting("KHLANG_SECRET_KEY")
    if from_env:
        return from_env
    path = data_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if key:
            return key
        # A worker that lost a race may read the file before it is written: wait a moment.
        import time

        for _ in range(50):
            time.sleep(0.02)
            key = path.read_text().strip()
            if key:
                return key
        raise RuntimeError(f"{path} is empty; delete it or set KHLANG_SECRET_KEY") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# The largest id a row can have: ids are INTEGER columns, 32-bit in PostgreSQL.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in routes: an id past any row's is simply not found (404), instead of
    reaching the database and overflowing it (SQLite: OverflowError, PostgreSQL: out of
    range), which answered 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ROW_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class KhlangRequest(Request):
    """Uploaded files stream to disk in the data directory's tmp (not memory, not /tmp), so
    a 2 GiB video costs disk, not RAM, and can be hard-linked into the job's folder."""

    def _get_file_stream(
        self, total_content_length, content_type, filename=None, content_length=None
    ):
        from service.context import core

        directory = core().settings.tmp_dir / "uploads"
        directory.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile("w+b", dir=directory, prefix="upload-")


def _repair_index(core: Khlang) -> None:
    """Index what the database holds and the index lacks (one process at a time: the
    others skip it)."""
    from indexer.ingest.indexing import reindex

    try:
        reindex(core, if_needed=True, agent="khlang-start-up", wait=False, procs=1)
    except Exception:
        logging.getLogger(__name__).exception("index repair at start-up failed")


def _has_documents(core: Khlang) -> bool:
    from sqlalchemy import select

    from schemas.models import Document

    with core.sessions() as session:
        return session.scalar(select(Document.id).limit(1)) is not None


def _warm_search(core: Khlang) -> None:
    """In the background of a new worker: its first search need not build the index
    tables (a worker that cannot read the index now finds out on its first search)."""
    try:
        core.search_backend.warm()
    except Exception:
        logging.getLogger(__name__).warning("search warm-up failed", exc_info=True)


def _resume_jobs(core: Khlang) -> None:
    """In the background of a new worker: drop what killed writers left in tmp, and finish
    upload jobs whose worker died (one worker takes each; see indexer.ingest.jobs)."""
    from indexer.ingest import job_runner

    try:
        core.store.clean_tmp()
        job_runner(core).resume_interrupted()
    except Exception:
        logging.getLogger(__name__).exception("resuming interrupted jobs failed")


def create_app(config: dict | None = None) -> Flask:
    """Application factory (gunicorn: ``service:create_app()``).

    ``config`` may carry KHLANG_DATA_DIR and KHLANG_DATABASE_URL; otherwise the environment
    decides, as for the CLI. The other settings (KHLANG_SECRET_KEY, KHLANG_SECURE_COOKIES,
    KHLANG_MAX_UPLOAD, KHLANG_MAX_BODY, KHLANG_PROXY_COUNT, KHLANG_LOGIN_*,
    KHLANG_WARM_SEARCH ...) are in the one table of schemas.config, which says what each
    means; a bad value there stops the start with ConfigError, which names it.
    """
    check_environment()
    app = Flask(__name__, instance_relative_config=False)
    app.request_class = KhlangRequest
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=setting("KHLANG_MAX_UPLOAD"),
        KHLANG_MAX_BODY=setting("KHLANG_MAX_BODY"),
        KHLANG_PROXY_COUNT=setting("KHLANG_PROXY_COUNT"),
        **{name: setting(name) for name in login_throttle.SETTINGS.values()},
        # Many files in one upload form are normal (a whole project's outputs).
        MAX_FORM_PARTS=5000,
        JSON_AS_ASCII=False,
        SESSION_COOKIE_NAME="khlang_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(days=7),
        KHLANG_DEV=setting("KHLANG_DEV"),
    )
    if config:
        app.config.update(config)
    if app.config["KHLANG_PROXY_COUNT"]:
        # Behind nginx (deploy/nginx/khlang.conf) every request comes from the proxy's
        # address: login throttling by address needs the client's, which the proxy sets.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["KHLANG_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    core = Khlang.open(app.config.get("KHLANG_DATA_DIR"), app.config.get("KHLANG_DATABASE_URL"))
    core.init()
    app.extensions["khlang"] = core
    if app.config.get("KHLANG_REPAIR_INDEX_AT_START", True):
        # A crash between a database commit and the index write leaves documents marked
        # unindexed; repairing them before the first request means search never silently
        # misses them, and it is quick. A full rebuild (another analyzer, dictionary or
        # schema version, or a corrupt index) takes minutes at 100k documents: it runs in
        # the background, searches answer from the old index until the new one is swapped
        # in, and gunicorn does not kill a worker for taking that long to boot.
        # A new archive's index is built at once (there is nothing to index): built in the
        # background, it would be swapped in over documents ingested meanwhile.
        # needs_rebuild: another version built it, or it is missing, damaged or unreadable
        rebuild = core.search_backend.check().needs_rebuild
        if rebuild and _has_documents(core):
            threading.Thread(target=_repair_index, args=(core,), daemon=True).start()
        else:
            _repair_index(core)
    if app.config.get("KHLANG_RESUME_JOBS_AT_START", not app.config.get("TESTING")):
        threading.Thread(target=_resume_jobs, args=(core,), daemon=True).start()
    warm = app.config.get("KHLANG_WARM_SEARCH")
    if warm is None:
        warm = setting("KHLANG_WARM_SEARCH")
    if warm is None:
        warm = not app.config.get("TESTING")
    if warm:
        threading.Thread(target=_warm_search, args=(core,), daemon=True).start()
    app.json.ensure_ascii = False

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(core.settings.data_dir)
    secure = app.config.get("KHLANG_SECURE_COOKIES")
    if secure is None:
        secure = setting("KHLANG_SECURE_COOKIES")
    if secure is None:
        secure = not (app.config.get("TESTING") or app.config.get("KHLANG_DEV") or app.debug)
    app.config["SESSION_COOKIE_SECURE"] = bool(secure)

    from service import api, auth, errors, i18n, pages, read_your_writes, report_format

    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp)
    pages.register(app)

    app.jinja_env.globals.update(
        _=i18n.translate,
        csrf_token=auth.csrf_token,
        current_lang=i18n.current_lang,
    )
    app.jinja_env.filters.update(
        thai_date=report_format.thai_date,
        thai_datetime=report_format.thai_datetime,
        size=i18n.human_size,
        figure=report_format.figure,
        digits=report_format.digits,
        word_breaks=report_format.word_breaks,
        label_lines=report_format.chart_label_lines,
    )

    @app.before_request
    def _who_and_csrf():
        auth.load_principal()
        # Before anything reads the body (the CSRF check reads the form).
        too_large = _limit_body(app)
        if too_large is not None:
            return too_large
        if not auth.csrf_ok():
            return errors.refuse_csrf()
        return None

    app.after_request(read_your_writes.after_request)

    @app.after_request
    def _headers(response):
        lang = request.args.get("lang")
        if lang in i18n.LANGS and request.cookies.get("lang") != lang:
            response.set_cookie(
                "lang",
                lang,
                max_age=365 * 86400,
                samesite="Lax",
                httponly=True,
                secure=app.config["SESSION_COOKIE_SECURE"],
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Scripts and styles from our own files only (no inline script, no eval): an
        # injected <script> or onclick= would not run even if escaping ever failed.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        principal = getattr(g, "principal", None)
        if (
            principal is not None
            and principal.authenticated
            and not request.path.startswith("/static/")
        ):
            # What a logged-in user saw must not be kept by a shared office proxy or PC.
            response.headers["Cache-Control"] = "private, no-store"
            response.vary.add("Cookie")
        return _maybe_gzip(response)

    # One place answers every refusal: JSON under /api/, an error page elsewhere.
    errors.register(app)

    return app


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


def _limit_body(app: Flask):
    """Each route reads at most what it needs: files up to KHLANG_MAX_UPLOAD on the upload
    routes, KHLANG_MAX_BODY elsewhere. A declared length past it is refused before a byte
    of the body is read; a chunked body is cut off at the limit as it is read (413)."""
    from service import i18n
    from service.errors import error

    upload = request.endpoint in UPLOAD_ENDPOINTS
    limit = app.config["MAX_CONTENT_LENGTH" if upload else "KHLANG_MAX_BODY"]
    request.max_content_length = limit
    if request.content_length is None or request.content_length <= limit:
        return None
    size = i18n.human_size(limit)
    what_th, what_en = ("ไฟล์ที่ส่ง", "the upload") if upload else ("คำขอ", "the request body")
    response = error(
        413,
        "too_large",
        f"{what_th}ใหญ่เกินกำหนด (ไม่เกิน {size})",
        f"{what_en} is too large (at most {limit} bytes here)",
    )
    if not request.path.startswith("/api/"):
        from flask import render_template

        response = app.make_response((render_template("error.html", status=413), 413))
    return response


_COMPRESSIBLE = ("text/", "application/json", "image/svg+xml", "application/javascript")


def _maybe_gzip(response):
    """Provincial offices are often on slow links: compress text answers when asked."""
    if (
        response.direct_passthrough
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or not (response.mimetype or "").startswith(_COMPRESSIBLE)
    ):
        return response
    data = response.get_data()
    if len(data) < 1024:
        return response
    response.set_data(gzip.compress(data, compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response
