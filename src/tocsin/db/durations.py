"""The seconds between two timestamps, as each database computes them.

One construct for the queries that measure durations and for the indexes that serve
them: a database uses an index on an expression only for a query that spells the same
expression, so both are rendered from here. SQLite stores times as UTC text (julianday
reads it); PostgreSQL stores timestamptz. The scale is written into the SQL rather than
bound as a parameter, because a parameter would not match the indexed expression.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction


class seconds_between(GenericFunction[float]):  # noqa: N801 (SQL functions are lower case)
    """seconds_between(start, end): end - start in seconds (negative when end is earlier;
    NULL when either is NULL)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


def _parts(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    start, end = list(element.clauses)
    return compiler.process(start, **kw), compiler.process(end, **kw)


@compiles(seconds_between, "sqlite")
def _sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _parts(element, compiler, **kw)
    return f"CAST((julianday({end}) - julianday({start})) * 86400.0 AS FLOAT)"


@compiles(seconds_between, "postgresql")
def _postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _parts(element, compiler, **kw)
    return f"CAST(EXTRACT(epoch FROM {end} - {start}) AS FLOAT)"
