"""Computed measure status and trend (pure functions, no I/O).

**Rounding rule.** A value is rounded to the measure's ``decimals`` (half up: 0.5 goes away
from zero) and the rounded value is compared with the target exactly, using the target's
operator. Nothing else is rounded: the target is used as stated. So a value is judged at the
precision the measure is reported in, never at the coarser precision a paper happens to print.
Frisknärvaro is reported with 2 decimals (Hypergene), so 89.77 against ``>= 90`` is *not met*,
although the annual report prints the cell as "90 %". With 0 decimals, 89.5 would count as 90.

A target given only as a benchmark ("minst i nivå med genomsnittet för alla kommuner") has no
number to compare with: its status is ``no_target`` until a benchmark value is supplied.

**Trend.** Against the previous value of the same series (same measure, org unit, segment and
gender, earlier period end, same definition version): ``improving`` when the rounded value
moved in the measure's good direction (up for ``increase`` and ``milestone``, down for
``decrease``), ``worsening`` when it moved the other way, ``unchanged`` when equal after
rounding. No previous value, or a previous value under another definition version (a series
break), gives no trend.

**Direction-only targets** ("Öka", "Minska", "Behålla": no number). The value is compared
with a *reference* of the same series: its previous value (same unit, segment and gender,
same definition version) within the measure's look-back (from year − 1 − ``lookback_years``:
the previous year's latest available value), else the series' baseline (the gender's own
baseline when it has one). ``increase`` is met when the rounded value is above the rounded
reference, ``decrease`` when below, ``maintain`` when it is not worse than the reference in
the measure's good direction (equal for a milestone). No reference gives ``no_reference``.

**Interim targets.** A year without a stated target that lies between two anchors of the
same series gets an *interim* target on the straight line between them: the start is the
latest earlier stated numeric target, else the baseline (with a year in its period label),
the end the next later stated numeric target, whose operator is used. Interim targets are
reported as such (``target_basis: interim``) and never stored or shown as stated targets.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Operator(StrEnum):
    EQ = "="
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"
    MILESTONE = "milestone"


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NO_VALUE = "no_value"
    NO_TARGET = "no_target"
    NO_REFERENCE = "no_reference"


class TargetDirection(StrEnum):
    """A target without a number: the value should rise, fall or hold."""

    INCREASE = "increase"
    DECREASE = "decrease"
    MAINTAIN = "maintain"


class TargetBasis(StrEnum):
    """What a status was judged against."""

    STATED = "stated"
    INTERIM = "interim"
    DIRECTION = "direction"


# How plans write a direction-only target.
SWEDISH_DIRECTIONS = {
    "öka": TargetDirection.INCREASE,
    "minska": TargetDirection.DECREASE,
    "behålla": TargetDirection.MAINTAIN,
    "bibehålla": TargetDirection.MAINTAIN,
}


def baseline_year(label: str | None) -> int | None:
    """The year a baseline's period label names ("2023", "Delår 2024"), if one."""
    found = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", label or "")
    return int(found.group(0)) if found else None


def direction_of_words(text: str | None) -> TargetDirection | None:
    """ "Öka" → increase, "Minska" → decrease, "Behålla" → maintain (case and a final full
    stop ignored); anything else is no direction."""
    if text is None:
        return None
    return SWEDISH_DIRECTIONS.get(text.strip().rstrip(".").strip().lower())


def direction_operator(target: TargetDirection | str, measure: Direction | str) -> Operator:
    """The comparison of value with reference that a direction target asks for."""
    wanted, good = TargetDirection(target), Direction(measure)
    if wanted is TargetDirection.INCREASE:
        return Operator.GT
    if wanted is TargetDirection.DECREASE:
        return Operator.LT
    if good is Direction.MILESTONE:
        return Operator.EQ
    return Operator.LE if good is Direction.DECREASE else Operator.GE


def interim_value(
    start_year: int, start: Decimal, end_year: int, end: Decimal, year: int
) -> Decimal:
    """The point of ``year`` on the straight line from (start_year, start) to (end_year, end),
    to 4 decimals (half up); exactly ``start`` and ``end`` at the ends."""
    if not start_year < end_year:
        raise ValueError("the trajectory must run forward in time")
    if not start_year <= year <= end_year:
        raise ValueError("the year must lie on the trajectory")
    if year == start_year:
        return start
    if year == end_year:
        return end
    step = (end - start) * Decimal(year - start_year) / Decimal(end_year - start_year)
    return (start + step).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


class Trend(StrEnum):
    IMPROVING = "improving"
    WORSENING = "worsening"
    UNCHANGED = "unchanged"


def round_half_up(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def compare(value: Decimal, operator: Operator | str, target: Decimal) -> bool:
    match Operator(operator):
        case Operator.EQ:
            return value == target
        case Operator.GE:
            return value >= target
        case Operator.GT:
            return value > target
        case Operator.LE:
            return value <= target
        case Operator.LT:
            return value < target


def compute_status(
    value: Decimal | None,
    operator: Operator | str | None,
    target: Decimal | None,
    decimals: int,
) -> Status:
    if operator is None or target is None:
        return Status.NO_TARGET
    if value is None:
        return Status.NO_VALUE
    return (
        Status.MET
        if compare(round_half_up(value, decimals), operator, target)
        else (Status.NOT_MET)
    )


def compute_direction_status(
    value: Decimal | None,
    target: TargetDirection | str,
    measure: Direction | str,
    reference: Decimal | None,
    decimals: int,
) -> Status:
    """A direction target: the rounded value against the rounded reference."""
    if value is None:
        return Status.NO_VALUE
    if reference is None:
        return Status.NO_REFERENCE
    operator = direction_operator(target, measure)
    now, before = round_half_up(value, decimals), round_half_up(reference, decimals)
    return Status.MET if compare(now, operator, before) else Status.NOT_MET


def compute_trend(
    current: Decimal, previous: Decimal | None, direction: Direction | str, decimals: int
) -> Trend | None:
    if previous is None:
        return None
    now, before = round_half_up(current, decimals), round_half_up(previous, decimals)
    if now == before:
        return Trend.UNCHANGED
    better_up = Direction(direction) is not Direction.DECREASE
    return Trend.IMPROVING if (now > before) == better_up else Trend.WORSENING
