"""Swedish personal identity numbers (personnummer) and coordination numbers
(samordningsnummer, day + 60), validated by date and Luhn checksum (the checksum by the
`personnummer` library, the personnummer.dev project's reference implementation); and found in
free text, where they must not stay."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from personnummer import personnummer as reference

_PATTERN = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$")


class PersonnummerError(ValueError):
    pass


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
    if serial == "000":
        raise PersonnummerError("the serial number 000 is never issued")
    if not reference.valid(f"{year:04d}{mm}{dd}{serial}{check}"):
        raise PersonnummerError("the check digit is wrong")
    return f"{year:04d}{mm}{dd}{serial}{check}"


def is_coordination_number(normalised: str) -> bool:
    return int(normalised[6:8]) > 60


# In free text: 6 or 8 digits of date, an optional - or +, 4 digits; not inside a longer run
# of digits or a word (an invoice or account number). A candidate counts only if its date and
# check digit are valid (a phone number can pass both: it is then kept safe as well).
IN_TEXT = re.compile(r"(?<![\w+-])(?:\d{8}|\d{6})[-+]?\d{4}(?![\w])")
MARK = "[personnummer]"


def extract(text: str) -> tuple[str, list[str]]:
    """``text`` with every valid personnummer replaced by :data:`MARK`, and the numbers
    found (normalised, in order)."""
    found: list[str] = []

    def replace(match: re.Match[str]) -> str:
        try:
            number = normalise(match.group(0))
        except PersonnummerError:
            return match.group(0)
        found.append(number)
        return MARK

    return IN_TEXT.sub(replace, text), found


def extract_from_fields(texts: dict[str, str | None]) -> tuple[dict[str, str | None], list[Any]]:
    """Each text with its personnummer replaced by :data:`MARK`, and the numbers as
    ``{"field", "personnummer"}`` entries for the encrypted personal-data document."""
    cleaned: dict[str, str | None] = {}
    numbers: list[Any] = []
    for field, text in texts.items():
        if text is None:
            cleaned[field] = None
            continue
        cleaned[field], found = extract(text)
        numbers += [{"field": field, "personnummer": number} for number in found]
    return cleaned, numbers
