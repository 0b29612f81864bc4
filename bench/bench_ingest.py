"""Ingestion rate on real Thai text: TXT, DOCX and PDF files built from the thaigov corpus.

Prints files/s, MB/s and the time per stage (receive, identify, extract, repair, analyse,
store, commit, index). Figures only: nothing here asserts a speed.

    .venv/bin/python -m bench.bench_ingest --txt 1000 --docx 500 --pdf 100 [--text-kb 8-12]

``--profile DIR`` also writes cProfile files there: the main process of each run
(``main-KIND.prof``) and, separately, ``prepare`` run in-process on the same files
(``prepare-KIND.prof``, what the workers do), and prints the top functions of each.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench.corpus import SHARED, thaigov_texts

THAI_FONT = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")


def _kb_range(value: str) -> tuple[float, float]:
    low, _, high = value.partition("-")
    return float(low), float(high or low)


def sized_texts(count: int, text_kb: tuple[float, float]) -> list[tuple[str, str]]:
    """The first ``count`` corpus texts whose UTF-8 size lies in ``text_kb`` (7,279 of the
    27,305 are 8-12 KB)."""
    low, high = (kb * 1000 for kb in text_kb)
    chosen = []
    for name, text in thaigov_texts():
        if low <= len(text.encode("utf-8")) <= high:
            chosen.append((name, text))
            if len(chosen) == count:
                break
    return chosen


def write_txt(folder: Path, texts) -> list[Path]:
    paths = []
    for n, (_, text) in enumerate(texts):
        path = folder / f"ข่าว-{n:05d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_docx(folder: Path, texts) -> list[Path]:
    from docx import Document

    paths = []
    for n, (_, text) in enumerate(texts):
        document = Document()
        for paragraph in text.split("\n"):
            if paragraph.strip():
                document.add_paragraph(paragraph)
        path = folder / f"ข่าว-{n:05d}.docx"
        document.save(path)
        paths.append(path)
    return paths


def write_pdf(folder: Path, texts) -> list[Path]:
    from fpdf import FPDF

    paths = []
    for n, (_, text) in enumerate(texts):
        pdf = FPDF()
        pdf.add_font("Garuda", fname=str(THAI_FONT))
        pdf.set_font("Garuda", size=12)
        pdf.add_page()
        pdf.multi_cell(0, 7, text[:6000])
        path = folder / f"ข่าว-{n:05d}.pdf"
        pdf.output(str(path))
        paths.append(path)
    return paths


def _print_profile(profiler: cProfile.Profile, path: Path, title: str) -> None:
    profiler.dump_stats(path)
    print(f"      -- {title}: {path} (top by cumulative time)")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(25)


def profile_prepare(paths: list[Path], out: Path) -> None:
    """What the workers do, in this process so that one profile covers all the files."""
    from indexer.ingest.prepare import prepare

    profiler = cProfile.Profile()
    profiler.enable()
    for path in paths:
        prepare(path, path.name, path.name)
    profiler.disable()
    _print_profile(profiler, out, "prepare, in-process")


def _cpu_seconds() -> tuple[float, float]:
    """User + system CPU of this process, and of its finished children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_kind(
    kind: str,
    writer,
    count: int,
    text_kb: tuple[float, float],
    workers: int = 1,
    profile: Path | None = None,
) -> dict:
    from indexer.core import Khlang
    from indexer.ingest.jobs import run_ingest_job
    from schemas.config import Settings

    workdir = Path(tempfile.mkdtemp(prefix=f"khlang-bench-{kind}-"))
    try:
        # Every kind from the same texts, so that TXT and DOCX rates compare the formats,
        # not the texts (the corpus's texts run from a few hundred bytes to 100 KB).
        texts = sized_texts(count, text_kb)
        mean_kb = sum(len(t.encode("utf-8")) for _, t in texts) / len(texts) / 1024
        source = workdir / "in"
        source.mkdir()
        started = time.perf_counter()
        paths = writer(source, texts)
        made = time.perf_counter() - started
        size = sum(p.stat().st_size for p in paths)
        core = Khlang(Settings.load(workdir / "data"))
        core.init()
        core.search_backend.check()  # open the index and load the analyzer before the clock
        timings: dict[str, float] = {}
        profiler = cProfile.Profile() if profile else None
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        results = run_ingest_job(
            core, [str(source)], agent="bench", timings=timings, workers=workers
        )
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu_main, cpu_workers = (a - b for a, b in zip(_cpu_seconds(), cpu_before, strict=True))
        core.dispose()
        if profile:
            _print_profile(profiler, profile / f"main-{kind}.prof", "main process")
            profile_prepare(paths, profile / f"prepare-{kind}.prof")
        ok = sum(1 for r in results if r.status == "ingested")
        return {
            "kind": kind,
            "files": len(paths),
            "ingested": ok,
            "seconds": elapsed,
            "files_per_s": len(paths) / elapsed,
            "mb_per_s": size / elapsed / 1e6,
            "avg_kb": size / len(paths) / 1024,
            "text_kb": mean_kb,
            "stages": timings,
            "made_in": made,
            "cpu_main": cpu_main,
            "cpu_workers": cpu_workers,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _stages(seconds: dict[str, float]) -> str:
    ordered = sorted(seconds.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{stage} {value:.1f}" for stage, value in ordered) or "-"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--txt", type=int, default=1000)
    parser.add_argument("--docx", type=int, default=500)
    parser.add_argument("--pdf", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="processes preparing files")
    parser.add_argument(
        "--text-kb",
        type=_kb_range,
        default=(8.0, 12.0),
        help="only texts of this many KB of UTF-8 (LOW-HIGH; default 8-12: the issue's ~10 KB)",
    )
    parser.add_argument("--profile", type=Path, help="write and print cProfile files here")
    args = parser.parse_args(argv)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    if not (SHARED / "corpus").is_dir():
        raise SystemExit(f"needs the corpus at {SHARED / 'corpus'}")
    print(f"== ingestion benchmark (thaigov texts; 2-core machine; {args.workers} workers) ==")
    for kind, writer, count in (
        ("txt", write_txt, args.txt),
        ("docx", write_docx, args.docx),
        ("pdf", write_pdf, args.pdf),
    ):
        if count <= 0:
            continue
        row = run_kind(kind, writer, count, args.text_kb, args.workers, args.profile)
        in_main = {k: v for k, v in row["stages"].items() if not k.endswith("(work)")}
        work = {k[: -len(" (work)")]: v for k, v in row["stages"].items() if k.endswith("(work)")}
        print(
            f"{kind:>4}: {row['files']} files ({row['avg_kb']:.1f} KB avg, "
            f"{row['text_kb']:.1f} KB of text), "
            f"{row['ingested']} ingested in {row['seconds']:.1f} s = "
            f"{row['files_per_s']:.1f} files/s, {row['mb_per_s']:.2f} MB/s"
        )
        print(
            f"      CPU (s): main process {row['cpu_main']:.1f}, workers {row['cpu_workers']:.1f}"
            f" = {1000 * (row['cpu_main'] + row['cpu_workers']) / row['files']:.0f} ms a file"
        )
        print(f"      main process (s): {_stages(in_main)}")
        print(f"      in worker processes (s): {_stages(work)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
