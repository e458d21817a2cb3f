"""Swedish amount formats in, exact kronor out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from styr_budget.amounts import AmountError, MoneyUnit, parse_amount, present


@pytest.mark.parametrize(
    ("text", "unit", "kronor"),
    [
        ("-353 639", MoneyUnit.TKR, "-353639000.00"),
        ("−1 071", MoneyUnit.TKR, "-1071000.00"),
        ("1,1 mkr", MoneyUnit.KR, "1100000.00"),
        ("370,697 tkr", MoneyUnit.KR, "370697000.00"),
        ("348,937 tkr", MoneyUnit.KR, "348937000.00"),
        ("0,4 mkr", MoneyUnit.KR, "400000.00"),
        ("1 234,50", MoneyUnit.KR, "1234.50"),
        ("1.234,50 kr", MoneyUnit.TKR, "1234.50"),
        ("1.5", MoneyUnit.MKR, "1500000.00"),
        ("+1 707", MoneyUnit.TKR, "1707000.00"),
        ("12 345 kr", MoneyUnit.MKR, "12345.00"),
        ("1,100 mkr", MoneyUnit.KR, "1100000.00"),
        ("1,005", MoneyUnit.KR, "1005.00"),
    ],
)
def test_swedish_formats(text: str, unit: MoneyUnit, kronor: str) -> None:
    assert parse_amount(text, unit) == Decimal(kronor)


def test_numbers_are_exact() -> None:
    assert parse_amount(0.1, MoneyUnit.MKR) == Decimal("100000.00")
    assert parse_amount(-370697, MoneyUnit.TKR) == Decimal("-370697000.00")


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "12 kr kr", "--5", "0,001 kr"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text, MoneyUnit.KR)


def test_present_is_exact() -> None:
    assert present(Decimal("-370697000.00"), MoneyUnit.TKR) == Decimal("-370697")
    assert present(Decimal("3576000.00"), MoneyUnit.MKR) == Decimal("3.576")
    assert present(Decimal("1234567.89"), MoneyUnit.MKR) == Decimal("1.23456789")
