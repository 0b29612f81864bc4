"""Lazy re-exports for the curated ``__init__`` of the indexer's subpackages.

Each subpackage's ``__init__`` names what other layers use (its ``__all__``) and which of
its modules defines each name; a name's module is imported when the name is first asked
for. Eager re-exports would tie the packages in knots: ingest links inventory items,
an inventory import reindexes documents through ingest, records describe links, so which
package finished initialising first would decide whether an import works. Lazy names also
keep a spawned worker, or ``khlang --help``, from importing modules it never uses.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(
    package: str, exports: dict[str, tuple[str, ...]]
) -> tuple[list[str], Callable[[str], object], Callable[[], list[str]]]:
    """(``__all__``, ``__getattr__``, ``__dir__``) for ``package``, whose public names are
    ``exports``: module name (relative to the package) -> the names it defines."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # asked once, then a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return list(where), __getattr__, __dir__
