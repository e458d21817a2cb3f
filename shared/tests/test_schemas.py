"""Request bodies refuse values of the wrong JSON type instead of coercing them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from styr_shared.schemas import QueryDate, StrictModel


class Body(StrictModel):
    rank: int
    share: float | None = None
    amount: Decimal | None = None
    flag: bool = False
    on: date | None = None
    at: datetime | None = None
    label: str | int | None = None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rank": False}, "rank"),
        ({"rank": 1, "share": True}, "share"),
        ({"rank": 1, "amount": True}, "amount"),
        ({"rank": 1, "on": 0}, "on"),
        ({"rank": 1, "at": 1700000000}, "at"),
        ({"rank": 1, "flag": 0}, "flag"),
        ({"rank": 2684539958797252702502912}, "rank"),
        ({"rank": -(2**31)}, "rank"),
    ],
)
def test_wrong_json_types_are_refused_naming_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate(data)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_right_json_types_pass() -> None:
    body = Body.model_validate(
        {
            "rank": 3,
            "share": 0.5,
            "amount": 12,
            "flag": True,
            "on": "2025-03-01",
            "at": "2025-03-01T10:00:00+01:00",
            "label": 7,
        }
    )
    assert (body.rank, body.on, body.flag, body.label) == (3, date(2025, 3, 1), True, 7)


def test_query_dates_are_dates_not_seconds() -> None:
    adapter = TypeAdapter(QueryDate)
    assert adapter.validate_python("2025-03-01") == date(2025, 3, 1)
    for value in ("0", "1700000000", "-5", "0.5"):
        with pytest.raises(ValidationError):
            adapter.validate_python(value)
