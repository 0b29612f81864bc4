"""The one settings table (schemas.config.SETTINGS): sizes with units everywhere, a bad
value named before anything runs, and the README's tables written from it."""

from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path

import pytest

from schemas.config import SETTINGS, ConfigError, check_environment, setting
from tests.conftest import app_for

ROOT = Path(__file__).resolve().parents[1]


def _settings_script():
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "scripts" / "settings_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_are_the_settings_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _settings_script().rewritten(text) == text, (
        "README.md's settings tables differ from schemas.config: "
        "run python scripts/settings_table.py"
    )


def test_every_setting_read_in_the_code_is_in_the_table():
    """A KHLANG_* name read from the environment anywhere must be in the table (and so in
    the README; a prefix such as KHLANG_S3_ is not a name); the app-config-only switches tests pass to create_app are not settings."""
    known = {name for entry in SETTINGS for name in entry.names}
    config_only = {
        "KHLANG_REPAIR_INDEX_AT_START",
        "KHLANG_RESUME_JOBS_AT_START",
        "KHLANG_SEARCH_SLOTS_WAIT",
    }
    found = set()
    for folder in ("schemas", "archive", "indexer", "service"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(
                re.findall(r"KHLANG_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8"))
            )
    assert found - config_only <= known, sorted(found - config_only - known)
    names = [name for entry in SETTINGS for name in entry.names]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("KHLANG_MAX_UPLOAD", "500M", 500 * 1024**2),
        ("KHLANG_MAX_UPLOAD", "2147483648", 2 * 1024**3),
        ("KHLANG_MAX_BODY", "4m", 4 * 1024**2),
        ("KHLANG_MAX_FILE_SIZE", "2G", 2 * 1024**3),
        ("KHLANG_WORKER_MEMORY", "1GiB", 1024**3),
        ("KHLANG_SEARCH_WAIT", "0.5", 0.5),
        ("KHLANG_PROXY_COUNT", "0", 0),
        ("KHLANG_SECURE_COOKIES", "off", False),
        ("KHLANG_WARM_SEARCH", "1", True),
    ],
)
def test_values_are_read_by_their_parser(name, value, expected):
    assert setting(name, {name: value}) == expected
    assert setting(name, {name: "  "}) == setting(name, {})  # blank: the default


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KHLANG_MAX_UPLOAD", "lots"),
        ("KHLANG_MAX_BODY", "0"),
        ("KHLANG_LOGIN_WINDOW", "-5"),
        ("KHLANG_SEARCH_WAIT", "soon"),
        ("KHLANG_SECURE_COOKIES", "maybe"),
        ("KHLANG_TEXT_PIECE_CHARS", "a lot"),
        ("KHLANG_REPLICA", "ftp://host/x"),
    ],
)
def test_a_bad_value_is_named_with_the_reason(name, value):
    with pytest.raises(ConfigError) as raised:
        check_environment({name: value})
    message = str(raised.value)
    assert f"{name}={value!r}" in message
    assert re.search("[ก-๙]", message) and re.search(r"\((?:must|not|no|only) ", message)


def test_the_service_takes_max_upload_with_units(core, monkeypatch):
    """Through the door: the service started with KHLANG_MAX_UPLOAD=500M (int() refused
    it before) takes uploads up to 500 MiB and refuses a larger declared length."""
    from service.auth import create_token

    monkeypatch.setenv("KHLANG_MAX_UPLOAD", "500M")
    app = app_for(core)
    try:
        assert app.config["MAX_CONTENT_LENGTH"] == 500 * 1024**2
        client = app.test_client()
        token = create_token(app.extensions["khlang"], "tests", "admin")
        answer = client.post(
            "/api/uploads",
            data={"files": (io.BytesIO(b"x"), "x.txt")},
            headers={"Authorization": f"Bearer {token}"},
            environ_overrides={"CONTENT_LENGTH": str(501 * 1024**2)},
        )
        assert answer.status_code == 413
        assert answer.get_json()["error"]["code"] == "too_large"
    finally:
        app.extensions["khlang"].dispose()


def test_the_service_does_not_start_on_a_bad_value(core, monkeypatch):
    from service import create_app

    monkeypatch.setenv("KHLANG_MAX_UPLOAD", "500 megabytes")
    with pytest.raises(ConfigError, match="KHLANG_MAX_UPLOAD"):
        create_app({"TESTING": True, "KHLANG_DATA_DIR": str(core.settings.data_dir)})


def test_the_cli_names_a_bad_value_before_it_runs(cli, monkeypatch):
    monkeypatch.setenv("KHLANG_LOGIN_WINDOW", "fifteen minutes")
    result = cli("init")
    assert result.exit_code == 2
    assert "KHLANG_LOGIN_WINDOW" in result.stderr and "ข้อผิดพลาด" in result.stderr
    assert "ready" not in result.stdout


def test_khlang_settings_lists_the_table(cli, monkeypatch):
    monkeypatch.setenv("KHLANG_MAX_UPLOAD", "500M")
    monkeypatch.setenv("KHLANG_SECRET_KEY", "do-not-print-me")
    rows = {row["name"]: row for row in cli.json("settings")}
    assert set(rows) == {name for entry in SETTINGS for name in entry.names}
    assert rows["KHLANG_MAX_UPLOAD"]["value"] == "500M"
    assert rows["KHLANG_SECRET_KEY"]["value"] == "(set)"
