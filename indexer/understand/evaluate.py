"""Confusion matrix of ``understand`` kinds over the shared real documents.

    .venv/bin/python -m indexer.understand.evaluate [--shared PATH] [--news N]

Documents and the kind a person gives them (labels written by reading each one):
- the five seed texts (shared/seeds),
- the three gov-pdf PDFs, text by pypdf (+ indexer.thai.repair.repair_thai when present),
- the five gov-texts (four Acts -> law; the citizens' budget -> budget_table),
- the first N thaigov news releases (default 20) -> other.
"""

from __future__ import annotations

import argparse
import io
import tarfile
from collections import Counter
from pathlib import Path

from . import KINDS, understand

SHARED_DEFAULT = Path(__file__).resolve().parents[3] / "shared"

SEED_LABELS = {
    "000": "guideline",
    "001": "guideline",
    "002": "minutes",
    "003": "letter",
    "004": "letter",
}
PDF_LABELS = {
    "ratchakitcha_2558_ncpo_announcement_cdc.pdf": "announcement",
    "ratchakitcha_2558_ncpo_order_34.pdf": "order",
    "budget_bureau_fy2565_doc3_vol17.pdf": "budget_table",
}
TEXT_LABELS = {
    "law_01_official-information-act-2540.txt": "law",
    "law_02_budget-procedures-act-2561.txt": "law",
    "law_03_state-administration-act-2534.txt": "law",
    "law_04_public-procurement-act-2560.txt": "law",
    "budget_bureau_citizens_budget_2570_pdf_textlayer.txt": "budget_table",
}


def pdf_text(path: Path, max_pages: int | None = None) -> str:
    """A PDF's text as the ingestion pipeline reads it (text layer through /ActualText,
    then Thai repair), so the confusion matrix measures what the product does."""
    from indexer.extract.pdf import text_layer

    return text_layer(path, max_pages)


def news_texts(shared: Path, n: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    tar_path = shared / "corpus" / "thaigov-2020-2022.tar.xz"
    if n <= 0 or not tar_path.exists():
        return out
    with tarfile.open(tar_path, "r:xz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            f = tar.extractfile(member)
            if f is None:
                continue
            text = io.TextIOWrapper(f, encoding="utf-8", errors="replace").read()
            out.append((f"news/{member.name}", text))
            if len(out) >= n:
                break
    return out


def labelled_documents(shared: Path, news: int = 20, pdf_pages: int | None = None):
    """Yield (name, expected kind, text)."""
    for path in sorted((shared / "seeds").glob("*.txt")):
        label = SEED_LABELS.get(path.name[:3])
        if label:
            yield f"seeds/{path.name}", label, path.read_text(encoding="utf-8")
    for name, label in PDF_LABELS.items():
        path = shared / "corpus" / "gov-pdf" / name
        if path.exists():
            yield f"gov-pdf/{name}", label, pdf_text(path, pdf_pages)
    for name, label in TEXT_LABELS.items():
        path = shared / "corpus" / "gov-texts" / name
        if path.exists():
            yield f"gov-texts/{name}", label, path.read_text(encoding="utf-8", errors="replace")
    for name, text in news_texts(shared, news):
        yield name, "other", text


def confusion(results: list[tuple[str, str, str]]) -> str:
    """Rows: expected kind; columns: predicted kind."""
    kinds = [k for k in KINDS if any(k in (e, p) for _, e, p in results)]
    counts = Counter((e, p) for _, e, p in results)
    width = max(len(k) for k in kinds) + 1
    lines = ["expected \\ predicted".ljust(width + 2) + " ".join(k[:8].rjust(8) for k in kinds)]
    for e in kinds:
        row = [str(counts[(e, p)] or ".").rjust(8) for p in kinds]
        lines.append(e.ljust(width + 2) + " ".join(row))
    right = sum(1 for _, e, p in results if e == p)
    lines.append(f"{right}/{len(results)} correct")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=SHARED_DEFAULT)
    ap.add_argument("--news", type=int, default=20, help="thaigov releases to add as 'other'")
    args = ap.parse_args(argv)
    results = []
    for name, expected, text in labelled_documents(args.shared, args.news):
        u = understand(text, filename=name)
        results.append((name, expected, u.kind))
        mark = "ok " if u.kind == expected else "XX "
        print(f"{mark}{name}: expected {expected}, got {u.kind} {u.scores}")
        if u.kind != expected:
            for ev in u.kind_evidence[:6]:
                print(f"      {ev}")
    print()
    print(confusion(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
