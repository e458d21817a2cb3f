"""Base classes for API contracts, and the shared date types of query parameters."""

from __future__ import annotations

import types
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

NUMBERS = {int, float, Decimal}
INT_LIMIT = 2**31 - 1
MOMENTS = {date, datetime}


def scalar_types(annotation: Any) -> set[Any]:
    """The plain types a field takes: ``int | None`` → {int, NoneType};
    ``Annotated[date, …]`` → {date}. Containers count as themselves (``list``)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return scalar_types(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return set().union(*(scalar_types(arg) for arg in get_args(annotation)))
    return {origin or annotation}


def json_type_problem(value: Any, expected: set[Any]) -> str | None:
    """Why ``value`` has the wrong JSON type for a field of ``expected`` types, or None.

    Pydantic's lax mode turns ``true`` into 1 and ``0`` into 1970-01-01: a client's mistake
    would be stored as data. JSON bodies must carry numbers as numbers and dates as text."""
    if isinstance(value, bool):
        if bool not in expected and expected & NUMBERS:
            return "expected a number, not true or false"
    elif isinstance(value, int) and int in expected and not -INT_LIMIT <= value <= INT_LIMIT:
        # every integer the services store is an INTEGER column (ids have DbId)
        return f"an integer from {-INT_LIMIT} to {INT_LIMIT}"
    elif not expected & (NUMBERS | {str, Any}):
        if bool in expected:
            return "expected true or false, not a number"
        if expected & MOMENTS:
            return "expected a date as text (YYYY-MM-DD or an ISO 8601 time), not a number"
    return None


class StrictModel(BaseModel):
    """Request bodies: unknown fields are an error, so a typo never passes silently, and
    values of the wrong JSON type are refused instead of coerced."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _json_types(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool | int | float) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            problem = field and json_type_problem(value, scalar_types(field.annotation))
            if problem:
                raise ValueError(problem)
        return value


class ResponseModel(BaseModel):
    """Response bodies: built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


def iso_text(value: Any) -> Any:
    # pydantic reads "0", "0.5" or "1700000000" as a Unix time; a query date is written as one
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        raise ValueError("expected a date as YYYY-MM-DD (or an ISO 8601 time), not a number")
    return value


QueryDate = Annotated[date, BeforeValidator(iso_text)]
"""A date in a query string: ``YYYY-MM-DD`` (not a number of seconds)."""
