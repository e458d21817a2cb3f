"""Summaries: aggregate SQL over the subtree's budget, outcome and forecasts.

Each figure comes from one grouped query (a handful of queries per summary, whatever the
number of units or months); Python only combines the grouped sums. Allocation groups (anslag)
are kept out of the net figures and reported as ``allocation_outcome`` / ``result_outcome``.

Forecasts are recorded per budget line or per activity at a unit. The rule "what nobody
forecast lands on its budget" is applied there, before any grouping: each forecast is turned
into its deviation from the budget it forecasts (the line, or the activity's lines), and a
row's forecast is its budget plus the deviations in it. So every total is the same whatever
the grouping, and the rows add up to it.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, reduce
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    null,
    or_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from styr_budget.amounts import MoneyUnit, present
from styr_budget.budgets.models import BudgetEntry, BudgetFrame, BudgetVersion
from styr_budget.common import find_unit, subtree
from styr_budget.dimensions.models import AccountGroup, ActivityCode
from styr_budget.forecasts.models import Forecast
from styr_budget.outcomes.models import MONTH_COLUMNS, OutcomeYear
from styr_budget.summaries.schemas import (
    BudgetBasis,
    GroupBy,
    PaperFigures,
    PreviousYear,
    Summary,
    SummaryRow,
    SummaryTotal,
)
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.tenancy import ReadScope

ALLOCATION = "allocation"
ZERO = Decimal(0)
UNSPECIFIED = {
    GroupBy.ACTIVITY: "Utan verksamhetskod",
    GroupBy.ACCOUNT_GROUP: "Prognosavvikelse för hela verksamheter (ej per kontogrupp)",
    GroupBy.ORG_UNIT: None,
    GroupBy.NONE: None,
}


@dataclass
class Figures:
    sums: dict[str, Decimal] = field(default_factory=dict)
    kind: str | None = None

    def add(self, measure: str, amount: Any) -> None:
        self.sums[measure] = self.sums.get(measure, ZERO) + Decimal(amount or 0)

    def get(self, measure: str) -> Decimal | None:
        return self.sums.get(measure)


def _key(model: Any, group_by: GroupBy) -> Any:
    if group_by is GroupBy.ACTIVITY:
        return col(model.activity_code)
    if group_by is GroupBy.ACCOUNT_GROUP:
        return col(model.account_group_key)
    if group_by is GroupBy.ORG_UNIT:
        return col(model.org_unit_id)
    return literal_column("'total'")


def _group_of(model: Any) -> Any:
    """Join condition: the row's account group, of the row's own municipality."""
    return and_(
        col(AccountGroup.municipality_id) == col(model.municipality_id),
        col(AccountGroup.key) == col(model.account_group_key),
    )


def _grouped(key: Any, group_by: GroupBy) -> list[Any]:
    keys: list[Any] = [col(AccountGroup.kind)]
    return keys if group_by is GroupBy.NONE else [key, *keys]


async def _rows(
    session: AsyncSession, statement: Select[*tuple[Any, ...]], values: dict[str, Any]
) -> Sequence[Any]:
    return (await session.exec(statement, params=values)).all()


def _postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _in_units(column: Any, postgresql: bool) -> ColumnElement[bool]:
    """``column`` is one of the parameter ``units`` (the subtree's ids). On PostgreSQL one
    array parameter: the statement's text, prepared statement and plan are the same for every
    subtree, and binding a municipality's thousands of ids costs no more than one."""
    if postgresql:
        return col(column) == any_(bindparam("units", type_=ARRAY(String)))
    return col(column).in_(bindparam("units", expanding=True))


# The statements are built once per shape (grouping, basis, period, kinds, dialect) and take
# their values as parameters (units, year, prev_year, month, period): a summary does not build
# and hash its SQL anew on every request.


@lru_cache(maxsize=512)
def _budget_statement(
    group_by: GroupBy, basis: BudgetBasis, period: int, kinds: tuple[str, ...], pg: bool
) -> Select[*tuple[Any, ...]]:
    key = _key(BudgetEntry, group_by)
    chosen = col(BudgetVersion.status) == "adopted"
    if basis is BudgetBasis.ORIGINAL:
        chosen = chosen & or_(
            col(BudgetEntry.year) != bindparam("year"), col(BudgetVersion.number) == 1
        )
    budget_months = [getattr(BudgetEntry, name) for name in MONTH_COLUMNS[:period]]
    return (
        Select(
            key,
            col(AccountGroup.kind),
            col(BudgetEntry.year),
            func.sum(BudgetEntry.amount),
            func.sum(reduce(operator.add, budget_months)),
        )
        .join(BudgetVersion, col(BudgetVersion.id) == col(BudgetEntry.version_id))
        .join(AccountGroup, _group_of(BudgetEntry))
        .where(
            col(BudgetEntry.year).in_([bindparam("year"), bindparam("prev_year")]),
            _in_units(BudgetEntry.org_unit_id, pg),
            chosen,
            *_kind_filter(kinds),
        )
        .group_by(*_grouped(key, group_by), col(BudgetEntry.year))
    )


@lru_cache(maxsize=512)
def _outcome_statement(
    group_by: GroupBy, period: int, kinds: tuple[str, ...], pg: bool
) -> Select[*tuple[Any, ...]]:
    key = _key(OutcomeYear, group_by)
    months = [getattr(OutcomeYear, name) for name in MONTH_COLUMNS]
    return (
        Select(
            key,
            col(AccountGroup.kind),
            col(OutcomeYear.year),
            func.sum(reduce(operator.add, months[:period])),
            func.sum(reduce(operator.add, months)),
        )
        .join(AccountGroup, _group_of(OutcomeYear))
        .where(
            col(OutcomeYear.year).in_([bindparam("year"), bindparam("prev_year")]),
            _in_units(OutcomeYear.org_unit_id, pg),
            *_kind_filter(kinds),
        )
        .group_by(*_grouped(key, group_by), col(OutcomeYear.year))
    )


@lru_cache(maxsize=64)
def _forecast_statement(
    group_by: GroupBy, kinds: tuple[str, ...], pg: bool
) -> Select[*tuple[Any, ...]]:
    key = _key(Forecast, group_by)
    return (
        Select(key, col(AccountGroup.kind), func.sum(Forecast.amount))
        .outerjoin(AccountGroup, _group_of(Forecast))
        .where(
            col(Forecast.year) == bindparam("year"),
            col(Forecast.month) == bindparam("month"),
            _in_units(Forecast.org_unit_id, pg),
            *_kind_filter(kinds),
        )
        .group_by(*_grouped(key, group_by))
    )


@lru_cache(maxsize=8)
def _frame_statement(basis: BudgetBasis, pg: bool) -> Select[*tuple[Any, ...]]:
    amount = (
        BudgetFrame.original_net_amount if basis is BudgetBasis.ORIGINAL else BudgetFrame.net_amount
    )
    return Select(func.sum(amount)).where(
        col(BudgetFrame.year) == bindparam("year"), _in_units(BudgetFrame.committee_id, pg)
    )


@lru_cache(maxsize=2)
def _latest_month_statement(pg: bool) -> Select[*tuple[Any, ...]]:
    return Select(func.max(Forecast.month)).where(
        col(Forecast.year) == bindparam("year"),
        col(Forecast.month) <= bindparam("period"),
        _in_units(Forecast.org_unit_id, pg),
    )


def _kind_filter(kinds: tuple[str, ...]) -> list[Any]:
    return [col(AccountGroup.kind).in_(kinds)] if kinds else []


async def summarize(
    session: AsyncSession,
    *,
    org_unit_id: str,
    year: int,
    period: int,
    group_by: GroupBy,
    basis: BudgetBasis,
    unit: MoneyUnit,
    forecast_month: int | None,
    kinds: list[str] | None,
    scope: ReadScope,
) -> Summary:
    # a unit the service does not know has no figures (404), not zeros; its subtree is all of
    # one municipality, whose codes and names the rows use
    municipality_id = (await find_unit(session, org_unit_id, scope)).municipality_id
    units = await subtree(session, org_unit_id)
    rows: dict[str | None, Figures] = defaultdict(Figures)
    allocation = Figures()

    def take(key: Any, kind: str | None, measure: str, amount: Any) -> None:
        if kind == ALLOCATION:
            allocation.add(measure, amount)
            if group_by is not GroupBy.ACCOUNT_GROUP:
                return
        figures = rows[None if key is None else str(key)]
        figures.kind = kind if group_by is GroupBy.ACCOUNT_GROUP else None
        figures.add(measure, amount)

    pg = _postgresql(session)
    kinds_key = tuple(kinds) if kinds else ()
    values: dict[str, Any] = {"units": units, "year": year, "prev_year": year - 1}

    # Budget: this year (original or revised) with its months 1…period (the lines' resolved
    # months, see :mod:`styr_budget.budgets.periodisation`), and the previous year's revised
    # budget, in one grouped query.
    budget = _budget_statement(group_by, basis, period, kinds_key, pg)
    for key_value, kind, row_year, amount, ytd in await _rows(session, budget, values):
        if row_year == year:
            take(key_value, kind, "budget", amount)
            take(key_value, kind, "budget_ytd", ytd)
        else:
            take(key_value, kind, "prev_budget", amount)

    # Outcome: months 1…period of this and the previous year, and the previous full year,
    # from the yearly rollup (one row per unit × activity × group, months side by side).
    has_outcome = False
    outcome = _outcome_statement(group_by, period, kinds_key, pg)
    for key_value, kind, row_year, ytd, full in await _rows(session, outcome, values):
        if row_year == year:
            has_outcome = True
            take(key_value, kind, "outcome", ytd)
        else:
            take(key_value, kind, "prev_outcome", ytd)
            take(key_value, kind, "prev_outcome_full", full)

    # Forecasts of the latest follow-up month up to the period (or the one asked for).
    if forecast_month is None:
        forecast_month = await latest_forecast_month(session, units, year, period)
    has_forecast = False
    deviations: dict[str | None, Decimal] = {}
    if forecast_month is not None:
        # Forecasts of allocation groups are shown as they are (anslag has no deviation);
        # every other forecast enters the rows through its deviation (see the module doc).
        forecast = _forecast_statement(group_by, kinds_key, pg)
        values["month"] = forecast_month
        for key_value, kind, amount in await _rows(session, forecast, values):
            has_forecast = True
            if kind == ALLOCATION:
                take(key_value, kind, "forecast", amount)
        if has_forecast:
            deviations = await forecast_deviations(
                session,
                units=units,
                year=year,
                forecast_month=forecast_month,
                group_by=group_by,
                basis=basis,
                kinds=kinds,
            )
    if has_forecast:
        for row_key in set(rows) | set(deviations):
            figures = rows[row_key]
            if figures.kind == ALLOCATION:
                continue
            budget_here, deviation = figures.get("budget"), deviations.get(row_key)
            if budget_here is not None or deviation is not None:
                figures.add("forecast", (budget_here or ZERO) + (deviation or ZERO))

    year_end = period == 12 and has_outcome
    frame_net = (await session.exec(_frame_statement(basis, pg), params=values)).one()[0]
    allocation_budget = None if frame_net is None else -Decimal(frame_net)
    names = await row_names(session, municipality_id, group_by, [k for k in rows if k is not None])
    result_rows = [
        SummaryRow(
            key=row_key,
            name=names.get(row_key) if row_key is not None else UNSPECIFIED[group_by],
            kind=figures.kind,
            papers=_papers(figures, unit),
            **_figures(figures, period, year_end, unit, allocation_row=figures.kind == ALLOCATION),
        )
        for row_key, figures in sorted(rows.items(), key=lambda item: (item[0] is None, item[0]))
    ]
    total = Figures()
    for figures in rows.values():
        if figures.kind != ALLOCATION:
            for measure, amount in figures.sums.items():
                total.add(measure, amount)
    net_outcome = total.get("outcome")
    prev_net_outcome = total.get("prev_outcome")
    alloc_outcome = allocation.get("outcome")
    result_outcome = _add(net_outcome, alloc_outcome)
    result_budget = _add(total.get("budget"), allocation_budget) if allocation_budget else None
    prev_alloc_outcome = allocation.get("prev_outcome")
    return Summary(
        org_unit_id=org_unit_id,
        year=year,
        period=period,
        unit=unit,
        group_by=group_by,
        budget_basis=basis,
        forecast_month=forecast_month,
        deviation_basis="outcome" if year_end else ("forecast" if has_forecast else None),
        rows=result_rows,
        total=SummaryTotal(
            **_figures(total, period, year_end, unit, allocation_row=False),
            allocation_outcome=present(alloc_outcome, unit),
            result_outcome=present(result_outcome, unit),
            allocation_budget=present(allocation_budget, unit),
            result_budget=present(result_budget, unit),
            result_deviation=present(_sub(result_outcome, result_budget), unit)
            if year_end
            else None,
            previous_year_allocation_outcome=present(prev_alloc_outcome, unit),
            previous_year_result_outcome=present(_add(prev_net_outcome, prev_alloc_outcome), unit),
        ),
    )


async def latest_forecast_month(
    session: AsyncSession, units: list[str], year: int, period: int
) -> int | None:
    """The latest follow-up month up to ``period`` with a forecast in ``units``."""
    values = {"units": units, "year": year, "period": period}
    statement = _latest_month_statement(_postgresql(session))
    month: int | None = (await session.exec(statement, params=values)).one()[0]
    return month


async def forecast_deviations(
    session: AsyncSession,
    *,
    units: list[str],
    year: int,
    forecast_month: int,
    group_by: GroupBy,
    basis: BudgetBasis,
    kinds: list[str] | None,
) -> dict[str | None, Decimal]:
    """forecast − budget per row key, taken where each forecast was made.

    A line forecast deviates from its line's budget; an activity forecast from the sum of
    that activity's lines at the unit (allocation groups excluded: anslag is no cost). By
    account group an activity forecast belongs to no group and lands on the unspecified row
    (key ``None``); with a ``kinds`` filter activity forecasts are left out, as they cannot
    be split by kind, and their lines count at their budget.
    """
    grouped = group_by is not GroupBy.NONE
    values = {"units": units, "year": year, "month": forecast_month}
    statement = _deviation_statement(
        group_by.value, basis, tuple(kinds) if kinds else (), _postgresql(session)
    )
    found = await _deviations(session, statement, values)
    result: dict[str | None, Decimal] = defaultdict(Decimal)
    for keys, amount in found:
        # ungrouped: the one row of GroupBy.NONE; by account group an activity forecast
        # has no group (key None)
        key_value = keys[0] if keys else (None if grouped else "total")
        result[None if key_value is None else str(key_value)] += amount
    return dict(result)


async def deviation_cells(
    session: AsyncSession, *, units: list[str], year: int, forecast_month: int
) -> dict[tuple[str, str], Decimal]:
    """forecast − budget (revised) per org unit × activity where forecasts were made: the
    deviations of :func:`forecast_deviations` before grouping, so every grouping by unit or
    by activity (and their subtrees) is a sum of these cells."""
    values = {"units": units, "year": year, "month": forecast_month}
    statement = _deviation_statement(CELLS, BudgetBasis.REVISED, (), _postgresql(session))
    cells: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (unit_id, activity), amount in await _deviations(session, statement, values):
        cells[(str(unit_id), str(activity))] += amount
    return dict(cells)


async def _deviations(
    session: AsyncSession, statement: Any, values: dict[str, Any]
) -> list[tuple[tuple[Any, ...], Decimal]]:
    found: list[tuple[tuple[Any, ...], Decimal]] = []
    for *keys, amount in (await session.exec(statement, params=values)).all():
        if amount is not None:
            found.append((tuple(keys), Decimal(amount)))
    return found


CELLS = "cells"  # _deviation_statement's grouping per org unit × activity


@lru_cache(maxsize=64)
def _deviation_statement(
    grouping: str, basis: BudgetBasis, kinds: tuple[str, ...], pg: bool
) -> Any:
    """The deviations of line forecasts and of activity forecasts (left out with a ``kinds``
    filter), grouped by ``grouping`` (a :class:`GroupBy` or :data:`CELLS`), as rows of (key
    values, amount): one round trip (UNION ALL over a CTE of the line budgets)."""
    if grouping == CELLS:
        line_keys = activity_keys = [col(Forecast.org_unit_id), col(Forecast.activity_code)]
    elif grouping == GroupBy.NONE:
        line_keys = activity_keys = []
    else:
        key = _key(Forecast, GroupBy(grouping))
        line_keys = [key]
        # by account group an activity forecast belongs to no group
        activity_keys = [] if grouping == GroupBy.ACCOUNT_GROUP else [key]
    chosen = _chosen_versions(basis)
    kind_filter = _kind_filter(kinds)
    line_budget = (
        Select(
            col(BudgetEntry.org_unit_id).label("org_unit_id"),
            col(BudgetEntry.activity_code).label("activity_code"),
            col(BudgetEntry.account_group_key).label("account_group_key"),
            func.sum(BudgetEntry.amount).label("amount"),
        )
        .join(BudgetVersion, col(BudgetVersion.id) == col(BudgetEntry.version_id))
        .join(AccountGroup, _group_of(BudgetEntry))
        .where(
            col(BudgetEntry.year) == bindparam("year"),
            _in_units(BudgetEntry.org_unit_id, pg),
            col(AccountGroup.kind) != ALLOCATION,
            chosen,
            *kind_filter,
        )
        .group_by(
            col(BudgetEntry.org_unit_id),
            col(BudgetEntry.activity_code),
            col(BudgetEntry.account_group_key),
        )
        .cte("line_budget")
    )
    this_month = [
        col(Forecast.year) == bindparam("year"),
        col(Forecast.month) == bindparam("month"),
        _in_units(Forecast.org_unit_id, pg),
    ]
    deviation = func.sum(Forecast.amount - func.coalesce(line_budget.c.amount, 0))
    per_line: Select[*tuple[Any, ...]] = (
        Select(*line_keys, deviation)
        .join(AccountGroup, _group_of(Forecast))
        .outerjoin(
            line_budget,
            (line_budget.c.org_unit_id == col(Forecast.org_unit_id))
            & (line_budget.c.activity_code == col(Forecast.activity_code))
            & (line_budget.c.account_group_key == col(Forecast.account_group_key)),
        )
        .where(*this_month, col(AccountGroup.kind) != ALLOCATION, *kind_filter)
    )
    if line_keys:
        per_line = per_line.group_by(*line_keys)
    statement: Any = per_line
    if not kinds:
        activity_budget = (
            Select(
                line_budget.c.org_unit_id,
                line_budget.c.activity_code,
                func.sum(line_budget.c.amount).label("amount"),
            )
            .group_by(line_budget.c.org_unit_id, line_budget.c.activity_code)
            .subquery("activity_budget")
        )
        # no key of its own where the line forecasts have one (by account group): NULL
        padding = [null()] * (len(line_keys) - len(activity_keys))
        per_activity: Select[*tuple[Any, ...]] = (
            Select(
                *activity_keys,
                *padding,
                func.sum(Forecast.amount - func.coalesce(activity_budget.c.amount, 0)),
            )
            .outerjoin(
                activity_budget,
                (activity_budget.c.org_unit_id == col(Forecast.org_unit_id))
                & (activity_budget.c.activity_code == col(Forecast.activity_code)),
            )
            .where(*this_month, col(Forecast.account_group_key).is_(None))
        )
        if activity_keys:
            per_activity = per_activity.group_by(*activity_keys)
        # one round trip: the line forecasts' and the activity forecasts' deviations
        statement = union_all(per_line, per_activity)
    return statement


def _chosen_versions(basis: BudgetBasis) -> Any:
    """The versions of the year's budget: every adopted one (revised), or the original."""
    chosen = col(BudgetVersion.status) == "adopted"
    if basis is BudgetBasis.ORIGINAL:
        chosen = chosen & (col(BudgetVersion.number) == 1)
    return chosen


def _add(first: Decimal | None, second: Decimal | None) -> Decimal | None:
    if first is None and second is None:
        return None
    return (first or ZERO) + (second or ZERO)


def _sub(first: Decimal | None, second: Decimal | None) -> Decimal | None:
    return None if first is None or second is None else first - second


def _figures(
    figures: Figures, period: int, year_end: bool, unit: MoneyUnit, *, allocation_row: bool
) -> dict[str, Any]:
    budget = figures.get("budget")
    outcome = figures.get("outcome")
    forecast = figures.get("forecast")
    prev_budget = figures.get("prev_budget")
    prev_outcome = figures.get("prev_outcome")
    prev_full = figures.get("prev_outcome_full")
    linear = budget * period / 12 if budget is not None else None
    seasonal = (
        budget * prev_outcome / prev_full
        if budget is not None and prev_outcome is not None and prev_full
        else None
    )
    if allocation_row:
        # anslag is the frame's financing, not a budget line: no deviation to show
        budget = linear = seasonal = None
        forecast_deviation = None
    else:
        # a forecast where nothing was budgeted deviates by all of it
        forecast_deviation = _sub(forecast, budget or ZERO)
    budget_ytd = None if allocation_row else figures.get("budget_ytd")
    # a row without any outcome shows no outcome deviation (its ledger rows may sit on
    # another dimension, e.g. outcome reported per account group only)
    outcome_deviation = _sub(outcome, budget) if year_end else None
    change = None
    if outcome is not None and prev_outcome:
        change = ((outcome / prev_outcome - 1) * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    return {
        "budget": present(budget, unit),
        "budget_ytd_linear": present(_round(linear), unit),
        "budget_ytd_seasonal": present(_round(seasonal), unit),
        "outcome": present(outcome, unit),
        "forecast": present(forecast, unit),
        "forecast_deviation": present(forecast_deviation, unit),
        "outcome_deviation": present(outcome_deviation, unit),
        "deviation": present(outcome_deviation if year_end else forecast_deviation, unit),
        "ytd_deviation_linear": present(_sub(outcome, _round(linear)), unit),
        "ytd_deviation_seasonal": present(_sub(outcome, _round(seasonal)), unit),
        "budget_ytd": present(budget_ytd, unit),
        "ytd_deviation": present(_sub(outcome, budget_ytd), unit),
        "previous_year": PreviousYear(
            budget=present(prev_budget, unit),
            outcome=present(prev_outcome, unit),
            budget_change=present(_sub(budget, prev_budget), unit),
            outcome_change_percent=change,
        ),
    }


def _round(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _papers(figures: Figures, unit: MoneyUnit) -> PaperFigures | None:
    if figures.kind not in {"revenue", "cost", ALLOCATION}:
        return None
    sign = -1 if figures.kind == "cost" else 1

    def shown(measure: str) -> Decimal | None:
        amount = figures.get(measure)
        return None if amount is None else present(sign * amount, unit)

    return PaperFigures(
        budget=shown("budget"),
        outcome=shown("outcome"),
        forecast=shown("forecast"),
        previous_year_outcome=shown("prev_outcome"),
    )


async def row_names(
    session: AsyncSession, municipality_id: str, group_by: GroupBy, keys: Iterable[str]
) -> dict[str, str]:
    """The rows' names: the municipality's own names of its codes."""
    wanted = list(keys)
    if group_by is GroupBy.ACTIVITY:
        activities = await session.exec(
            select(ActivityCode).where(
                col(ActivityCode.municipality_id) == municipality_id,
                col(ActivityCode.code).in_(wanted),
            )
        )
        return {row.code: row.name for row in activities.all()}
    if group_by is GroupBy.ACCOUNT_GROUP:
        groups = await session.exec(
            select(AccountGroup).where(
                col(AccountGroup.municipality_id) == municipality_id,
                col(AccountGroup.key).in_(wanted),
            )
        )
        return {row.key: row.name for row in groups.all()}
    if group_by is GroupBy.ORG_UNIT:
        units = await session.exec(select(ReplicaOrgUnit).where(col(ReplicaOrgUnit.id).in_(wanted)))
        return {row.id: row.name for row in units.all()}
    return {"total": "Totalt"}
