"""Document ids sent to PostgreSQL as one ``bigint[]`` parameter, made in one pass.

psycopg dumps a Python list element by element, a dumper call an id: 50,000 ids took 21 ms
to send, where the same array's text form joined in one pass took 6 (at 100k documents a
search sends arrays of tens of thousands of ids: the documents a chunk is looked for in,
a tier's candidates, its members to count). The array still goes as ``int8[]`` (its type
named, parsed by the server when the statement is bound): a ``text`` parameter cast in
the statement would not be a constant the planner can hash ``doc_id = ANY(...)`` on.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg.adapt import Dumper
from psycopg.postgres import types


class IdArray(list):
    """Document ids, sorted, for a ``%s::bigint[]`` parameter (:func:`id_array`)."""


class IdArrayDumper(Dumper):
    """An :class:`IdArray` in ``int8[]``'s text form."""

    oid = types["int8"].array_oid

    def dump(self, obj: IdArray) -> bytes:
        return ("{" + ",".join(map(str, obj)) + "}").encode()


def id_array(ids: Iterable[int]) -> IdArray:
    """``ids`` sorted, to be sent as one ``bigint[]``."""
    return IdArray(sorted(ids))


def register(conn: psycopg.Connection) -> None:
    """Send :class:`IdArray` parameters of ``conn`` with :class:`IdArrayDumper`."""
    conn.adapters.register_dumper(IdArray, IdArrayDumper)
