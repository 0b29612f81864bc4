"""Search benchmark on the thaigov news texts: Khlang's Whoosh index vs SQLite FTS5 trigram,
and with ``--backend postgres`` the postgres search backend beside them (same documents,
same queries; see :mod:`bench.bench_pg_search`).

    .venv/bin/python -m bench.bench_search --docs 2000
    .venv/bin/python -m bench.bench_search --docs 10000 --backend postgres \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/khlang_search_bench

Streams ../shared/corpus/thaigov-2020-2022.tar.xz (no extraction), replicating the texts
(with distinct ids) when --docs exceeds the archive. Prints build rate, index size, peak RSS
and search latency percentiles over a query mix, for both engines, and whether the issue's
targets are met. Figures depend on the machine; note its core count in reports. Khlang's
side goes through the search seam (indexer.search.backend): KHLANG_SEARCH_BACKEND picks the
engine measured (whoosh by default).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import sqlite3
import statistics
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
TAR = SHARED / "corpus" / "thaigov-2020-2022.tar.xz"

PROVINCES = ["เชียงใหม่", "เชียงราย", "ลำพูน", "นครพนม", "ฉะเชิงเทรา", "ขอนแก่น", "ภูเก็ต"]
KINDS = ["news", "letter", "report", "guideline"]


def read_texts(limit: int) -> list[str]:
    texts: list[str] = []
    with tarfile.open(TAR, "r:xz") as tf:
        for member in tf:
            if not member.isfile():
                continue
            fh = tf.extractfile(member)
            if fh is None:
                continue
            texts.append(fh.read().decode("utf-8", "replace"))
            if len(texts) >= limit:
                break
    return texts


def make_docs(texts: list[str], n: int) -> Iterator[dict]:
    import datetime as dt

    rng = random.Random(1)
    for i in range(n):
        text = texts[i % len(texts)]
        lines = [ln for ln in text.splitlines() if ln.strip()]
        title = lines[1] if len(lines) > 1 else lines[0] if lines else ""
        yield {
            "id": i + 1,
            "title": title[:200],
            "filename": f"thaigov-{i + 1}.txt",
            "text": text,
            "category": rng.choice(["ข่าว", "ประกาศ", "รายงาน"]),
            "kind": rng.choice(KINDS),
            "fiscal_year": rng.choice([2563, 2564, 2565]),
            "date": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1000)),
            "provinces": rng.sample(PROVINCES, rng.randint(0, 2)),
            "projects": [],
            "agencies": [],
            "publication": rng.choice(["published", "draft"]),
            "mime": "text/plain",
            "letter_number": None,
            "metadata_text": "",
        }


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_rss_mb() -> float:
    """Peak RSS of the largest waited-for child (the Whoosh writer processes of rebuild)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


# how staff end a question: 1 to 3 words
QUESTION_TAILS = ["ได้อย่างไร", "เมื่อไร", "คืออะไร", "ที่ไหน", "มีอะไรบ้าง", "หรือไม่", "เท่าไร"]


def query_mix(texts: list[str], count: int) -> dict[str, list[str]]:
    """Queries drawn from the corpus itself (so they match): one word, three words, a phrase
    (an unbroken Thai run), a substring (a run cut at syllable units), a question (8 to 15
    Thai words without spaces, as staff type them: words of one passage, not contiguous,
    and a question tail), filtered, faceted."""
    from indexer.search.analysis import has_thai, normalize, syllables, word_texts, words

    rng = random.Random(5)
    kinds = ("word", "three", "phrase", "substring", "question")
    mix: dict[str, list[str]] = {k: [] for k in kinds}
    while min(len(v) for v in mix.values()) < count:
        text = rng.choice(texts)
        sample = text[rng.randrange(max(1, len(text) - 400)) :][:400]
        ws = [w.text for w in words(sample) if len(w.text) > 2]
        if len(ws) < 5:
            continue
        mix["word"].append(rng.choice(ws))
        i = rng.randrange(len(ws) - 3)
        mix["three"].append(" ".join(ws[i : i + 3]))
        runs = [r for r in sample.split() if 8 <= len(r) <= 40]
        if runs:
            mix["phrase"].append(rng.choice(runs))
        units = syllables(sample)
        if len(units) > 10:
            j = rng.randrange(len(units) - 6)
            k = j + rng.randint(3, 6)
            mix["substring"].append(sample[units[j].start : units[k].end])
        thai = [w for w in ws if has_thai(w) and not any(c.isspace() for c in w)]
        if len(thai) >= 8:
            picked = sorted(rng.sample(range(len(thai)), rng.randint(6, min(12, len(thai)))))
            tail = rng.choice(QUESTION_TAILS)
            question = "".join(thai[n] for n in picked) + tail
            if 8 <= len(word_texts(normalize(question))) <= 15:
                mix["question"].append(question)
    return {k: v[:count] for k, v in mix.items()}


