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
"""

from __future__ import annotations

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
