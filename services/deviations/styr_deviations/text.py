"""Input types that are safe to store on every backend.

PostgreSQL cannot store NUL characters and asyncpg cannot encode lone surrogates; either
would otherwise surface as a 500, so such input is refused up front with a 422.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from styr_shared.types import DbId


def printable(value: str) -> str:
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in "\n\r\t"):
            raise ValueError("contains control or invalid characters")
    return value


ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(printable)
]
LongText = Annotated[
    str, StringConstraints(min_length=1, max_length=10_000), AfterValidator(printable)
]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


def reasonable_moment(value: datetime) -> datetime:
    # Converting e.g. year 1 or 9999 to UTC overflows; no case is that old or that far ahead.
    if value.tzinfo is None:
        raise ValueError("needs a timezone (e.g. 2025-03-01T10:00:00+01:00)")
    if not 1900 <= value.year <= 2100:
        raise ValueError("must lie between the years 1900 and 2100")
    return value


def reasonable_date(value: date) -> date:
    if not 1900 <= value.year <= 2100:
        raise ValueError("must lie between the years 1900 and 2100")
    return value


Moment = Annotated[datetime, AfterValidator(reasonable_moment)]
Day = Annotated[date, AfterValidator(reasonable_date)]
DbInt = DbId
"""An id that fits the database's integer column (the shared type)."""
