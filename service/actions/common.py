"""Reading the parameters pages and API take alike, and turning results into JSON data."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import request

from service.errors import BadArgument


def int_arg(name: str, default: int, low: int, high: int, args=None) -> int:
    """An integer query parameter within [low, high]; ``args`` when the caller filled in
    defaults of its own (the gap page's fiscal year), else the request's query string."""
    raw = (request.args if args is None else args).get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadArgument(name) from None
    if not low <= value <= high:
        raise BadArgument(name)
    return value


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
