"""Write the README's settings tables from the one table in schemas.config.

    python scripts/settings_table.py          # rewrite README.md's tables in place
    python scripts/settings_table.py --check  # exit 1 if README.md differs (as the test)

Each table sits between ``<!-- settings: SECTION -->`` and ``<!-- /settings -->``, so that
the prose around it stays hand-written and a new setting is one entry in schemas.config.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.config import README_SECTIONS, SETTINGS  # noqa: E402

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- settings: (\w+) -->\n)(.*?)(<!-- /settings -->)", re.DOTALL)


def table(section: str) -> str:
    """The Markdown table of one section's settings, in the order of the table."""
    lines = ["| setting | meaning | default |", "| --- | --- | --- |"]
    for entry in SETTINGS:
        if entry.section != section:
            continue
        names = ", ".join(f"`{name}`" for name in entry.names)
        if entry.option:
            names = f"`{entry.option}` / {names}"
        lines.append(f"| {names} | {entry.meaning} | {entry.shown_default} |")
    return "\n".join(lines) + "\n"


def rewritten(text: str) -> str:
    """The README with each marked table written anew (an unknown section is an error)."""
    found = [match[2] for match in BLOCK.finditer(text)]
    if sorted(found) != sorted(README_SECTIONS):
        raise SystemExit(f"README.md marks settings tables {found}, expected {README_SECTIONS}")
    return BLOCK.sub(lambda m: m[1] + table(m[2]) + m[4], text)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    new = rewritten(text)
    if "--check" in argv:
        if new != text:
            print("README.md's settings tables differ: run python scripts/settings_table.py")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