def mix_calls(mix: dict[str, list[str]]) -> list[tuple[str, str, dict]]:
    """(kind, query, search keyword arguments) of the mix as the side-by-side bench asks it:
    each kind, then the one-word queries filtered (news, published only) and by date."""
    calls = {
        **{k: {} for k in mix},
        "filtered": {"filters": {"kind": "news"}, "published_only": True},
        "date-sorted": {"sort": "date"},
    }
    return [(kind, q, kw) for kind, kw in calls.items() for q in mix.get(kind) or mix["word"]]


def bench_khlang(
    docs: list[dict],
    mix: dict[str, list[str]],
    workdir: Path,
    index_dir: Path | None = None,
    profile: Path | None = None,
) -> dict:
    from indexer.search.backend import search_backend
    from schemas.config import Settings

    chars = sum(len(d["text"]) for d in docs)
    # the backend KHLANG_SEARCH_BACKEND names (whoosh by default), its index in <where>/index
    settings = Settings.load(index_dir or workdir / "khlang")
    ix = search_backend(settings)
    if index_dir is not None and not ix.check().needs_rebuild and len(ix.ids()) == len(docs):
        build = float("nan")  # reused: search figures only
    else:
        t0 = time.perf_counter()
        ix.rebuild(iter(docs))
        build = time.perf_counter() - t0
    current = settings.index_dir / "CURRENT"  # Whoosh's: the live generation's name
    live = settings.index_dir / current.read_text().strip() if current.exists() else None
    out = {
        "build_s": build,
        "docs_per_s": len(docs) / build,
        "chars_per_s": chars / build,
        # the live generation only: the one before it is kept until the next swap
        "size_mb": dir_size(live or settings.index_dir) / 1e6,
        "sidecar_mb": sum(p.stat().st_size for p in live.glob("units.sqlite*")) / 1e6
        if live
        else 0.0,
        "rss_mb": rss_mb(),
        "child_rss_mb": child_rss_mb(),
        "latency": {},
        # the process's CPU time a query (all its threads): on a machine others load, the
        # wall time waits for the cores; this does not
        "cpu": {},
    }
    ix.search("จังหวัด")  # warm caches (facet table, searcher)
    runs = {
        **{k: (lambda q: ix.search(q, limit=20)) for k in mix},
        "filtered": lambda q: ix.search(q, limit=20, filters={"kind": "news"}, published_only=True),
        "date-sorted": lambda q: ix.search(q, limit=20, sort="date"),
    }
    prof = None
    if profile is not None:
        import cProfile

        prof = cProfile.Profile()
    for name, fn in runs.items():
        queries = mix.get(name) or mix["word"]
        lat = []
        cpu = []
        for q in queries:
            if prof is not None:
                prof.enable()
            c = time.process_time()
            t = time.perf_counter()
            fn(q)
            lat.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            if prof is not None:
                prof.disable()
        out["latency"][name] = lat
        out["cpu"][name] = cpu
    if prof is not None:
        prof.dump_stats(str(profile))
    return out


