"""The filters of a ``postgres`` search as SQL conditions on ``khlang_search.documents``:
facet values, their exclusions and the publication a reader may see (the query's words
are :mod:`indexer.search.pg_search`'s)."""

from __future__ import annotations

from schemas.search_index import MULTI_FIELDS

from .query import PARTIAL_FIELDS


def filter_conditions(pq, published_only: bool) -> list[tuple[str, list]]:
    """SQL conditions (with parameters) for the filters, exclusions and visibility."""
    parts: list[tuple[str, list]] = []

    def values_condition(fname: str, values: list[str]) -> tuple[str, list]:
        if fname in MULTI_FIELDS:
            if fname in PARTIAL_FIELDS:
                likes = [f"%{v.lower()}%" for v in values]
                return (
                    f"EXISTS (SELECT 1 FROM unnest({fname}) v WHERE v = ANY(%s)"
                    " OR lower(v) LIKE ANY(%s))",
                    [values, likes],
                )
            return f"{fname} && %s::text[]", [values]
        return f"{fname} = ANY(%s)", [values]

    for fname, values in pq.filters.items():
        if values:
            parts.append(values_condition(fname, values))
    for fname, values in pq.excluded_filters.items():
        if values:
            sql, params = values_condition(fname, values)
            parts.append((f"NOT ({sql})", params))
    if published_only:
        parts.append(("publication = 'published'", []))
    return parts
