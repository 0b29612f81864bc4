"""Web security, through the doors users and attackers use: the login form, the API,
downloads of ingested files, a live gunicorn, and nginx in front of it (issue 15, 1-5)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.http import parse_options_header

from schemas.models import Event, LoginFailure, UserSession
from service.auth import add_user, create_token
from service.disposition import MAX_NAME_CHARS
from service.login_throttle import Limits
from tests import live_server
from tests.conftest import app_for, make_core
from tests.waiting import wait_until

PASSWORD = "รหัสผ่าน-ปลอดภัย-1"
REPO = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def web(any_core):

    for name, role, province in (
        ("viewer", "viewer", None),
        ("dsss_cm", "dsss", "เชียงใหม่"),
        ("admin", "admin", None),
    ):
        add_user(any_core, name, role, PASSWORD, province)
    app = app_for(any_core)
    yield app
    app.extensions["khlang"].dispose()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def browser(app, address: str = "192.0.2.10"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def log_in(client, name: str, password: str = PASSWORD):
    """Through the login form, as a browser does; the answer to the POST."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
    )


def me(client) -> dict:
    return client.get("/api/me").get_json()


def cookie_of(client) -> str:
    return client.get_cookie("khlang_session").value


def with_cookie(app, value: str):
    """Another machine, holding a copy of a session cookie."""
    thief = app.test_client()
    thief.set_cookie("khlang_session", value)
    return thief


def khlang(core, *args):
    from service.cli import main

    return CliRunner().invoke(
        main,
        ["--data-dir", str(core.settings.data_dir), *args],
        env={"KHLANG_DATABASE_URL": core.settings.database_url},
    )


# --- 1. sessions end on the server -------------------------------------------------------------


def test_logout_ends_the_session_and_a_copied_cookie_no_longer_works(web):
    client = browser(web)
    assert log_in(client, "viewer").status_code == 302
    copied = cookie_of(client)
    assert me(with_cookie(web, copied))["name"] == "viewer"
    other_browser = browser(web)
    assert log_in(other_browser, "viewer").status_code == 302

    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})

    assert me(client)["authenticated"] is False
    assert me(with_cookie(web, copied))["authenticated"] is False
    assert with_cookie(web, copied).get("/upload").status_code == 302  # to the login form
    # Logout ends this session only: the same user's other browser stays logged in.
    assert me(other_browser)["name"] == "viewer"


def test_new_password_role_disabling_and_logout_everywhere_end_every_session(web):
    core = web.extensions["khlang"]
    copies = {}
    for name in ("viewer", "dsss_cm", "admin"):
        client = browser(web)
        assert log_in(client, name).status_code == 302
        copies[name] = cookie_of(client)
        assert me(with_cookie(web, copies[name]))["name"] == name

    add_user(core, "viewer", "viewer", "รหัสผ่านใหม่-2")  # a new password (and the same role)
    assert me(with_cookie(web, copies["viewer"]))["authenticated"] is False

    result = khlang(core, "users", "disable", "dsss_cm")
    assert result.exit_code == 0, result.output
    assert me(with_cookie(web, copies["dsss_cm"]))["authenticated"] is False
    assert log_in(browser(web), "dsss_cm").status_code == 401

    result = khlang(core, "users", "logout", "admin")
    assert result.exit_code == 0, result.output
    assert me(with_cookie(web, copies["admin"]))["authenticated"] is False
    assert "ไม่พบผู้ใช้" in khlang(core, "users", "logout", "nobody").output

    client = browser(web)
    assert log_in(client, "admin").status_code == 302
    add_user(core, "admin", "strategy", PASSWORD)  # a new role, same password
    assert me(client)["authenticated"] is False
    with core.sessions() as db:
        assert db.scalars(select(UserSession)).all() == []


# --- 2. login throttling -----------------------------------------------------------------------


def test_an_address_that_guesses_is_refused_with_a_thai_message_and_an_event(web):
    core = web.extensions["khlang"]
    guesser = browser(web, "198.51.100.7")
    for n in range(Limits.address_limit):
        # A different name each time: only the address limit is reached.
        assert log_in(guesser, f"ผู้ใช้{n}", "ผิด").status_code == 401

    refused = log_in(guesser, "viewer")  # even the right password: not checked now
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert Limits.window - 60 < wait <= Limits.window
    assert "ลองเข้าสู่ระบบผิดหลายครั้งเกินไป" in refused.text
    assert f"{(wait + 59) // 60} นาที" in refused.text
    english = guesser.post(
        "/login?lang=en",
        data={
            "name": "viewer",
            "password": PASSWORD,
            "csrf_token": csrf_of(guesser.get("/login").text),
        },
    )
    assert english.status_code == 429 and "too many failed logins" in english.text
    assert me(guesser)["authenticated"] is False
    # Another address is not affected.
    assert log_in(browser(web, "198.51.100.8"), "viewer").status_code == 302
    with core.sessions() as db:
        events = db.scalars(select(Event).where(Event.event_type == "login-throttled")).all()
    assert [(e.detail["scope"], e.detail["address"], e.outcome) for e in events] == [
        ("address", "198.51.100.7", "refused")
    ]