def bench_fts5(docs: list[dict], mix: dict[str, list[str]], workdir: Path) -> dict:
    from indexer.thai.digits import to_arabic_digits

    path = workdir / "fts.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='trigram')")
    chars = sum(len(d["text"]) for d in docs)
    t0 = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO t(rowid, title, body) VALUES (?, ?, ?)",
            ((d["id"], d["title"], to_arabic_digits(d["text"])) for d in docs),
        )
    build = time.perf_counter() - t0
    out = {
        "build_s": build,
        "docs_per_s": len(docs) / build,
        "chars_per_s": chars / build,
        "size_mb": path.stat().st_size / 1e6,
        "latency": {},
    }

    def run(q: str) -> None:
        terms = [to_arabic_digits(w) for w in q.split() if len(w) >= 3]
        if not terms:
            return
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in terms)
        con.execute(
            "SELECT rowid, snippet(t, 1, '<mark>', '</mark>', '…', 20) FROM t "
            "WHERE t MATCH ? ORDER BY rank LIMIT 20",
            (match,),
        ).fetchall()
        con.execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchone()

    for name, queries in mix.items():
        lat = []
        for q in queries:
            t = time.perf_counter()
            run(q)
            lat.append((time.perf_counter() - t) * 1000)
        out["latency"][name] = lat
    con.close()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--queries", type=int, default=40, help="queries per kind")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help="keep the Khlang index in D/index (a data directory's place for it) and reuse it "
        "when it already holds --docs documents (search figures only; the build rate is then "
        "not measured)",
    )
    ap.add_argument("--skip-fts5", action="store_true", help="skip the FTS5 comparison")
    ap.add_argument(
        "--skip-whoosh",
        action="store_true",
        help="with --backend postgres: build and ask only the postgres backend (at 100k on two"
        " cores the two builds take an hour each: run them as two commands, then"
        " bench_side_by_side on both)",
    )
    ap.add_argument(
        "--backend",
        choices=("whoosh", "postgres"),
        default="whoosh",
        help="postgres: also run the postgres search backend, beside the Whoosh one",
    )
    ap.add_argument(
        "--database-url",
        default=os.environ.get("KHLANG_BENCH_DATABASE_URL", ""),
        help="for --backend postgres: a database the bench DROPS and makes afresh "
        "(default $KHLANG_BENCH_DATABASE_URL)",
    )
    ap.add_argument(
        "--reuse-database",
        action="store_true",
        help="keep the postgres rows when the database already holds --docs documents "
        "(search figures only)",
    )
    ap.add_argument(
        "--profile", type=Path, default=None, help="write cProfile stats of the searches here"
    )
    args = ap.parse_args(argv)
    if args.backend == "postgres" and not args.database_url.startswith("postgresql"):
        ap.error("--backend postgres needs --database-url postgresql+psycopg://.../<bench db>")
    if args.skip_whoosh and args.backend != "postgres":
        ap.error("--skip-whoosh needs --backend postgres")

    texts = read_texts(min(args.docs, 27305))
    docs = list(make_docs(texts, args.docs))
    chars = sum(len(d["text"]) for d in docs)
    mix = query_mix(texts, args.queries)
    print(
        f"docs={len(docs)} chars={chars / 1e6:.1f}M cpus={os.cpu_count()} "
        f"queries/kind={args.queries}"
    )
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        k = (
            None
            if args.skip_whoosh
            else bench_khlang(docs, mix, work, args.index_dir, args.profile)
        )
        f = None if args.skip_fts5 else bench_fts5(docs, mix, work)
        p = None
        if args.backend == "postgres":
            from bench.bench_pg_search import bench_postgres

            p = bench_postgres(docs, mix, args.database_url, work, args.reuse_database)
    for name, r in (("khlang/whoosh", k), ("sqlite fts5 trigram", f), ("khlang/postgres", p)):
        if r is None:
            continue
        print(
            f"\n{name}: build {r['build_s']:.1f}s = {r['docs_per_s']:.1f} docs/s, "
            f"{r['chars_per_s'] / 1e3:.0f}k chars/s; size {r['size_mb']:.1f} MB"
            + (
                f" (sidecar {r['sidecar_mb']:.1f} MB); peak RSS {r['rss_mb']:.0f} MB,"
                f" writer processes {r['child_rss_mb']:.0f} MB"
                if "rss_mb" in r
                else ""
            )
        )
        for kind, lat in r["latency"].items():
            cpu = r.get("cpu", {}).get(kind)
            print(
                f"  {kind:12} p50 {pct(lat, 50):7.1f} ms  p95 {pct(lat, 95):7.1f} ms  "
                f"p99 {pct(lat, 99):7.1f} ms  mean {statistics.fmean(lat):7.1f} ms"
                + (f"  (cpu p50 {pct(cpu, 50):6.1f}, p95 {pct(cpu, 95):6.1f})" if cpu else "")
            )
        mix_lat = [x for v in r["latency"].values() for x in v]
        print(
            f"  {'mix':12} p50 {pct(mix_lat, 50):7.1f} ms  p95 {pct(mix_lat, 95):7.1f} ms  "
            f"p99 {pct(mix_lat, 99):7.1f} ms  mean {statistics.fmean(mix_lat):7.1f} ms"
        )
        if "steps" in r:
            print("  tables: " + ", ".join(f"{t} {mb:.1f} MB" for t, mb in r["tables_mb"].items()))
            print("  mean ms a query by step (the rest: parsing, statistics, did-you-mean):")
            for kind, steps in r["steps"].items():
                rest = statistics.fmean(r["latency"][kind]) - sum(steps.values())
                print(
                    f"  {kind:12} "
                    + "  ".join(f"{s} {v:6.1f}" for s, v in steps.items())
                    + f"  rest {rest:6.1f}"
                )
    print("\ntargets:")
    if k is not None:
        _whoosh_targets(k, f, len(docs))
    if p is not None:
        _postgres_targets(p, len(docs))


