"""Keyset pagination: page 10,000 costs what page 1 costs.

A page is asked for with an opaque cursor holding the sort values of the last row seen; the next
page is the rows that sort after it. Sort columns must end with a unique one (the id).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from .extensions import db

T = TypeVar("T")


class BadCursor(ValueError):
    """The cursor was not made by us (or was cut short)."""


@dataclass(frozen=True)
class SortKey:
    """One sort column; ``null_as`` replaces NULL so that it compares (and sorts) like a value."""

    column: Any
    descending: bool = False
    null_as: Any = None

    def expression(self) -> Any:
        return (
            sa.func.coalesce(self.column, self.null_as) if self.null_as is not None else self.column
        )

    def order_by(self) -> Any:
        expr = self.expression()
        return expr.desc() if self.descending else expr.asc()


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    return {"t": value.isoformat()} if isinstance(value, datetime) else value


def _decode_value(value: Any) -> Any:
    return datetime.fromisoformat(value["t"]) if isinstance(value, dict) else value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise BadCursor("cursor is not valid") from exc
    if not isinstance(values, list) or len(values) != size:
        raise BadCursor("cursor is not valid")
    try:
        return [_decode_value(v) for v in values]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadCursor("cursor is not valid") from exc


def _after(keys: list[SortKey], values: list[Any]) -> Any:
    """Rows that sort after ``values``. One row-value comparison when every key sorts the same
    way (an index range scan on both SQLite and PostgreSQL), else the expanded OR form."""
    if len({k.descending for k in keys}) == 1:
        left = sa.tuple_(*[k.expression() for k in keys])
        right = sa.tuple_(
            *[sa.literal(v, k.expression().type) for k, v in zip(keys, values, strict=True)]
        )
        return left < right if keys[0].descending else left > right
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j].expression() == values[j] for j in range(i)]
        beyond = key.expression() < values[i] if key.descending else key.expression() > values[i]
        clauses.append(sa.and_(*equal, beyond))
    return sa.or_(*clauses)


MAX_INT = 2**63 - 1


def _checked(keys: list[SortKey], values: list[Any]) -> list[Any]:
    """Refuse values of the wrong type for their column: a forged cursor must not reach SQL."""
    for key, value in zip(keys, values, strict=True):
        column_type = key.expression().type
        column_type = getattr(column_type, "impl", column_type)  # through TypeDecorators
        try:
            expected = column_type.python_type
        except NotImplementedError:
            continue
        if expected is int and (
            isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT
        ):
            raise BadCursor("cursor is not valid")
        if expected is datetime and not (isinstance(value, datetime) and value.tzinfo is not None):
            raise BadCursor("cursor is not valid")
        if expected is str and not isinstance(value, str):
            raise BadCursor("cursor is not valid")
    return values


def keyset_page(query: sa.Select, keys: list[SortKey], cursor: str | None, limit: int) -> Page[Any]:
    """One page of ``query`` (a select of one entity) in ``keys`` order, after ``cursor``.
    Raises ``BadCursor`` for a cursor we did not make."""
    if cursor:
        query = query.where(_after(keys, _checked(keys, decode_cursor(cursor, len(keys)))))
    extra = [k.expression().label(f"_k{i}") for i, k in enumerate(keys)]
    rows = db.session.execute(
        query.add_columns(*extra).order_by(*[k.order_by() for k in keys]).limit(limit + 1)
    ).all()
    items = [row[0] for row in rows[:limit]]
    next_cursor = encode_cursor(list(rows[limit - 1][1:])) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)
