"""A municipality's code lists and mappings: create or replace, list, and look up while
importing. Every write is recorded in the municipality's settings history in the same
transaction (``setting_change``), with the entry before and after."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.budgets import periodisation
from styr_budget.common import require_unit_in
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
from styr_shared.auth import Principal
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError
from styr_shared.tenancy import record_change, snapshot


async def _record(
    session: AsyncSession,
    municipality_id: str,
    setting: str,
    key: str,
    before: dict[str, Any] | None,
    after: Any,
    actor: Principal,
) -> None:
    await record_change(
        session,
        municipality_id=municipality_id,
        setting=setting,
        key=key,
        before=before,
        after=snapshot(after),
        actor=actor,
    )


async def list_years(session: AsyncSession, municipality_id: str) -> Sequence[FiscalYear]:
    statement = (
        select(FiscalYear)
        .where(col(FiscalYear.municipality_id) == municipality_id)
        .order_by(col(FiscalYear.year))
    )
    return (await session.exec(statement)).all()


async def put_year(
    session: AsyncSession, municipality_id: str, year: int, data: FiscalYearWrite, actor: Principal
) -> FiscalYear:
    row = await session.get(FiscalYear, (municipality_id, year))
    before = snapshot(row)
    if row is None:
        row = FiscalYear(municipality_id=municipality_id, year=year, follow_up_months=[])
    row.follow_up_months = list(data.follow_up_months)
    row.closed = data.closed
    session.add(row)
    await _record(session, municipality_id, "fiscal_year", str(year), before, row, actor)
    await session.commit()
    return row


async def require_year(
    session: AsyncSession, municipality_id: str, year: int, field: str
) -> FiscalYear:
    row = await session.get(FiscalYear, (municipality_id, year))
    if row is None:
        raise InvalidFieldError(field, f"fiscal year {year} is not set up in {municipality_id}")
    return row


async def list_activities(session: AsyncSession, municipality_id: str) -> Sequence[ActivityCode]:
    statement = (
        select(ActivityCode)
        .where(col(ActivityCode.municipality_id) == municipality_id)
        .order_by(col(ActivityCode.code))
    )
    return (await session.exec(statement)).all()


async def put_activity(
    session: AsyncSession,
    municipality_id: str,
    code: str,
    data: ActivityCodeWrite,
    actor: Principal,
) -> ActivityCode:
    row = await session.get(ActivityCode, (municipality_id, code))
    before = snapshot(row)
    if row is None:
        row = ActivityCode(municipality_id=municipality_id, code=code, name=data.name)
    row.name = data.name
    session.add(row)
    await _record(session, municipality_id, "activity_code", code, before, row, actor)
    await session.commit()
    return row


async def list_groups(session: AsyncSession, municipality_id: str) -> Sequence[AccountGroup]:
    statement = (
        select(AccountGroup)
        .where(col(AccountGroup.municipality_id) == municipality_id)
        .order_by(col(AccountGroup.sort_order), col(AccountGroup.key))
    )
    return (await session.exec(statement)).all()


async def put_group(
    session: AsyncSession,
    municipality_id: str,
    key: str,
    data: AccountGroupWrite,
    actor: Principal,
) -> AccountGroup:
    if data.periodisation is not None:
        await require_key(session, municipality_id, data.periodisation, "body.periodisation")
    row = await session.get(AccountGroup, (municipality_id, key))
    before = snapshot(row)
    if row is None:
        row = AccountGroup(
            municipality_id=municipality_id,
            key=key,
            name=data.name,
            kind=data.kind,
            sort_order=data.sort_order,
        )
    default_changed = row.periodisation != data.periodisation
    row.name, row.kind, row.sort_order = data.name, data.kind, data.sort_order
    row.periodisation = data.periodisation
    session.add(row)
    await _record(session, municipality_id, "account_group", key, before, row, actor)
    if default_changed:
        # lines of the group without a key of their own follow its new default
        await session.flush()
        await session.run_sync(
            periodisation.respread, periodisation.lines_defaulting_in_group(municipality_id, key)
        )
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


async def list_keys(session: AsyncSession, municipality_id: str) -> list[PeriodisationKeyRead]:
    rows = await session.exec(
        select(PeriodisationKey)
        .where(col(PeriodisationKey.municipality_id) == municipality_id)
        .order_by(col(PeriodisationKey.key))
    )
    return [*BUILTIN_KEYS, *(_key_read(row) for row in rows.all())]


async def put_key(
    session: AsyncSession,
    municipality_id: str,
    key: str,
    data: PeriodisationKeyWrite,
    actor: Principal,
) -> PeriodisationKeyRead:
    if key in periodisation.BUILTIN_KEYS:
        raise InvalidFieldError("path.key", f"{key!r} is built in and cannot be changed")
    weights = [str(weight.normalize()) for weight in data.weights]
    row = await session.get(PeriodisationKey, (municipality_id, key))
    before = snapshot(row)
    changed = row is None or row.weights != weights
    if row is None:
        row = PeriodisationKey(
            municipality_id=municipality_id, key=key, name=data.name, weights=weights
        )
    row.name, row.weights = data.name, weights
    session.add(row)
    await _record(session, municipality_id, "periodisation_key", key, before, row, actor)
    if changed:
        # every line spread by this key (its own or its group's default) follows the weights
        await session.flush()
        await session.run_sync(
            periodisation.respread, periodisation.lines_using_key(key, municipality_id)
        )
    await session.commit()
    return _key_read(row)


async def key_names(session: AsyncSession, municipality_id: str) -> set[str]:
    stored = await session.exec(
        select(PeriodisationKey.key).where(col(PeriodisationKey.municipality_id) == municipality_id)
    )
    return {*periodisation.BUILTIN_KEYS, *stored.all()}


async def require_key(session: AsyncSession, municipality_id: str, key: str, field: str) -> None:
    if key not in await key_names(session, municipality_id):
        raise InvalidFieldError(field, f"unknown periodisation key {key!r}")


async def list_account_mappings(
    session: AsyncSession, municipality_id: str
) -> Sequence[AccountMapping]:
    statement = (
        select(AccountMapping)
        .where(col(AccountMapping.municipality_id) == municipality_id)
        .order_by(col(AccountMapping.account_from))
    )
    return (await session.exec(statement)).all()


async def create_account_mapping(
    session: AsyncSession, municipality_id: str, data: AccountMappingCreate, actor: Principal
) -> AccountMapping:
    if await session.get(AccountGroup, (municipality_id, data.account_group)) is None:
        raise InvalidFieldError(
            "body.account_group", f"unknown account group {data.account_group!r}"
        )
    overlapping = await session.exec(
        select(AccountMapping).where(
            col(AccountMapping.municipality_id) == municipality_id,
            col(AccountMapping.account_from) <= data.account_to,
            col(AccountMapping.account_to) >= data.account_from,
        )
    )
    if overlapping.first() is not None:
        raise ConflictError("The account range overlaps an existing mapping.")
    row = AccountMapping(
        municipality_id=municipality_id,
        account_from=data.account_from,
        account_to=data.account_to,
        account_group_key=data.account_group,
    )
    session.add(row)
    await session.flush()
    await _record(session, municipality_id, "account_mapping", str(row.id), None, row, actor)
    await session.commit()
    return row


async def delete_account_mapping(
    session: AsyncSession, municipality_id: str, mapping_id: int, actor: Principal
) -> None:
    row = await session.get(AccountMapping, mapping_id)
    if row is None or row.municipality_id != municipality_id:
        raise NotFoundError(f"Account mapping {mapping_id} does not exist in {municipality_id}.")
    before = snapshot(row)
    await session.delete(row)
    await _record(session, municipality_id, "account_mapping", str(mapping_id), before, None, actor)
    await session.commit()


async def list_object_mappings(
    session: AsyncSession, municipality_id: str
) -> Sequence[ObjectMapping]:
    statement = (
        select(ObjectMapping)
        .where(col(ObjectMapping.municipality_id) == municipality_id)
        .order_by(col(ObjectMapping.dimension), col(ObjectMapping.object_code))
    )
    return (await session.exec(statement)).all()


async def _object_mapping(
    session: AsyncSession, municipality_id: str, dimension: int, object_code: str
) -> ObjectMapping | None:
    existing = await session.exec(
        select(ObjectMapping).where(
            col(ObjectMapping.municipality_id) == municipality_id,
            col(ObjectMapping.dimension) == dimension,
            col(ObjectMapping.object_code) == object_code,
        )
    )
    return existing.first()


async def put_object_mapping(
    session: AsyncSession,
    municipality_id: str,
    dimension: int,
    object_code: str,
    data: ObjectMappingWrite,
    actor: Principal,
) -> ObjectMapping:
    if data.org_unit_id is not None:
        await require_unit_in(session, data.org_unit_id, municipality_id, "body.org_unit_id")
    if (
        data.activity_code is not None
        and await session.get(ActivityCode, (municipality_id, data.activity_code)) is None
    ):
        raise InvalidFieldError(
            "body.activity_code", f"unknown activity code {data.activity_code!r}"
        )
    row = await _object_mapping(session, municipality_id, dimension, object_code)
    before = snapshot(row)
    if row is None:
        row = ObjectMapping(
            municipality_id=municipality_id, dimension=dimension, object_code=object_code
        )
    row.org_unit_id, row.activity_code = data.org_unit_id, data.activity_code
    session.add(row)
    await session.flush()
    # the key is stable across re-mappings (the row's id would change on delete + put)
    key = f"{dimension}/{object_code}"
    await _record(session, municipality_id, "object_mapping", key, before, row, actor)
    await session.commit()
    return row


async def delete_object_mapping(
    session: AsyncSession,
    municipality_id: str,
    dimension: int,
    object_code: str,
    actor: Principal,
) -> None:
    row = await _object_mapping(session, municipality_id, dimension, object_code)
    if row is None:
        raise NotFoundError(f"Object {object_code!r} of dimension {dimension} is not mapped.")
    before = snapshot(row)
    await session.delete(row)
    key = f"{dimension}/{object_code}"
    await _record(session, municipality_id, "object_mapping", key, before, None, actor)
    await session.commit()


async def groups_by_key(session: AsyncSession, municipality_id: str) -> dict[str, AccountGroup]:
    return {group.key: group for group in await list_groups(session, municipality_id)}


async def activity_codes(session: AsyncSession, municipality_id: str) -> set[str]:
    rows = await session.exec(
        select(ActivityCode.code).where(col(ActivityCode.municipality_id) == municipality_id)
    )
    return set(rows.all())
