"""Value periods: one normalised string per periodicity, validated and ordered by end date.

=================  ==============  ==========================================
periodicity        format          example
=================  ==============  ==========================================
``year``           ``YYYY``        ``2024``
``half_year``      ``YYYY-Hn``     ``2024-H1`` (n = 1..2)
``tertial``        ``YYYY-Tn``     ``2024-T2`` (n = 1..3)
``quarter``        ``YYYY-Qn``     ``2024-Q3`` (n = 1..4)
``month``          ``YYYY-MM``     ``2024-08``
``point_in_time``  ``YYYY-MM-DD``  ``2024-12-01`` (the measure's day, if set)
=================  ==============  ==========================================

Lower-case letters are accepted and upper-cased. The bulk importer reuses :func:`parse_period`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Periodicity(StrEnum):
    YEAR = "year"
    HALF_YEAR = "half_year"
    TERTIAL = "tertial"
    QUARTER = "quarter"
    MONTH = "month"
    POINT_IN_TIME = "point_in_time"


# Months in one sub-year part, per periodicity letter.
_PART_MONTHS = {"H": 6, "T": 4, "Q": 3}
_PART_LETTER = {Periodicity.HALF_YEAR: "H", Periodicity.TERTIAL: "T", Periodicity.QUARTER: "Q"}
_FORMAT = {
    Periodicity.YEAR: "YYYY",
    Periodicity.HALF_YEAR: "YYYY-H1..H2",
    Periodicity.TERTIAL: "YYYY-T1..T3",
    Periodicity.QUARTER: "YYYY-Q1..Q4",
    Periodicity.MONTH: "YYYY-MM",
    Periodicity.POINT_IN_TIME: "YYYY-MM-DD",
}


@dataclass(frozen=True)
class Period:
    text: str
    year: int
    end: date


class PeriodError(ValueError):
    pass


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(
    raw: str, periodicity: Periodicity | str, point_in_time: str | None = None
) -> Period:
    """Validate ``raw`` against the measure's periodicity; raises :class:`PeriodError`."""
    kind = Periodicity(periodicity)
    text = raw.strip().upper()
    expected = f"expected {_FORMAT[kind]} for a {kind.value} measure"
    year_match = re.fullmatch(r"(\d{4})(.*)", text)
    if year_match is None or not 1990 <= int(year_match.group(1)) <= 2100:
        raise PeriodError(expected)
    year, rest = int(year_match.group(1)), year_match.group(2)
    if kind is Periodicity.YEAR:
        if rest:
            raise PeriodError(expected)
        return Period(text, year, date(year, 12, 31))
    if kind in _PART_LETTER:
        letter = _PART_LETTER[kind]
        size = _PART_MONTHS[letter]
        match = re.fullmatch(rf"-{letter}(\d)", rest)
        if match is None or not 1 <= int(match.group(1)) <= 12 // size:
            raise PeriodError(expected)
        return Period(text, year, _month_end(year, int(match.group(1)) * size))
    if kind is Periodicity.MONTH:
        match = re.fullmatch(r"-(\d{2})", rest)
        if match is None or not 1 <= int(match.group(1)) <= 12:
            raise PeriodError(expected)
        return Period(text, year, _month_end(year, int(match.group(1))))
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        day = None
    if day is None:
        raise PeriodError(expected)
    if point_in_time is not None and text[5:] != point_in_time:
        raise PeriodError(f"this measure is measured on {point_in_time} (MM-DD) each year")
    return Period(text, year, day)
