"""Turning results into JSON data, for pages and API alike (the parameters they read are
declared in service/api_models and read through its ``read_query``)."""

from __future__ import annotations

import dataclasses
import datetime as dt


def jsonable(value):
    """Dataclasses, dates and tuples as JSON has them (dicts, ISO strings, lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
