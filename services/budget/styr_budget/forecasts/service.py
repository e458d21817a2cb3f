"""Forecasts per follow-up month, and the deficit rule: a forecast deficit for a committee or
an activity must be answered by recorded measures (*åtgärder för budget i balans*)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.common import (
    check_scope,
    check_scope_all,
    find_unit,
    require_unit,
    subtree,
    subtree_units,
    unit_municipalities,
)
from styr_budget.dimensions import service as dimensions
from styr_budget.forecasts.models import BalanceMeasure, Forecast
from styr_budget.forecasts.schemas import (
    Deficit,
    DeficitLevel,
    ForecastWrite,
    MeasureCreate,
    MeasureStatus,
    MeasureUpdate,
)
from styr_budget.summaries import service as summaries
from styr_budget.summaries.schemas import GroupBy
from styr_shared.auth import Principal
from styr_shared.errors import FieldError, InvalidFieldError, NotFoundError, ProblemError
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import ReadScope

ZERO = Decimal(0)


async def put_forecasts(
    session: AsyncSession, year: int, month: int, data: ForecastWrite, actor: Principal
) -> list[Forecast]:
    """One municipality's forecasts (that of the first line's unit): its fiscal year's
    follow-up months and its codes; a line on another municipality's unit is refused."""
    known = await unit_municipalities(session, {line.org_unit_id for line in data.lines})
    municipality_id = next(
        (known[line.org_unit_id] for line in data.lines if line.org_unit_id in known), None
    )
    if municipality_id is None:
        raise InvalidFieldError("body.lines.0.org_unit_id", "unknown org unit")
    fiscal = await dimensions.require_year(session, municipality_id, year, "path.year")
    if month not in fiscal.follow_up_months:
        raise InvalidFieldError(
            "path.month", f"{month} is not a follow-up month of {year} ({fiscal.follow_up_months})"
        )
    groups = await dimensions.groups_by_key(session, municipality_id)
    activities = await dimensions.activity_codes(session, municipality_id)
    errors: list[FieldError] = []
    seen: set[tuple[str, str, str | None]] = set()
    for index, line in enumerate(data.lines):
        where = f"body.lines.{index}"
        if line.org_unit_id not in known:
            errors.append(
                FieldError(field=f"{where}.org_unit_id", message="unknown org unit", type="invalid")
            )
        elif known[line.org_unit_id] != municipality_id:
            errors.append(
                FieldError(
                    field=f"{where}.org_unit_id",
                    message=f"of municipality {known[line.org_unit_id]!r}; one write forecasts "
                    f"one municipality ({municipality_id!r})",
                    type="invalid",
                )
            )
        if line.activity_code not in activities:
            errors.append(
                FieldError(
                    field=f"{where}.activity_code", message="unknown activity code", type="invalid"
                )
            )
        if line.account_group is not None and line.account_group not in groups:
            errors.append(
                FieldError(
                    field=f"{where}.account_group", message="unknown account group", type="invalid"
                )
            )
        key = (line.org_unit_id, line.activity_code, line.account_group)
        if key in seen:
            errors.append(
                FieldError(field=where, message="the same forecast twice", type="duplicate")
            )
        seen.add(key)
    if errors:
        raise ProblemError(
            "Invalid forecast lines.", status=422, slug="validation-error", errors=errors[:100]
        )
    await check_scope_all(session, actor, {line.org_unit_id for line in data.lines})
    existing = {
        (row.org_unit_id, row.activity_code, row.account_group_key): row
        for row in (
            await session.exec(
                select(Forecast).where(
                    col(Forecast.year) == year,
                    col(Forecast.month) == month,
                    col(Forecast.org_unit_id).in_(list(known)),
                )
            )
        ).all()
    }
    written: list[Forecast] = []
    for line in data.lines:
        key = (line.org_unit_id, line.activity_code, line.account_group)
        row = existing.get(key) or Forecast(
            municipality_id=municipality_id,
            year=year,
            month=month,
            org_unit_id=line.org_unit_id,
            activity_code=line.activity_code,
            account_group_key=line.account_group,
            amount=line.amount,
            created_by=actor.subject,
        )
        row.amount, row.comment, row.created_by = line.amount, line.comment, actor.subject
        existing[key] = row
        session.add(row)
        written.append(row)
    # one unit × activity × month is forecast per line or as a whole, never both (no double sum)
    levels: dict[tuple[str, str], set[bool]] = {}
    for unit_id, activity, group in existing:
        levels.setdefault((unit_id, activity), set()).add(group is None)
    mixed = sorted(key for key, kinds in levels.items() if len(kinds) > 1)
    if mixed:
        unit_id, activity = mixed[0]
        raise InvalidFieldError(
            "body.lines",
            f"{unit_id} / {activity} would have both line and activity forecasts "
            f"in {year}-{month:02d}",
        )
    await session.commit()
    return written


async def list_forecasts(
    session: AsyncSession,
    page: PageParams,
    year: int,
    month: int | None,
    org_unit_id: str | None,
    scope: ReadScope,
) -> tuple[list[Forecast], str | None]:
    statement = select(Forecast).where(
        col(Forecast.year) == year, scope.clause(Forecast.municipality_id)
    )
    if month is not None:
        statement = statement.where(col(Forecast.month) == month)
    if org_unit_id is not None:
        await find_unit(session, org_unit_id, scope)
        units = await subtree(session, org_unit_id)
        statement = statement.where(col(Forecast.org_unit_id).in_(units))
    return await paginate(session, statement, [col(Forecast.id)], page)