def test_guessing_on_a_name_only_slows_its_owner_for_seconds(web):
    core = web.extensions["khlang"]
    web.config["KHLANG_LOGIN_ACCOUNT_DELAY"] = 2
    # Guesses on viewer's name from many addresses (none reaches its address limit).
    for n in range(Limits.account_limit):
        assert log_in(browser(web, f"203.0.113.{n}"), "viewer", "ผิด").status_code == 401
    owner = browser(web, "192.0.2.99")
    slowed = log_in(owner, "viewer")
    assert slowed.status_code == 429
    assert 1 <= int(slowed.headers["Retry-After"]) <= 2
    assert "วินาที" in slowed.text
    # The owner gets in a moment later, and their success ends the account's slow-down.
    wait_until(lambda: log_in(owner, "viewer").status_code == 302, "the owner to log in")
    assert me(owner)["name"] == "viewer"
    with core.sessions() as db:
        assert db.scalars(select(LoginFailure).where(LoginFailure.name == "viewer")).all() == []
        scopes = db.scalars(select(Event.detail).where(Event.event_type == "login-throttled"))
        assert [d["scope"] for d in scopes] == ["account"]


def test_default_account_limit_slows_by_half_a_minute_at_most(web):
    for n in range(Limits.account_limit):
        log_in(browser(web, f"203.0.113.{n}"), "admin", "ผิด")
    slowed = log_in(browser(web, "192.0.2.50"), "admin")
    assert slowed.status_code == 429
    assert int(slowed.headers["Retry-After"]) <= Limits.account_delay


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(web):
    from service import create_app

    core = web.extensions["khlang"]
    # Without KHLANG_PROXY_COUNT a made-up X-Forwarded-For changes nothing.
    spoofer = browser(web, "198.51.100.20")
    for n in range(Limits.address_limit):
        spoofer.environ_base["HTTP_X_FORWARDED_FOR"] = f"10.1.0.{n}"
        assert log_in(spoofer, f"ผู้ใช้{n}", "ผิด").status_code == 401
    spoofer.environ_base["HTTP_X_FORWARDED_FOR"] = "10.1.0.250"
    assert log_in(spoofer, "viewer").status_code == 429
    # Behind nginx (one proxy), the address nginx sets is the one that counts.
    proxied = create_app(
        {
            "TESTING": True,
            "KHLANG_DATA_DIR": str(core.settings.data_dir),
            "KHLANG_DATABASE_URL": core.settings.database_url,
            "KHLANG_PROXY_COUNT": 1,
        }
    )
    try:
        nginx = browser(proxied, "127.0.0.1")
        nginx.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.30"
        for n in range(Limits.address_limit):
            assert log_in(nginx, f"คนอื่น{n}", "ผิด").status_code == 401
        assert log_in(nginx, "viewer").status_code == 429
        nginx.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.31"  # another client
        assert log_in(nginx, "viewer").status_code == 302
    finally:
        proxied.extensions["khlang"].dispose()


# --- 3. body limits -----------------------------------------------------------------------------