def _whoosh_targets(k: dict, f: dict | None, n_docs: int) -> None:
    all_k = [x for v in k["latency"].values() for x in v]
    p95 = pct(all_k, 95)
    sub_k = pct(k["latency"]["substring"], 50)
    sub_f = pct(f["latency"]["substring"], 50) if f else float("nan")
    print(
        f"  p95 < 100 ms (issue: at 100k docs; here {n_docs}): {p95:.1f} ms -> {'met' if p95 < 100 else 'NOT met'}"
    )
    all_cpu = [x for v in k["cpu"].values() for x in v]
    print(
        f"  (cpu time a query, the same mix: p95 {pct(all_cpu, 95):.1f} ms, question p95"
        f" {pct(k['cpu']['question'], 95):.1f} ms; wall minus cpu is waiting for a core or"
        " the disk)"
    )
    question = pct(k["latency"]["question"], 95)
    print(
        f"  question p95 < 200 ms (issue: at 100k docs; here {n_docs}): {question:.1f} ms"
        f" -> {'met' if question < 200 else 'NOT met'}"
    )
    print(
        f"  substring p50 <= fts5 trigram p50: {sub_k:.1f} vs {sub_f:.1f} ms -> {'met' if sub_k <= sub_f else 'NOT met'}"
    )
    if math.isnan(k["chars_per_s"]):  # the index was reused: nothing was built
        print("  build >= 500k chars/s: not measured (the index in --index-dir was reused)")
    else:
        rate = k["chars_per_s"]
        print(
            f"  build >= 500k chars/s: {rate / 1e3:.0f}k -> {'met' if rate >= 5e5 else 'NOT met'}"
        )


def _postgres_targets(p: dict, n_docs: int) -> None:
    all_p = [x for v in p["latency"].values() for x in v]
    sub_p = pct(p["latency"]["substring"], 95)
    print(
        f"  postgres mix p95 < 200 ms (issue: at 100k docs; here {n_docs}):"
        f" {pct(all_p, 95):.1f} ms -> {'met' if pct(all_p, 95) < 200 else 'NOT met'}"
    )
    print(
        f"  postgres substring p95 < 500 ms (issue: at 100k docs; here {n_docs}):"
        f" {sub_p:.1f} ms -> {'met' if sub_p < 500 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
