from __future__ import annotations

from decimal import Decimal

import pytest

from styr_shared.numbers import NumberError, parse_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,5", "1234.5"),
        ("1\u00a0234,5", "1234.5"),
        ("\u2212353 639", "-353639"),
        ("-3,2", "-3.2"),
        ("12.5", "12.5"),
        ("1.234,5", "1234.5"),
        ("1,234", "1.234"),
        ("89,77", "89.77"),
        ("  7 ", "7"),
        ("1e3", "1E+3"),
    ],
)
def test_swedish_and_machine_numbers(text: str, expected: str) -> None:
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "12%", "NaN", "Infinity", "--1", "1 234 kr"])
def test_non_numbers_are_refused(text: str) -> None:
    with pytest.raises(NumberError):
        parse_decimal(text)
