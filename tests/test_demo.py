"""`make demo` serves the sample documents: its archive made by `make demo-data` (init, the
sample inventory, the seed fixtures, a user of each role), served by gunicorn with the
Procfile's own command line, then real HTTP to it. The archive is made once for the module;
each test works on a copy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests import live_server
from tests.conftest import SEED_FIXTURES

REPO = Path(__file__).resolve().parents[1]


def khlang(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def procfile_web_command() -> str:
    [line] = [
        line for line in (REPO / "Procfile").read_text().splitlines() if line.startswith("web:")
    ]
    return line.removeprefix("web:").strip()


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory) -> tuple[Path, str]:
    """`make demo`'s archive, made once for this module (each test takes a copy): the
    data directory and what `make demo-data` printed."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    return data_dir, make_demo_data(data_dir, SEED_FIXTURES.parents[1])


def copy_of(demo_archive, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(demo_archive[0], data_dir)
    return data_dir


def test_the_demo_serves_the_sample_documents(demo_archive, tmp_path):
    data_dir = copy_of(demo_archive, tmp_path)
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir), "KHLANG_SECURE_COOKIES": "0"}
    env.pop("KHLANG_DATABASE_URL", None)
    # gunicorn and khlang from this environment, as `make demo` runs them from .venv/bin
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    token = khlang(env, "tokens", "create", "--role", "admin", "--name", "demo-test").split()[-1]

    port = live_server.free_port()
    command = ["bash", "-c", procfile_web_command()]
    server_env = {**env, "PORT": str(port), "WEB_CONCURRENCY": "1"}
    server = live_server.start(command, server_env, port, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        status, health = live_server.get_json(f"{base}/healthz")
        assert status == 200 and health["ok"], health
        status, found = live_server.get_json(f"{base}/api/search?q={quote('เชียงราย')}", token)
        assert status == 200 and found["total"] >= 1, found
        hit = found["hits"][0]
        status, headers, body = live_server.request(
            f"{base}/api/documents/{hit['document_id']}/file", token
        )
    finally:
        live_server.stop(server)
    assert status == 200
    assert body == (SEED_FIXTURES / hit["filename"]).read_bytes()
    assert hit["filename"] in headers["Content-Disposition"]


def make_demo_data(data_dir: Path, shared: Path) -> str:
    """`make demo`'s archive steps (all but serving), with this environment's programs."""
    done = subprocess.run(
        [
            "make",
            "-o",
            "install",  # this environment is installed already
            "demo-data",
            f"DATA={data_dir}",
            f"BIN={Path(sys.executable).parent}",
            f"SHARED={shared}",
        ],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "KHLANG_DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def signs_in(data_dir: Path, name: str, password: str) -> bool:
    """Whether the login form accepts this password (the door a person uses)."""

    from service import create_app

    app = create_app({"KHLANG_DATA_DIR": str(data_dir), "KHLANG_WARM_SEARCH": False})
    try:
        client = app.test_client()
        page = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = client.post(
            "/login", data={"name": name, "password": password, "csrf_token": csrf, "next": "/"}
        )
        return answer.status_code == 302
    finally:
        app.extensions["khlang"].dispose()


def test_make_demo_again_keeps_a_changed_admin_password(demo_archive, tmp_path):
    data_dir = copy_of(demo_archive, tmp_path)
    assert "พร้อมใช้งาน" in demo_archive[1]
    assert signs_in(data_dir, "admin", "khlang-demo")

    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir)}
    env.pop("KHLANG_DATABASE_URL", None)
    changed = subprocess.run(
        [sys.executable, "-m", "service.cli", "users", "add", "admin", "--role", "admin"],
        cwd=REPO,
        env=env,
        input="รหัสใหม่ของผู้ดูแล\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "พร้อมใช้งาน" in changed.stdout

    again = make_demo_data(data_dir, SEED_FIXTURES.parents[1])
    assert "มีอยู่แล้ว" in again and "password left unchanged" in again
    assert signs_in(data_dir, "admin", "รหัสใหม่ของผู้ดูแล")
    assert not signs_in(data_dir, "admin", "khlang-demo")


def test_the_demo_has_a_user_of_each_role_with_work_on_their_home_pages(demo_archive, tmp_path):
    """A newcomer signs in as each role and sees every page with data: the sample
    inventory, seed documents linked to its items, and the items still missing."""

    from service import create_app

    data_dir = copy_of(demo_archive, tmp_path)
    output = demo_archive[1]
    assert output.count("(confirmed)") + output.count("(linked)") >= 3, output
    app = create_app({"KHLANG_DATA_DIR": str(data_dir), "KHLANG_WARM_SEARCH": False})
    pages = {}
    try:
        for name in ("admin", "strategy", "dsss", "viewer"):
            client = app.test_client()
            form = client.get("/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            answer = client.post(
                "/login", data={"name": name, "password": "khlang-demo", "csrf_token": csrf}
            )
            assert answer.status_code == 302 and answer.headers["Location"] == "/home", name
            pages[name] = client.get("/home").text
            if name == "strategy":
                pages["gaps"] = client.get("/gaps?fiscal_year=2567").text
    finally:
        app.extensions["khlang"].dispose()
    # the officer of เชียงราย: the province's summary report is overdue
    assert "รายงานสรุปผลการดำเนินงานโครงการ" in pages["dsss"].split('id="due-items"')[1]
    # the managers: completeness by province, with received and missing items
    for manager in ("strategy", "admin"):
        table = pages[manager].split('id="completeness"')[1]
        assert "เชียงราย" in table and "ฉะเชิงเทรา" in table and "๑๐๐%" in table, manager
    assert 'id="administration"' in pages["admin"]
    assert "/documents/" in pages["viewer"]
    # the gap report counts the received items (its table lists only those needing work)
    received = re.search(r'class="stat ok"><span>([^<]+)</span>', pages["gaps"])
    assert received and received.group(1) not in ("0", "๐"), received
    assert "เกินกำหนด" in pages["gaps"]
