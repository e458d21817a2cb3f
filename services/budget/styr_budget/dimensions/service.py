"""Code lists and mappings: create or replace, list, and look up while importing."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.budgets import periodisation
from styr_budget.common import require_unit
from styr_budget.dimensions.models import (
    AccountGroup,
    AccountMapping,
    ActivityCode,
    FiscalYear,
    ObjectMapping,
    PeriodisationKey,
)
from styr_budget.dimensions.schemas import (
    AccountGroupWrite,
    AccountMappingCreate,
    ActivityCodeWrite,
    FiscalYearWrite,
    ObjectMappingWrite,
    PeriodisationKeyRead,
    PeriodisationKeyWrite,
)
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError


async def list_years(session: AsyncSession) -> Sequence[FiscalYear]:
    return (await session.exec(select(FiscalYear).order_by(col(FiscalYear.year)))).all()


async def put_year(session: AsyncSession, year: int, data: FiscalYearWrite) -> FiscalYear:
    row = await session.get(FiscalYear, year) or FiscalYear(year=year, follow_up_months=[])
    row.follow_up_months = list(data.follow_up_months)
    row.closed = data.closed
    session.add(row)
    await session.commit()
    return row


async def require_year(session: AsyncSession, year: int, field: str) -> FiscalYear:
    row = await session.get(FiscalYear, year)
    if row is None:
        raise InvalidFieldError(field, f"fiscal year {year} is not set up")
    return row


async def list_activities(session: AsyncSession) -> Sequence[ActivityCode]:
    return (await session.exec(select(ActivityCode).order_by(col(ActivityCode.code)))).all()


async def put_activity(session: AsyncSession, code: str, data: ActivityCodeWrite) -> ActivityCode:
    row = await session.get(ActivityCode, code) or ActivityCode(code=code, name=data.name)
    row.name = data.name
    session.add(row)
    await session.commit()
    return row


async def list_groups(session: AsyncSession) -> Sequence[AccountGroup]:
    statement = select(AccountGroup).order_by(col(AccountGroup.sort_order), col(AccountGroup.key))
    return (await session.exec(statement)).all()


async def put_group(session: AsyncSession, key: str, data: AccountGroupWrite) -> AccountGroup:
    if data.periodisation is not None:
        await require_key(session, data.periodisation, "body.periodisation")
    row = await session.get(AccountGroup, key)
    if row is None:
        row = AccountGroup(key=key, name=data.name, kind=data.kind, sort_order=data.sort_order)
    default_changed = row.periodisation != data.periodisation
    row.name, row.kind, row.sort_order = data.name, data.kind, data.sort_order
    row.periodisation = data.periodisation
    session.add(row)
    if default_changed:
        # lines of the group without a key of their own follow its new default
        await session.flush()
        await session.run_sync(periodisation.respread, periodisation.lines_defaulting_in_group(key))
    await session.commit()
    return row


def _key_read(row: PeriodisationKey) -> PeriodisationKeyRead:
    return PeriodisationKeyRead(
        key=row.key,
        name=row.name,
        builtin=False,
        weights=[Decimal(weight) for weight in row.weights],
    )


BUILTIN_KEYS = [
    PeriodisationKeyRead(
        key=periodisation.LINEAR, name="Linjär", builtin=True, weights=[Decimal(1)] * 12
    ),
    PeriodisationKeyRead(
        key=periodisation.PREVIOUS_YEAR_OUTCOME,
        name="Föregående års utfall",
        builtin=True,
        weights=None,
    ),
]


async def list_keys(session: AsyncSession) -> list[PeriodisationKeyRead]:
    rows = await session.exec(select(PeriodisationKey).order_by(col(PeriodisationKey.key)))
    return [*BUILTIN_KEYS, *(_key_read(row) for row in rows.all())]


async def put_key(
    session: AsyncSession, key: str, data: PeriodisationKeyWrite
) -> PeriodisationKeyRead:
    if key in periodisation.BUILTIN_KEYS:
        raise InvalidFieldError("path.key", f"{key!r} is built in and cannot be changed")
    weights = [str(weight.normalize()) for weight in data.weights]
    row = await session.get(PeriodisationKey, key)
    changed = row is None or row.weights != weights
    if row is None:
        row = PeriodisationKey(key=key, name=data.name, weights=weights)
    row.name, row.weights = data.name, weights
    session.add(row)
    if changed:
        # every line spread by this key (its own or its group's default) follows the weights
        await session.flush()
        await session.run_sync(periodisation.respread, periodisation.lines_using_key(key))
    await session.commit()
    return _key_read(row)


async def key_names(session: AsyncSession) -> set[str]:
    stored = await session.exec(select(PeriodisationKey.key))
    return {*periodisation.BUILTIN_KEYS, *stored.all()}


async def require_key(session: AsyncSession, key: str, field: str) -> None:
    if key not in await key_names(session):
        raise InvalidFieldError(field, f"unknown periodisation key {key!r}")


async def list_account_mappings(session: AsyncSession) -> Sequence[AccountMapping]:
    statement = select(AccountMapping).order_by(col(AccountMapping.account_from))
    return (await session.exec(statement)).all()


async def create_account_mapping(
    session: AsyncSession, data: AccountMappingCreate
) -> AccountMapping:
    if await session.get(AccountGroup, data.account_group) is None:
        raise InvalidFieldError(
            "body.account_group", f"unknown account group {data.account_group!r}"
        )
    overlapping = await session.exec(
        select(AccountMapping).where(
            col(AccountMapping.account_from) <= data.account_to,
            col(AccountMapping.account_to) >= data.account_from,
        )
    )
    if overlapping.first() is not None:
        raise ConflictError("The account range overlaps an existing mapping.")
    row = AccountMapping(
        account_from=data.account_from,
        account_to=data.account_to,
        account_group_key=data.account_group,
    )
    session.add(row)
    await session.commit()
    return row


async def delete_account_mapping(session: AsyncSession, mapping_id: int) -> None:
    row = await session.get(AccountMapping, mapping_id)
    if row is None:
        raise NotFoundError(f"Account mapping {mapping_id} does not exist.")
    await session.delete(row)
    await session.commit()


async def list_object_mappings(session: AsyncSession) -> Sequence[ObjectMapping]:
    statement = select(ObjectMapping).order_by(
        col(ObjectMapping.dimension), col(ObjectMapping.object_code)
    )
    return (await session.exec(statement)).all()


async def put_object_mapping(
    session: AsyncSession, dimension: int, object_code: str, data: ObjectMappingWrite
) -> ObjectMapping:
    if data.org_unit_id is not None:
        await require_unit(session, data.org_unit_id, "body.org_unit_id")
    if (
        data.activity_code is not None
        and await session.get(ActivityCode, data.activity_code) is None
    ):
        raise InvalidFieldError(
            "body.activity_code", f"unknown activity code {data.activity_code!r}"
        )
    existing = await session.exec(
        select(ObjectMapping).where(
            col(ObjectMapping.dimension) == dimension, col(ObjectMapping.object_code) == object_code
        )
    )
    row = existing.first() or ObjectMapping(dimension=dimension, object_code=object_code)
    row.org_unit_id, row.activity_code = data.org_unit_id, data.activity_code
    session.add(row)
    await session.commit()
    return row


async def delete_object_mapping(session: AsyncSession, dimension: int, object_code: str) -> None:
    existing = await session.exec(
        select(ObjectMapping).where(
            col(ObjectMapping.dimension) == dimension, col(ObjectMapping.object_code) == object_code
        )
    )
    row = existing.first()
    if row is None:
        raise NotFoundError(f"Object {object_code!r} of dimension {dimension} is not mapped.")
    await session.delete(row)
    await session.commit()


async def groups_by_key(session: AsyncSession) -> dict[str, AccountGroup]:
    return {group.key: group for group in await list_groups(session)}


async def activity_codes(session: AsyncSession) -> set[str]:
    return set((await session.exec(select(ActivityCode.code))).all())
