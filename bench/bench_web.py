"""Load on the web service: concurrent Thai searches of the search page against gunicorn,
with and without an ingestion job running in the service at the same time.

    .venv/bin/python -m bench.bench_web [--docs 2000] [--users 20] [--seconds 30]
                                        [--think 1-3] [--data-dir D]

Steps: N thaigov news releases go straight into the database (a bulk path: no extraction,
they are plain text) and the index is rebuilt; gunicorn serves the data directory on a
loopback port; U users, each a thread with a keep-alive connection, load the search page
(/?q=) for a bounded time and read each result for a random 1-3 s (``--think``), as the
users of a load tester do: first with a pool of popular queries (which the service's cache
of recent results serves), then with queries each asked once (title words: nothing
cached), then the same without reading time (a closed loop: the server's greatest
throughput), then the popular pool while an upload of M more releases (a ZIP) is ingested
by the service (each index commit makes the cached results stale). Figures only, no timed
assertions. The client runs on the same 2 cores as the server, so absolute numbers are
pessimistic.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMON_QUERIES = [
    "นายกรัฐมนตรี",
    "ประชุม",
    "งบประมาณ",
    "ท่องเที่ยว",
    "โควิด",
    "เกษตรกร",
    "การศึกษา",
    "กระทรวงมหาดไทย",
    "ผู้ว่าราชการจังหวัด",
    "เศรษฐกิจ",
    "น้ำท่วม",
    "สาธารณสุข",
    "ภัยแล้ง",
    "คณะรัฐมนตรี",
    "วัคซีน",
    "โครงการ",
    "จังหวัดเชียงใหม่",
    "ชุมชน",
    "พลังงาน",
    "ดิจิทัล",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def split_release(name: str, text: str) -> tuple[str, str]:
    first = next((line.strip() for line in text.splitlines() if line.strip()), name)
    # "รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-<title>"
    title = first.split("-", 2)[-1] if first.startswith("รัฐบาลไทย-") else first
    return title[:300], text


def bulk_load(core, texts: Iterable[tuple[str, str]], chunk: int = 2000) -> int:
    """The fast path: documents straight into the database in chunks (bounded memory at
    100k documents), then one index rebuild. Returns the number of documents added."""
    from indexer.ingest.indexing import reindex
    from schemas.models import Document

    seen: set[str] = set()
    batch: list[Document] = []

    def flush() -> None:
        with core.transaction() as session:
            session.add_all(batch)
        batch.clear()

    for number, (name, text) in enumerate(texts):
        title, body = split_release(name, text)
        data = body.encode()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:  # the corpus has a few identical releases
            continue
        seen.add(digest)
        batch.append(
            Document(
                sha256=digest,
                size=len(data),
                mime="text/plain",
                category="text",
                kind="other",
                title=title,
                filename=name,
                text=body,
                fiscal_year=2563 + number % 3,
                publication="published",
            )
        )
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    reindex(core, agent="bench")
    return len(seen)


def document_count(core) -> int:
    from sqlalchemy import func, select

    from schemas.models import Document

    with core.sessions() as session:
        return session.scalar(select(func.count()).select_from(Document)) or 0


def start_server(data_dir: Path, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir), "KHLANG_SECURE_COOKIES": "0"}
    env.pop("KHLANG_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "service:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    stop_server(process)
    raise RuntimeError("gunicorn did not become healthy")


def stop_server(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def distinct_queries(texts: Iterable[tuple[str, str]], exclude: set[str]) -> list[str]:
    """Queries asked once each: the space-separated parts of release titles (Thai titles
    put spaces between phrases), so most are phrases or names no other request repeats."""
    seen = set(exclude)
    out = []
    for name, text in texts:
        for part in split_release(name, text)[0].split():
            part = part.strip("\"'“”()")
            # whole parts only: a part cut short ends inside a word, which nothing matches
            if 4 <= len(part) <= 40 and part not in seen:
                seen.add(part)
                out.append(part)
    random.Random(7).shuffle(out)
    return out


def load(
    port: int,
    queries: list[str],
    users: int,
    seconds: float,
    stop: threading.Event | None = None,
    once: bool = False,
    think: tuple[float, float] = (0.0, 0.0),
):
    """``users`` threads, each with its own keep-alive connection, loading the search page
    until time is up: queries drawn at random from ``queries``, or with ``once`` each query
    asked once (then a result cannot come from the service's cache of recent results).
    Between two searches a user reads the results for ``think`` seconds (a random time in
    that range, as a load tester's users wait); (0, 0) is a closed loop that saturates the
    server and shows its greatest throughput."""
    unused = iter(queries)
    latencies: list[float] = []
    failures = [0]
    reasons: dict[str, int] = {}
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def user(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        failed = 0
        if think[1]:
            time.sleep(rng.uniform(0, think[1]))  # users do not all start at once
        while time.monotonic() < end and not (stop and stop.is_set()):
            if once:
                with lock:
                    query = next(unused, None)
                if query is None:
                    break
                query = urllib.parse.quote(query)
            else:
                query = urllib.parse.quote(rng.choice(queries))
            started = time.perf_counter()
            try:
                try:
                    connection.request("GET", f"/?q={query}")
                    response = connection.getresponse()
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                    # the server closed the idle keep-alive connection while the user was
                    # reading: a browser opens a new one and asks again, and so does this
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    connection.request("GET", f"/?q={query}")
                    response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    failed += 1
                    with lock:
                        key = f"HTTP {response.status} {body[:80]!r}"
                        reasons[key] = reasons.get(key, 0) + 1
                    continue
            except (OSError, http.client.HTTPException) as exc:
                failed += 1
                with lock:
                    key = exc.__class__.__name__
                    reasons[key] = reasons.get(key, 0) + 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine.append(time.perf_counter() - started)
            if think[1]:
                time.sleep(rng.uniform(*think))
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 1),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(latencies, 50) * 1000, 1),
        "p95_ms": round(pct(latencies, 95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "failures": failures[0],
        "failure_reasons": reasons,
    }


def upload_zip(port: int, token: str, texts: list[tuple[str, str]]) -> int:
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, (name, text) in enumerate(texts):
            archive.writestr(f"ข่าว/{number:05d}-{name}", text + "\nนำเข้าระหว่างทดสอบโหลด")
    boundary = "khlangbench"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="bench.zip"\r\nContent-Type: application/zip\r\n\r\n'
        ).encode()
        + bundle.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(
        "POST",
        "/api/uploads",
        body=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    response = connection.getresponse()
    payload = json.loads(response.read())
    if response.status != 202:
        raise RuntimeError(f"upload refused: {response.status} {payload}")
    return payload["job_id"]


def job_state(port: int, token: str, job_id: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/api/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"})
    return json.loads(connection.getresponse().read())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.bench_web")
    parser.add_argument("--docs", type=int, default=2000, help="documents in the archive")
    parser.add_argument("--users", type=int, default=20, help="concurrent search users")
    parser.add_argument("--seconds", type=float, default=30, help="length of each load phase")
    parser.add_argument(
        "--think",
        default="1-3",
        help="seconds a user reads the results between two searches, as MIN-MAX",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--ingest", type=int, default=150, help="releases uploaded during phase 2")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the archive here and reuse it when it already holds --docs documents "
        "(a 100k archive takes long to build; each run's uploads are added to it)",
    )
    args = parser.parse_args(argv)
    low, _, high = args.think.partition("-")
    think = (float(low), float(high or low))

    from bench.corpus import replicated
    from indexer.core import Khlang
    from service.auth import add_user, create_token

    workdir = Path(tempfile.mkdtemp(prefix="khlang-bench-web-"))
    data_dir = args.data_dir or workdir / "data"
    core = Khlang.open(data_dir)
    core.init()
    # past the real corpus the texts repeat with a copy number (bench.corpus.replicated)
    sample = list(replicated(200))
    stored = document_count(core)
    if stored >= args.docs:
        from indexer.ingest.indexing import reindex

        # an index of an older schema is rebuilt here, not in gunicorn's start-up
        started = time.monotonic()
        reindex(core, if_needed=True, agent="bench")
        print(
            f"reusing {data_dir}: {stored} documents "
            f"(index checked or rebuilt in {time.monotonic() - started:.1f} s)"
        )
        archive_size = stored
    else:
        started = time.monotonic()
        added = bulk_load(core, islice(replicated(args.docs), stored, None))
        print(f"bulk load + index: {added} documents in {time.monotonic() - started:.1f} s")
        archive_size = stored + added
        add_user(core, "bench-dsss", "dsss", "bench-password", "เชียงใหม่")
    # this run's uploads: fresh bytes every run, so a reused archive ingests them anew
    run_mark = f"รอบทดสอบ {time.time_ns()}"
    upload_texts = [(name, f"{text}\n{run_mark}") for name, text in replicated(args.ingest)]
    token = create_token(core, "bench", "admin")
    core.dispose()

    titles = [split_release(n, t)[0] for n, t in sample]
    queries = COMMON_QUERIES + [" ".join(t.split()[:1])[:20] for t in titles[:60] if t.split()]
    distinct = distinct_queries(replicated(6000), set(queries))
    port = free_port()
    process = start_server(data_dir, port, args.workers, workdir / "gunicorn.log")
    try:
        load(port, queries, 4, 3)  # warm the workers' searchers and caches
        quiet = load(port, queries, args.users, args.seconds, think=think)
        fresh = load(port, distinct, args.users, args.seconds, once=True, think=think)
        saturated = load(port, distinct[len(distinct) // 2 :], args.users, args.seconds, once=True)
        job_id = upload_zip(port, token, upload_texts)
        job_started = time.monotonic()
        busy = load(port, queries, args.users, args.seconds, think=think)
        state = job_state(port, token, job_id)
        while state["status"] == "running" and time.monotonic() - job_started < 600:
            time.sleep(1)
            state = job_state(port, token, job_id)
        job_seconds = time.monotonic() - job_started
    finally:
        stop_server(process)
    print(
        f"gunicorn {args.workers} workers x 4 threads, {args.users} concurrent users "
        f"reading results {think[0]:g}-{think[1]:g} s between searches, "
        f"{args.seconds:.0f} s per phase, {archive_size} documents; the search page (/?q=)"
    )
    header = f"{'phase':<32}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'fail':>6}"
    print(header)
    phases = (
        ("popular queries", quiet),
        ("each query new", fresh),
        ("each query new, no reading time", saturated),
        ("popular queries + ingestion job", busy),
    )
    for label, figures in phases:
        print(
            f"{label:<32}{figures['requests']:>9}{figures['rps']:>8}{figures['p50_ms']:>9}"
            f"{figures['p95_ms']:>9}{figures['max_ms']!s:>9}{figures['failures']:>6}"
        )
    for label, figures in phases:
        if figures["failure_reasons"]:
            print(f"failures ({label}): {figures['failure_reasons']}")
    print(
        f"ingestion job {job_id}: {state['status']}, {state['done']}/{state['total']} files "
        f"({state['counts']}) in {job_seconds:.1f} s from upload"
    )
    if any(figures["failures"] for _, figures in phases):
        log = (workdir / "gunicorn.log").read_text(errors="replace")
        errors = [block for block in log.split("[ERROR]")[1:]]
        print(
            f"server errors: {len(errors)}; the last one:\n{errors[-1][-2500:] if errors else log[-2500:]}"
        )
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