async def create_measure(
    session: AsyncSession, data: MeasureCreate, actor: Principal
) -> BalanceMeasure:
    committee = await require_unit(session, data.committee_id, "body.committee_id")
    municipality_id = committee.municipality_id
    await dimensions.require_year(session, municipality_id, data.year, "body.year")
    if data.activity_code is not None and data.activity_code not in await dimensions.activity_codes(
        session, municipality_id
    ):
        raise InvalidFieldError(
            "body.activity_code", f"unknown activity code {data.activity_code!r}"
        )
    if data.org_unit_id is not None:
        if data.activity_code is not None:
            raise InvalidFieldError(
                "body.org_unit_id", "a measure answers an activity or an org unit, not both"
            )
        if data.org_unit_id == data.committee_id or data.org_unit_id not in await subtree(
            session, data.committee_id
        ):
            raise InvalidFieldError(
                "body.org_unit_id", f"{data.org_unit_id!r} is not a unit below the committee"
            )
    await check_scope(session, actor, data.committee_id)
    row = BalanceMeasure(
        municipality_id=municipality_id,
        committee_id=data.committee_id,
        year=data.year,
        month=data.month,
        activity_code=data.activity_code,
        org_unit_id=data.org_unit_id,
        description=data.description,
        amount=data.amount,
        responsible=data.responsible,
        status=data.status,
        created_by=actor.subject,
    )
    session.add(row)
    await session.commit()
    return row


async def update_measure(
    session: AsyncSession, measure_id: int, data: MeasureUpdate, actor: Principal
) -> BalanceMeasure:
    row = await session.get(BalanceMeasure, measure_id)
    if row is None:
        raise NotFoundError(f"Measure {measure_id} does not exist.")
    await check_scope(session, actor, row.committee_id)
    row.status = data.status
    session.add(row)
    await session.commit()
    return row


async def list_measures(
    session: AsyncSession, page: PageParams, committee_id: str, year: int, scope: ReadScope
) -> tuple[list[BalanceMeasure], str | None]:
    await find_unit(session, committee_id, scope)
    statement = select(BalanceMeasure).where(
        col(BalanceMeasure.committee_id) == committee_id, col(BalanceMeasure.year) == year
    )
    return await paginate(session, statement, [col(BalanceMeasure.id)], page)


async def deficits(
    session: AsyncSession, committee_id: str, year: int, month: int | None, scope: ReadScope
) -> list[Deficit]:
    """Forecast deficits (forecast − budget < 0) of the committee, of each activity and of
    each org unit below it (a unit's figure covers its whole subtree, so a department's
    deficit shows even when its activity as a whole is in balance).

    The figures are the summaries' forecast deviations (``GET /summaries`` by activity and
    by org unit, revised budget): each is a sum of the deviations of the forecasts made at
    one unit × activity (:func:`summaries.deviation_cells`), so one grouped query gives the
    committee's, every activity's and every unit's.
    """
    municipality_id = (await find_unit(session, committee_id, scope)).municipality_id
    units = await subtree_units(session, committee_id)
    follow_up = month or await summaries.latest_forecast_month(session, list(units), year, 12)
    if follow_up is None:
        return []
    cells = await summaries.deviation_cells(
        session, units=list(units), year=year, forecast_month=follow_up
    )
    if not cells:
        return []
    by_activity: dict[str, Decimal] = {}
    below: dict[str, Decimal] = {}
    for (unit_id, activity), deviation in cells.items():
        by_activity[activity] = by_activity.get(activity, ZERO) + deviation
        ancestor: str | None = unit_id
        while ancestor is not None and ancestor != committee_id and ancestor in units:
            below[ancestor] = below.get(ancestor, ZERO) + deviation
            ancestor = units[ancestor].parent_id
    in_deficit = [activity for activity, deviation in by_activity.items() if deviation < 0]
    names = (
        await summaries.row_names(session, municipality_id, GroupBy.ACTIVITY, in_deficit)
        if in_deficit
        else {}
    )

    counts: dict[tuple[str | None, str | None], tuple[int, Decimal]] = {}
    rows = await session.exec(
        select(
            BalanceMeasure.activity_code,
            BalanceMeasure.org_unit_id,
            func.count(),
            func.sum(BalanceMeasure.amount),
        )
        .where(
            col(BalanceMeasure.committee_id) == committee_id,
            col(BalanceMeasure.year) == year,
            col(BalanceMeasure.month) == follow_up,
            col(BalanceMeasure.status) != MeasureStatus.CANCELLED,
        )
        .group_by(col(BalanceMeasure.activity_code), col(BalanceMeasure.org_unit_id))
    )
    for measure_activity, measure_unit, count, amount in rows.all():
        counts[(measure_activity, measure_unit)] = (int(count), Decimal(amount or 0))

    found: list[Deficit] = []

    def add(
        level: DeficitLevel,
        deviation: Decimal | None,
        activity: str | None = None,
        activity_name: str | None = None,
        unit: ReplicaOrgUnit | None = None,
    ) -> None:
        if deviation is None or deviation >= 0:
            return
        count, amount = counts.get((activity, unit.id if unit else None), (0, ZERO))
        found.append(
            Deficit(
                committee_id=committee_id,
                year=year,
                month=follow_up,
                level=level,
                activity_code=activity,
                activity_name=activity_name,
                org_unit_id=unit.id if unit else None,
                org_unit_name=unit.name if unit else None,
                forecast_deviation=deviation,
                measures=count,
                measures_amount=amount,
                has_measures=count > 0,
            )
        )

    add(DeficitLevel.COMMITTEE, sum(cells.values(), ZERO))
    for activity in sorted(by_activity):
        add(DeficitLevel.ACTIVITY, by_activity[activity], activity, names.get(activity))
    for unit_id in sorted(below, key=lambda unit_id: (units[unit_id].name, unit_id)):
        add(DeficitLevel.ORG_UNIT, below[unit_id], unit=units[unit_id])
    return found