class UnreadableBody:
    """A request body that must not be read: reading it fails the test."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_body_past_the_routes_limit_is_refused_before_it_is_read(web):
    client = browser(web)
    huge = str(300 * 1024**2)
    for path in ("/api/reuse", "/reuse", "/login", "/documents/1/links"):
        response = client.post(
            path,
            content_type="application/json",
            environ_overrides={"wsgi.input": UnreadableBody(), "CONTENT_LENGTH": huge},
        )
        assert response.status_code == 413, (path, response.text)
    answer = client.post(
        "/api/reuse",
        content_type="application/json",
        environ_overrides={"wsgi.input": UnreadableBody(), "CONTENT_LENGTH": huge},
    ).get_json()["error"]
    assert answer["code"] == "too_large"
    assert "ใหญ่เกินกำหนด" in answer["message"] and "too large" in answer["message_en"]
    # The upload route takes up to KHLANG_MAX_UPLOAD: 300 MB is not refused by its length.
    token = create_token(web.extensions["khlang"], "script", "admin")
    web.config["MAX_CONTENT_LENGTH"] = 1000
    big_upload = client.post(
        "/api/uploads",
        data={"files": (io.BytesIO(b"x" * 5000), "ใหญ่.bin")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert big_upload.status_code == 413
    # Within the limit, the reuse search answers as before.
    ok = client.post("/api/reuse", json={"text": "รายงานผลการดำเนินงาน" * 2000})
    assert ok.status_code == 200, ok.text


# --- 5. download names -------------------------------------------------------------------------

ODD_NAMES = [
    "รายงาน\r\nบรรทัดใหม่.txt",
    'ชื่อ "อ้างอิง"; แบบ=ใหม่.txt',
    'report";filename=evil.exe;x=".txt',
    "tab\tand\x01control\x7f.txt",
    "ก" * 80 + ".txt",  # 244 bytes: near Linux's limit of 255
    "long-" + "x" * 240 + ".txt",
]


def test_downloads_of_files_with_odd_names_never_fail(web, tmp_path):
    core = web.extensions["khlang"]
    folder = tmp_path / "ส่งงาน"
    folder.mkdir()
    for n, name in enumerate(ODD_NAMES):
        (folder / name).write_text(f"เอกสารทดสอบชื่อแปลก ฉบับที่ {n}\n", encoding="utf-8")
    result = khlang(core, "ingest", str(folder), "--json", "--workers", "1")
    assert result.exit_code == 0, result.output
    ingested = {
        Path(r["path"]).name: r["document_id"] for r in json.loads(_json_part(result.stdout))
    }
    assert set(ingested) == set(ODD_NAMES), ingested
    client = web.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + create_token(core, "dl", "admin")
    for name, document_id in ingested.items():
        response = client.get(f"/api/documents/{document_id}/file")
        assert response.status_code == 200, (name, response.text)
        assert response.data == (folder / name).read_bytes()
        header = response.headers["Content-Disposition"]
        assert header.isascii() and "\r" not in header and "\n" not in header
        kind, options = parse_options_header(header)
        assert kind == "attachment"
        offered = options["filename"]  # werkzeug prefers filename* (the exact name)
        assert not re.search(r"[\x00-\x1f\x7f]", offered)
        assert offered.endswith(".txt") and len(offered) <= MAX_NAME_CHARS
        if len(name) <= MAX_NAME_CHARS:
            assert offered == re.sub(r"[\x00-\x1f\x7f]", "_", name)
        # One disposition, one filename and one filename*: nothing smuggled in.
        assert header.count("filename=") == 1 and header.count("filename*=") == 1


def _json_part(stdout: str) -> str:
    """`khlang ingest --json` prints the JSON list, then a summary line."""
    return stdout[: stdout.rindex("]") + 1]


# --- a live gunicorn, and nginx in front of it (3 and 4) ---------------------------------------


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn as the Procfile runs it, small: 2 workers x 4 threads on loopback."""
    data_dir = tmp_path_factory.mktemp("served") / "data"
    make_core(data_dir).dispose()
    port = live_server.free_port()
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir), "KHLANG_SECURE_COOKIES": "0"}
    env["KHLANG_PROXY_COUNT"] = "1"
    env.pop("KHLANG_DATABASE_URL", None)
    command = [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf"]
    command += ["--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
    command += ["--timeout", "120", "service:create_app()"]
    log = tmp_path_factory.mktemp("logs") / "gunicorn.log"
    process = live_server.start(command, env, port, log)
    try:
        yield port
    finally:
        live_server.stop(process)


@pytest.fixture(scope="module")
def nginx(gunicorn, tmp_path_factory):
    """Debian's nginx, unprivileged paths under a temporary prefix, running the very
    server block of deploy/nginx/khlang.conf in front of the live gunicorn."""
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (scripts/install-system-packages.sh)")
    prefix = tmp_path_factory.mktemp("nginx")
    port = live_server.free_port()
    site = (REPO / "deploy" / "nginx" / "khlang.conf").read_text(encoding="utf-8")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{gunicorn};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    (prefix / "khlang.conf").write_text(site, encoding="utf-8")
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would drop to nobody, who may not enter pytest's tmp.
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    access_log off;\n{temp_paths}\n    include {prefix}/khlang.conf;\n}}\n",
        encoding="utf-8",
    )
    command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    command += ["-e", str(prefix / "error.log"), "-g", "daemon off;"]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(command, start_new_session=True)

    def answers() -> bool:
        assert process.poll() is None, (prefix / "error.log").read_text()
        try:
            return http_get(port, "/healthz") == 200
        except OSError:
            return False

    wait_until(answers, "nginx to answer /healthz", limit=30, every=0.2)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def http_get(port: int, path: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as answer:
        return answer.status


def declare_a_huge_body(port: int, path: str) -> bytes:
    """Send only the headers of a 300 MB JSON POST and read the answer: a server that
    reads the body first never answers (the socket times out)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: khlang\r\nContent-Type: application/json\r\n"
            f"Content-Length: {300 * 1024**2}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        sock.settimeout(2)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def test_gunicorn_and_nginx_refuse_a_huge_body_before_it_is_sent(gunicorn, nginx):
    for port in (gunicorn, nginx):
        answer = declare_a_huge_body(port, "/api/reuse")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), answer[:500]
        assert json.loads(body)["error"]["code"] == "too_large"
        assert "ใหญ่เกินกำหนด" in body.decode()
    # Through nginx, the upload route may declare that much: it waits for the body.
    with socket.create_connection(("127.0.0.1", nginx), timeout=3) as sock:
        sock.sendall(
            b"POST /api/uploads HTTP/1.1\r\nHost: khlang\r\nContent-Type: multipart/form-data;"
            b" boundary=x\r\nContent-Length: 314572800\r\n\r\n"
        )
        with pytest.raises(TimeoutError):
            sock.recv(100)


class SlowClients:
    """Connections that trickle a header line now and then and never finish a request."""

    def __init__(self, port: int, count: int):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: khlang\r\n")
            self.sockets.append(sock)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self):
        while not self.stopped.wait(1.0):
            for sock in self.sockets:
                # OSError: dropped by the server, which is what it should do, eventually.
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Slow: 1\r\n")

    def close(self):
        self.stopped.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def test_fifty_slow_clients_do_not_stop_normal_requests_behind_nginx(nginx):
    slow = SlowClients(nginx, 50)
    try:
        time.sleep(2)  # let them trickle a while before the normal requests come
        answers, slowest = [], 0.0
        for path in ["/healthz"] * 10 + ["/api/search?q=" + urllib.parse.quote("รายงาน")] * 2:
            started = time.monotonic()
            answers.append(http_get(nginx, path))
            slowest = max(slowest, time.monotonic() - started)
    finally:
        slow.close()
    assert answers == [200] * 12
    # Printed, not asserted (speed is not what this test proves).
    print(f"behind nginx, with 50 slow clients: 12 requests, slowest {slowest:.3f} s")


# --- security headers --------------------------------------------------------------------------


def assert_security_headers(response, what: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";"))
    assert directives.get("script-src") == "'self'", (what, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, what
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("object-src") == "'none'", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("Referrer-Policy") == "same-origin", what


def assert_no_inline_script(html: str, what: str) -> None:
    """What the policy would block must not be on our pages (it would silently not work)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src") or script.get("type") == "application/json", (what, script)
    for tag in soup.find_all(True):
        handlers = [name for name in tag.attrs if name.lower().startswith("on")]
        assert not handlers, (what, tag.name, handlers)
        assert not str(tag.get("href", "")).lower().startswith("javascript:"), what
        assert tag.name != "style" and not tag.get("style"), (what, tag.name)


def test_every_kind_of_response_carries_the_security_headers(web, tmp_path):
    core = web.extensions["khlang"]
    folder = tmp_path / "ส่งงาน"
    folder.mkdir()
    (folder / "รายงานผล.txt").write_text("รายงานผลการดำเนินงานโครงการ\n", encoding="utf-8")
    result = khlang(core, "ingest", str(folder), "--json", "--workers", "1")
    assert result.exit_code == 0, result.output
    document_id = json.loads(_json_part(result.stdout))[0]["document_id"]

    admin = browser(web)
    logged_in = log_in(admin, "admin")
    assert_security_headers(logged_in, "the login redirect")
    pages = [
        "/",
        "/?q=รายงาน",
        f"/documents/{document_id}",
        "/upload",
        "/inventory",
        "/gaps",
        "/reuse",
        "/nothing",
    ]
    for path in pages:
        response = admin.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_security_headers(response, path)
        assert_no_inline_script(response.text, path)
    visitor = browser(web, "192.0.2.77")
    others = {
        "login page": visitor.get("/login"),
        "failed login": log_in(visitor, "admin", "ผิด"),
        "redirect to login": visitor.get("/upload"),
        "health": visitor.get("/healthz"),
        "api": visitor.get("/api/me"),
        "api 404": visitor.get("/api/nothing"),
        "openapi": visitor.get("/api/openapi.json"),
        "stylesheet": visitor.get("/static/css/khlang.css"),
        "script": visitor.get("/static/js/upload.js"),
        "download": admin.get(f"/api/documents/{document_id}/file"),
        "too large": visitor.post(
            "/api/reuse",
            content_type="application/json",
            environ_overrides={"wsgi.input": UnreadableBody(), "CONTENT_LENGTH": str(10**9)},
        ),
        "csrf refused": admin.post("/api/reuse", json={"text": "x"}),
    }
    for n in range(Limits.address_limit):
        log_in(visitor, f"เดา{n}", "ผิด")
    others["throttled"] = log_in(visitor, "admin")
    assert others["throttled"].status_code == 429
    for what, response in others.items():
        assert_security_headers(response, what)
    assert_no_inline_script(others["login page"].text, "login")
