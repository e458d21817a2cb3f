"""Investments: objects, their money per year and carry-over of unspent money."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.amounts import MoneyUnit, present
from styr_budget.common import check_scope, find_unit, require_unit, subtree
from styr_budget.investments.models import InvestmentCarryOver, InvestmentObject, InvestmentYear
from styr_budget.investments.schemas import (
    CarryOverCreate,
    InvestmentTotals,
    ObjectRead,
    ObjectWrite,
    YearRead,
    YearWrite,
)
from styr_shared.auth import Principal
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import ReadScope

ZERO = Decimal("0.00")


async def _object(session: AsyncSession, object_id: str) -> InvestmentObject:
    row = await session.get(InvestmentObject, object_id)
    if row is None:
        raise NotFoundError(f"Investment object {object_id!r} does not exist.")
    return row


async def read_many(session: AsyncSession, rows: list[InvestmentObject]) -> list[ObjectRead]:
    years = await session.exec(
        select(InvestmentYear)
        .where(col(InvestmentYear.object_id).in_([row.id for row in rows]))
        .order_by(col(InvestmentYear.year))
    )
    by_object: dict[str, list[YearRead]] = {}
    for year in years.all():
        by_object.setdefault(year.object_id, []).append(YearRead.model_validate(year))
    return [
        ObjectRead(
            id=row.id,
            name=row.name,
            category=row.category,
            org_unit_id=row.org_unit_id,
            years=by_object.get(row.id, []),
        )
        for row in rows
    ]


async def read(session: AsyncSession, row: InvestmentObject) -> ObjectRead:
    return (await read_many(session, [row]))[0]


async def put_object(
    session: AsyncSession, object_id: str, data: ObjectWrite, actor: Principal
) -> InvestmentObject:
    await require_unit(session, data.org_unit_id, "body.org_unit_id")
    await check_scope(session, actor, data.org_unit_id)
    row = await session.get(InvestmentObject, object_id)
    if row is None:
        row = InvestmentObject(id=object_id, **data.model_dump())
    else:
        await check_scope(session, actor, row.org_unit_id)
        row.sqlmodel_update(data.model_dump())
    session.add(row)
    await session.commit()
    return row


async def _year(session: AsyncSession, object_id: str, year: int) -> InvestmentYear:
    existing = await session.exec(
        select(InvestmentYear).where(
            col(InvestmentYear.object_id) == object_id, col(InvestmentYear.year) == year
        )
    )
    return existing.first() or InvestmentYear(object_id=object_id, year=year)


async def put_year(
    session: AsyncSession, object_id: str, year: int, data: YearWrite, actor: Principal
) -> InvestmentObject:
    row = await _object(session, object_id)
    await check_scope(session, actor, row.org_unit_id)
    money = await _year(session, object_id, year)
    for name in data.model_fields_set - {"unit"}:
        setattr(money, name, getattr(data, name))
    session.add(money)
    await session.commit()
    return row


async def carry_over(
    session: AsyncSession, object_id: str, data: CarryOverCreate, actor: Principal
) -> InvestmentCarryOver:
    row = await _object(session, object_id)
    await check_scope(session, actor, row.org_unit_id)
    source = await _year(session, object_id, data.from_year)
    if source.id is None or source.outcome is None:
        raise InvalidFieldError("body.from_year", "record the year's outcome before carrying over")
    unspent = (source.budget or ZERO) + source.carried_in - source.outcome
    amount = unspent if data.amount is None else data.amount
    if amount <= 0 or amount > unspent:
        raise InvalidFieldError("body.amount", f"must be above 0 and at most the unspent {unspent}")
    done = await session.exec(
        select(InvestmentCarryOver).where(
            col(InvestmentCarryOver.object_id) == object_id,
            col(InvestmentCarryOver.from_year) == data.from_year,
        )
    )
    if done.first() is not None:
        raise ConflictError(f"{data.from_year} is already carried over for {object_id}.")
    target = await _year(session, object_id, data.from_year + 1)
    target.carried_in = (target.carried_in or ZERO) + amount
    record = InvestmentCarryOver(
        object_id=object_id,
        from_year=data.from_year,
        to_year=data.from_year + 1,
        amount=amount,
        reason=data.reason,
        created_by=actor.subject,
    )
    session.add_all([target, record])
    await session.commit()
    return record


async def list_objects(
    session: AsyncSession, page: PageParams, org_unit_id: str | None, scope: ReadScope
) -> tuple[list[ObjectRead], str | None]:
    statement = select(InvestmentObject).where(
        scope.unit_clause(ReplicaOrgUnit, InvestmentObject.org_unit_id)
    )
    if org_unit_id is not None:
        await find_unit(session, org_unit_id, scope)
        units = await subtree(session, org_unit_id)
        statement = statement.where(col(InvestmentObject.org_unit_id).in_(units))
    rows, next_cursor = await paginate(session, statement, [col(InvestmentObject.id)], page)
    return await read_many(session, rows), next_cursor


async def totals(
    session: AsyncSession, org_unit_id: str, year: int, unit: MoneyUnit, scope: ReadScope
) -> InvestmentTotals:
    await find_unit(session, org_unit_id, scope)
    units = await subtree(session, org_unit_id)
    statement = (
        select(
            func.count(),
            func.sum(InvestmentYear.budget),
            func.sum(InvestmentYear.carried_in),
            func.sum(InvestmentYear.outcome),
        )
        .join(InvestmentObject, col(InvestmentObject.id) == col(InvestmentYear.object_id))
        .where(col(InvestmentYear.year) == year, col(InvestmentObject.org_unit_id).in_(units))
    )
    count, budget, carried, outcome = (await session.exec(statement)).one()
    forecast = (
        await session.exec(
            select(func.sum(InvestmentYear.forecast))
            .join(InvestmentObject, col(InvestmentObject.id) == col(InvestmentYear.object_id))
            .where(col(InvestmentYear.year) == year, col(InvestmentObject.org_unit_id).in_(units))
        )
    ).one()
    budget_sum = Decimal(budget or 0)
    carried_sum = Decimal(carried or 0)
    return InvestmentTotals(
        org_unit_id=org_unit_id,
        year=year,
        unit=unit,
        objects=int(count),
        budget=present(budget_sum, unit) or ZERO,
        carried_in=present(carried_sum, unit) or ZERO,
        available=present(budget_sum + carried_sum, unit) or ZERO,
        outcome=present(None if outcome is None else Decimal(outcome), unit),
        forecast=present(None if forecast is None else Decimal(forecast), unit),
    )


async def _readable_object(
    session: AsyncSession, object_id: str, scope: ReadScope
) -> InvestmentObject:
    row = await _object(session, object_id)
    await find_unit(session, row.org_unit_id, scope)
    return row


async def get(session: AsyncSession, object_id: str, scope: ReadScope) -> ObjectRead:
    return await read(session, await _readable_object(session, object_id, scope))


async def carry_overs(
    session: AsyncSession, object_id: str, scope: ReadScope
) -> Sequence[InvestmentCarryOver]:
    await _readable_object(session, object_id, scope)
    statement = (
        select(InvestmentCarryOver)
        .where(col(InvestmentCarryOver.object_id) == object_id)
        .order_by(col(InvestmentCarryOver.from_year))
    )
    return (await session.exec(statement)).all()
