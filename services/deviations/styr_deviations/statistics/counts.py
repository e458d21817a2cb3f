"""The counts of a statistics answer, grouped in SQL.

Every grouping the answer shows is a ``GROUP BY`` over the cases the request selects, on the
Swedish-calendar facts stored with each case (``cases/calendar.py``): year and month on the
answer's date basis, days to answer and to close. Only the aggregated cells come back, so a
request costs what its answer holds, not what the database holds. A condition a breakdown
applies (external deviations, investigated cases, …) is a grouped expression, not a filter,
so on PostgreSQL all groupings are one scan (``GROUPING SETS``); SQLite, which has no grouping
sets, runs one ``GROUP BY`` per grouping.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true, tuple_
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases.models import Case
from styr_deviations.config import TERMINAL_STATES, CaseKind, DateBasis, Regime

INVESTIGATED_REGIMES = (Regime.LEX_MARIA.value, Regime.LEX_SARAH.value, Regime.STAFF_MATTER.value)
EXTERNAL = CaseKind.EXTERNAL_DEVIATION.value

Key = tuple[Any, ...]


@dataclass
class Counts:
    """The cells of one answer, by grouping (keys as the answer shows them)."""

    by_month_category: Counter[Key] = field(default_factory=Counter)  # (year, "YYYY-MM", cat)
    by_unit: Counter[Key] = field(default_factory=Counter)  # (unit,)
    by_kind_law_area: Counter[Key] = field(default_factory=Counter)  # (year, kind, law area)
    by_housing_type: Counter[Key] = field(default_factory=Counter)  # (year, housing type)
    by_state: Counter[Key] = field(default_factory=Counter)  # (year, state)
    by_channel: Counter[Key] = field(default_factory=Counter)  # (year, kind, channel)
    by_external_direction: Counter[Key] = field(default_factory=Counter)  # (year, direction)
    by_investigation_outcome: Counter[Key] = field(default_factory=Counter)  # (year, outcome)
    lex_maria: Counter[Key] = field(default_factory=Counter)  # (year,)
    lex_sarah: Counter[Key] = field(default_factory=Counter)  # (year,)
    overdue: Counter[Key] = field(default_factory=Counter)  # (kind,)
    answer_days: dict[str, Counter[int]] = field(default_factory=dict)  # kind → days → n
    answer_met: Counter[str] = field(default_factory=Counter)  # kind → within the deadline
    close_days: dict[str, Counter[int]] = field(default_factory=dict)  # kind → days → n


def basis_columns(date_basis: DateBasis) -> tuple[Any, Any]:
    """The stored year and month columns of a date basis."""
    table = Case.__table__.c  # type: ignore[attr-defined]
    if date_basis is DateBasis.EVENT:
        return table.event_year, table.event_month
    return table.registration_year, table.registration_month


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


async def count(
    session: AsyncSession, conditions: list[ColumnElement[bool]], date_basis: DateBasis, today: date
) -> Counts:
    """Group the cases that meet ``conditions`` (on the answer's date basis)."""
    c = Case.__table__.c  # type: ignore[attr-defined]
    year, month = basis_columns(date_basis)
    overdue = and_(
        c.due_date.is_not(None),
        c.state.not_in([state.value for state in TERMINAL_STATES]),
        c.due_date < today,
        or_(
            and_(c.deadline_milestone == "received", c.received_at.is_(None)),
            and_(func.coalesce(c.deadline_milestone, "") != "received", c.answered_at.is_(None)),
        ),
    )
    investigated = or_(
        c.investigation_outcome.is_not(None),
        c.regime.in_(INVESTIGATED_REGIMES),
        c.mas_took_over == true(),
    )
    closed = and_(c.state == "closed", c.close_days.is_not(None))
    met = and_(c.due_date.is_not(None), c.answered_on <= c.due_date)
    expressions: dict[str, Any] = {
        "year": year,
        "month": month,
        "category": func.coalesce(c.category, ""),
        "unit": c.org_unit_id,
        "kind": c.kind,
        "law_area": func.coalesce(c.law_area, ""),
        "housing_type": func.coalesce(c.housing_type, ""),
        "state": c.state,
        "channel": c.channel,
        "is_external": _flag(c.kind == EXTERNAL),
        "direction": func.coalesce(c.external_direction, ""),
        "investigated": _flag(investigated),
        "outcome": func.coalesce(c.investigation_outcome, ""),
        "lex_maria": _flag(c.lm_ivo_report_date.is_not(None)),
        "lex_sarah": _flag(c.ls_ivo_report_date.is_not(None)),
        "overdue": _flag(overdue),
        "answer_days": c.answer_days,
        "met": _flag(met),
        "closed": _flag(closed),
        "close_days": c.close_days,
    }
    groupings: dict[str, tuple[str, ...]] = {
        "month_category": ("year", "month", "category"),
        "unit": ("unit",),
        "kind_law_area": ("year", "kind", "law_area"),
        "housing_type": ("year", "housing_type"),
        "state": ("year", "state"),
        "channel": ("year", "kind", "channel"),
        "external": ("year", "is_external", "direction"),
        "investigated": ("year", "investigated", "outcome"),
        "lex": ("year", "lex_maria", "lex_sarah"),
        "overdue": ("kind", "overdue"),
        "answer": ("kind", "answer_days", "met"),
        "close": ("kind", "closed", "close_days"),
    }
    rows: dict[str, list[Any]]
    if (await session.connection()).dialect.name == "postgresql":
        rows = await _grouping_sets(session, conditions, expressions, groupings)
    else:
        rows = {}
        for name, keys in groupings.items():
            statement = (
                select(*(expressions[key] for key in keys), func.count())
                .where(*conditions)
                .group_by(*(expressions[key] for key in keys))
            )
            rows[name] = list((await session.exec(statement)).all())  # type: ignore[call-overload]
    return _collect(rows)


async def _grouping_sets(
    session: AsyncSession,
    conditions: list[ColumnElement[bool]],
    expressions: dict[str, Any],
    groupings: dict[str, tuple[str, ...]],
) -> dict[str, list[Any]]:
    """All groupings in one scan; ``GROUPING(…)`` tells a row's grouping apart."""
    names = list(expressions)
    labelled = [expressions[name].label(name) for name in names]
    # GROUPING(a, b, …) has a bit set (a first, most significant) for each column not grouped.
    masks = {
        sum(1 << (len(names) - 1 - i) for i, n in enumerate(names) if n not in keys): grouping
        for grouping, keys in groupings.items()
    }
    inner = select(*labelled).where(*conditions).subquery("selected")
    outer = [inner.c[name] for name in names]
    statement = select(
        func.grouping(*outer).label("grouping_set"), *outer, func.count().label("n")
    ).group_by(
        func.grouping_sets(
            *(tuple_(*(inner.c[key] for key in keys)) for keys in groupings.values())
        )
    )
    rows: dict[str, list[Any]] = {name: [] for name in groupings}
    for row in await session.exec(statement):  # type: ignore[call-overload]
        grouping = masks[row[0]]
        values = dict(zip(names, row[1:-1], strict=True))
        rows[grouping].append((*(values[key] for key in groupings[grouping]), row[-1]))
    return rows


def _collect(rows: dict[str, list[Any]]) -> Counts:
    counts = Counts()
    for y, m, category, n in rows["month_category"]:
        counts.by_month_category[(int(y), f"{int(y):04d}-{int(m):02d}", category)] += n
    for unit, n in rows["unit"]:
        counts.by_unit[(unit,)] += n
    for y, kind, law_area, n in rows["kind_law_area"]:
        counts.by_kind_law_area[(int(y), kind, law_area)] += n
    for y, housing_type, n in rows["housing_type"]:
        if housing_type:
            counts.by_housing_type[(int(y), housing_type)] += n
    for y, state, n in rows["state"]:
        counts.by_state[(int(y), state)] += n
    for y, kind, channel, n in rows["channel"]:
        counts.by_channel[(int(y), kind, channel)] += n
    for y, external, direction, n in rows["external"]:
        if external:
            counts.by_external_direction[(int(y), direction)] += n
    for y, investigated, outcome, n in rows["investigated"]:
        if investigated:
            counts.by_investigation_outcome[(int(y), outcome)] += n
    for y, lex_maria, lex_sarah, n in rows["lex"]:
        if lex_maria:
            counts.lex_maria[(int(y),)] += n
        if lex_sarah:
            counts.lex_sarah[(int(y),)] += n
    for kind, overdue, n in rows["overdue"]:
        if overdue:
            counts.overdue[(kind,)] += n
    for kind, days, met, n in rows["answer"]:
        if days is not None:
            counts.answer_days.setdefault(kind, Counter())[int(days)] += n
            if met:
                counts.answer_met[kind] += n
    for kind, closed, days, n in rows["close"]:
        if closed:
            counts.close_days.setdefault(kind, Counter())[int(days)] += n
    return counts
