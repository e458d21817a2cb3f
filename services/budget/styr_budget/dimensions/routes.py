"""HTTP layer for a municipality's fiscal years, activity codes, account groups, periodisation
keys and ledger mappings (``/municipalities/{municipality_id}/...``).

Anyone whose scope has a unit in the municipality reads them; an admin or a controller whose
scope covers the municipality's root writes them (a grant on one unit changes nothing the
other units share). Every write is in the municipality's settings history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from styr_budget.common import Session, settings_reader, settings_writer
from styr_budget.dimensions import service
from styr_budget.dimensions.schemas import (
    AccountGroupRead,
    AccountGroupWrite,
    AccountMappingCreate,
    AccountMappingRead,
    ActivityCodeRead,
    ActivityCodeWrite,
    FiscalYearRead,
    FiscalYearWrite,
    ObjectMappingRead,
    ObjectMappingWrite,
    PeriodisationKeyRead,
    PeriodisationKeyWrite,
)
from styr_shared.auth import authenticated
from styr_shared.types import DbId

router = APIRouter(prefix="/municipalities/{municipality_id}", tags=["dimensions"])
MunicipalityId = Annotated[
    str,
    Path(
        max_length=64,
        description="The municipality: the id of its root org unit (e.g. `oxelosund`).",
    ),
]
Key = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")]
WRITE_RULE = (
    " Needs `admin`, or `controller` with a scope covering the municipality's root; the write "
    "is kept in the municipality's settings history."
)


@router.get(
    "/fiscal-years",
    response_model=list[FiscalYearRead],
    summary="Fiscal years",
    operation_id="listFiscalYears",
)
async def list_years(
    municipality_id: MunicipalityId, session: Session, principal: authenticated
) -> list[FiscalYearRead]:
    await settings_reader(session, principal, municipality_id)
    rows = await service.list_years(session, municipality_id)
    return [FiscalYearRead.model_validate(row) for row in rows]


@router.put(
    "/fiscal-years/{year}",
    response_model=FiscalYearRead,
    summary="Set up a fiscal year and its follow-up months",
    description="The municipality's own year: its follow-up months and whether it is closed."
    + WRITE_RULE,
    operation_id="putFiscalYear",
)
async def put_year(
    municipality_id: MunicipalityId,
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: FiscalYearWrite,
    session: Session,
    principal: authenticated,
) -> FiscalYearRead:
    await settings_writer(session, principal, municipality_id)
    row = await service.put_year(session, municipality_id, year, body, principal)
    return FiscalYearRead.model_validate(row)


@router.get(
    "/activity-codes",
    response_model=list[ActivityCodeRead],
    summary="Activity codes",
    operation_id="listActivityCodes",
)
async def list_activities(
    municipality_id: MunicipalityId, session: Session, principal: authenticated
) -> list[ActivityCodeRead]:
    await settings_reader(session, principal, municipality_id)
    rows = await service.list_activities(session, municipality_id)
    return [ActivityCodeRead.model_validate(row) for row in rows]


@router.put(
    "/activity-codes/{code}",
    response_model=ActivityCodeRead,
    summary="Create or rename an activity code (verksamhet)",
    description="Codes are the municipality's own: another municipality's code 55 is another "
    "code." + WRITE_RULE,
    operation_id="putActivityCode",
)
async def put_activity(
    municipality_id: MunicipalityId,
    code: Code,
    body: ActivityCodeWrite,
    session: Session,
    principal: authenticated,
) -> ActivityCodeRead:
    await settings_writer(session, principal, municipality_id)
    row = await service.put_activity(session, municipality_id, code, body, principal)
    return ActivityCodeRead.model_validate(row)


@router.get(
    "/account-groups",
    response_model=list[AccountGroupRead],
    summary="Account groups",
    operation_id="listAccountGroups",
)
async def list_groups(
    municipality_id: MunicipalityId, session: Session, principal: authenticated
) -> list[AccountGroupRead]:
    await settings_reader(session, principal, municipality_id)
    rows = await service.list_groups(session, municipality_id)
    return [AccountGroupRead.model_validate(row) for row in rows]


@router.put(
    "/account-groups/{key}",
    response_model=AccountGroupRead,
    summary="Create or change an account group",
    description="A changed default periodisation key spreads the group's lines again (open "
    "fiscal years)." + WRITE_RULE,
    operation_id="putAccountGroup",
)
async def put_group(
    municipality_id: MunicipalityId,
    key: Key,
    body: AccountGroupWrite,
    session: Session,
    principal: authenticated,
) -> AccountGroupRead:
    await settings_writer(session, principal, municipality_id)
    row = await service.put_group(session, municipality_id, key, body, principal)
    return AccountGroupRead.model_validate(row)


@router.get(
    "/periodisation-keys",
    response_model=list[PeriodisationKeyRead],
    summary="Periodisation keys: the built-in ones and the municipality's named keys",
    operation_id="listPeriodisationKeys",
)
async def list_keys(
    municipality_id: MunicipalityId, session: Session, principal: authenticated
) -> list[PeriodisationKeyRead]:
    await settings_reader(session, principal, municipality_id)
    return await service.list_keys(session, municipality_id)


@router.put(
    "/periodisation-keys/{key}",
    response_model=PeriodisationKeyRead,
    summary="Create or change a named periodisation key (twelve weights)",
    description="Budget lines spread by the key (their own, or their account group's default) "
    "are spread again at once, except in closed fiscal years." + WRITE_RULE,
    operation_id="putPeriodisationKey",
)
async def put_key(
    municipality_id: MunicipalityId,
    key: Key,
    body: PeriodisationKeyWrite,
    session: Session,
    principal: authenticated,
) -> PeriodisationKeyRead:
    await settings_writer(session, principal, municipality_id)
    return await service.put_key(session, municipality_id, key, body, principal)


@router.get(
    "/account-mappings",
    response_model=list[AccountMappingRead],
    summary="Ledger account ranges per account group",
)
async def list_account_mappings(
    municipality_id: MunicipalityId, session: Session, principal: authenticated
) -> list[AccountMappingRead]:
    await settings_reader(session, principal, municipality_id)
    rows = await service.list_account_mappings(session, municipality_id)
    return [AccountMappingRead.model_validate(row) for row in rows]


@router.post(
    "/account-mappings",
    response_model=AccountMappingRead,
    status_code=status.HTTP_201_CREATED,
    summary="Map a ledger account range to an account group",
    description="Ranges must not overlap the municipality's other ranges (409)." + WRITE_RULE,
)
async def create_account_mapping(
    municipality_id: MunicipalityId,
    body: AccountMappingCreate,
    session: Session,
    principal: authenticated,
) -> AccountMappingRead:
    await settings_writer(session, principal, municipality_id)
    row = await service.create_account_mapping(session, municipality_id, body, principal)
    return AccountMappingRead.model_validate(row)


@router.delete(
    "/account-mappings/{mapping_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an account mapping",
    description=WRITE_RULE.strip(),
)
async def delete_account_mapping(
    municipality_id: MunicipalityId, mapping_id: DbId, session: Session, principal: authenticated
) -> None:
    await settings_writer(session, principal, municipality_id)
    await service.delete_account_mapping(session, municipality_id, mapping_id, principal)


@router.get(
    "/object-mappings",
    response_model=list[ObjectMappingRead],
    summary="Ledger objects per org unit and activity code",
)
async def list_object_mappings(
    municipality_id: MunicipalityId, session: Session, principal: authenticated
) -> list[ObjectMappingRead]:
    await settings_reader(session, principal, municipality_id)
    rows = await service.list_object_mappings(session, municipality_id)
    return [ObjectMappingRead.model_validate(row) for row in rows]


# ``:path``: object codes may hold ``/`` (``1/2``, ``A/B``) and blanks; a client sends them
# percent-encoded (``1%2F2``, ``Hus%20A``) and they arrive whole.
ObjectCode = Annotated[str, Path(min_length=1, max_length=40, description="The object's id.")]
Dimension = Annotated[int, Path(ge=1, le=999)]


@router.put(
    "/object-mappings/{dimension}/{object_code:path}",
    response_model=ObjectMappingRead,
    summary="Map a ledger object (SIE #OBJEKT) to an org unit and/or activity code",
    description="The object code is the rest of the path, so it may contain `/` and blanks "
    "(percent-encoded or not). The org unit must be one of the municipality's (422 naming "
    "`body.org_unit_id` otherwise)." + WRITE_RULE,
)
async def put_object_mapping(
    municipality_id: MunicipalityId,
    dimension: Dimension,
    object_code: ObjectCode,
    body: ObjectMappingWrite,
    session: Session,
    principal: authenticated,
) -> ObjectMappingRead:
    await settings_writer(session, principal, municipality_id)
    row = await service.put_object_mapping(
        session, municipality_id, dimension, object_code, body, principal
    )
    return ObjectMappingRead.model_validate(row)


@router.delete(
    "/object-mappings/{dimension}/{object_code:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an object mapping",
    description=WRITE_RULE.strip(),
)
async def delete_object_mapping(
    municipality_id: MunicipalityId,
    dimension: Dimension,
    object_code: ObjectCode,
    session: Session,
    principal: authenticated,
) -> None:
    await settings_writer(session, principal, municipality_id)
    await service.delete_object_mapping(session, municipality_id, dimension, object_code, principal)
