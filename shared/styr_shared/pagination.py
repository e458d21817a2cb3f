"""Cursor (keyset) pagination.

A cursor is an opaque, URL-safe token holding the sort key of the last row returned. Keyset
pagination stays fast on large tables and never skips or repeats rows when others are inserted
between pages, unlike offsets. Every list endpoint returns :class:`Page`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar, cast

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import tuple_
from sqlalchemy.orm import InstrumentedAttribute, Mapped
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from styr_shared.errors import InvalidFieldError

T = TypeVar("T")
M = TypeVar("M")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


class PageParams(BaseModel):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def page_params(
    cursor: Annotated[str | None, Query(description="A previous page's `next_cursor`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidFieldError("query.cursor", "not a cursor returned by this API") from exc
    if not isinstance(key, list) or len(key) != size:
        raise InvalidFieldError("query.cursor", "not a cursor returned by this API")
    return key


def _from_json(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    # JSON has no dates; asyncpg wants real date objects back in the comparison.
    python_type = column.type.python_type
    try:
        if python_type is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if python_type is date and isinstance(value, str):
            return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidFieldError("query.cursor", "not a cursor returned by this API") from exc
    return value


async def paginate(
    session: AsyncSession,
    statement: SelectOfScalar[M],
    order_by: Sequence[Mapped[Any]],
    params: PageParams,
) -> tuple[list[M], str | None]:
    """Run ``statement`` ordered by ``order_by`` (ascending, unique together) from the cursor.

    Returns the rows of one page and the cursor of the next page, or None on the last page.
    ``order_by`` takes mapped columns, e.g. ``[col(OrgUnit.id)]``.
    """
    columns = [cast(InstrumentedAttribute[Any], column) for column in order_by]
    if params.cursor:
        raw_key = decode_cursor(params.cursor, len(order_by))
        key = [_from_json(value, column) for value, column in zip(raw_key, columns, strict=True)]
        statement = statement.where(tuple_(*columns) > tuple_(*key))
    statement = statement.order_by(*columns).limit(params.limit + 1)
    rows = list((await session.exec(statement)).all())
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, column.key) for column in columns])
