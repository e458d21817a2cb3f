"""Swedish personal identity numbers (personnummer) and coordination numbers
(samordningsnummer, day + 60), validated by date and Luhn checksum."""

from __future__ import annotations

import re
from datetime import date

_PATTERN = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$")


class PersonnummerError(ValueError):
    pass


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return total % 10 == 0


def normalise(raw: str, today: date | None = None) -> str:
    """The number as 12 digits (``YYYYMMDDNNNC``), or :class:`PersonnummerError`.

    Accepts ``YYYYMMDD-NNNC``, ``YYYYMMDDNNNC``, ``YYMMDD-NNNC`` and ``YYMMDD+NNNC`` (``+``
    means 100 years or older). Samordningsnummer have 60 added to the day.
    """
    match = _PATTERN.match(raw.strip())
    if match is None:
        raise PersonnummerError("not a personnummer (expected YYYYMMDD-NNNC)")
    century, yy, mm, dd, separator, serial, check = match.groups()
    today = today or date.today()
    if century is None:
        year = 2000 + int(yy)
        if year > today.year:
            year -= 100
        if separator == "+":
            year -= 100
    else:
        if separator == "+":
            raise PersonnummerError("'+' is only used with a two-digit year")
        year = int(century + yy)
    day = int(dd)
    if day > 60:
        day -= 60  # samordningsnummer
    try:
        born = date(year, int(mm), day)
    except ValueError as exc:
        raise PersonnummerError("the date part is not a real date") from exc
    if born > today:
        raise PersonnummerError("the date part is in the future")
    if not luhn_ok(f"{yy}{mm}{dd}{serial}{check}"):
        raise PersonnummerError("the check digit is wrong")
    return f"{year:04d}{mm}{dd}{serial}{check}"


def is_coordination_number(normalised: str) -> bool:
    return int(normalised[6:8]) > 60
