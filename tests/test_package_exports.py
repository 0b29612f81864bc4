"""Each indexer subpackage's curated names (its ``__all__``) resolve, in a fresh process:
the names are imported lazily (indexer/exports.py), so an import cycle between the
packages would show only when a name is first asked for, here rather than in production."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("ingest", "inventory", "records", "preserve", "runtime")

CHECK = """
import importlib, sys
package = importlib.import_module(sys.argv[1])
missing = [name for name in package.__all__ if getattr(package, name, None) is None]
assert not missing, missing
assert set(package.__all__) <= set(dir(package))
"""


@pytest.mark.parametrize("package", PACKAGES)
def test_every_curated_name_resolves_in_a_fresh_process(package):
    done = subprocess.run(
        [sys.executable, "-c", CHECK, f"indexer.{package}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
