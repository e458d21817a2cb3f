"""HTTP layer for fiscal years, activity codes, account groups and ledger mappings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from styr_budget.common import Controller, Session
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

router = APIRouter(tags=["dimensions"])
Key = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")]


@router.get("/fiscal-years", response_model=list[FiscalYearRead], summary="Fiscal years")
async def list_years(session: Session, _: authenticated) -> list[FiscalYearRead]:
    return [FiscalYearRead.model_validate(row) for row in await service.list_years(session)]


@router.put(
    "/fiscal-years/{year}",
    response_model=FiscalYearRead,
    summary="Set up a fiscal year and its follow-up months",
)
async def put_year(
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: FiscalYearWrite,
    session: Session,
    _: Controller,
) -> FiscalYearRead:
    return FiscalYearRead.model_validate(await service.put_year(session, year, body))


@router.get("/activity-codes", response_model=list[ActivityCodeRead], summary="Activity codes")
async def list_activities(session: Session, _: authenticated) -> list[ActivityCodeRead]:
    return [ActivityCodeRead.model_validate(row) for row in await service.list_activities(session)]


@router.put(
    "/activity-codes/{code}",
    response_model=ActivityCodeRead,
    summary="Create or rename an activity code (verksamhet)",
)
async def put_activity(
    code: Code, body: ActivityCodeWrite, session: Session, _: Controller
) -> ActivityCodeRead:
    return ActivityCodeRead.model_validate(await service.put_activity(session, code, body))


@router.get("/account-groups", response_model=list[AccountGroupRead], summary="Account groups")
async def list_groups(session: Session, _: authenticated) -> list[AccountGroupRead]:
    return [AccountGroupRead.model_validate(row) for row in await service.list_groups(session)]


@router.put(
    "/account-groups/{key}",
    response_model=AccountGroupRead,
    summary="Create or change an account group",
)
async def put_group(
    key: Key, body: AccountGroupWrite, session: Session, _: Controller
) -> AccountGroupRead:
    return AccountGroupRead.model_validate(await service.put_group(session, key, body))


@router.get(
    "/periodisation-keys",
    response_model=list[PeriodisationKeyRead],
    summary="Periodisation keys: the built-in ones and the named keys",
)
async def list_keys(session: Session, _: authenticated) -> list[PeriodisationKeyRead]:
    return await service.list_keys(session)


@router.put(
    "/periodisation-keys/{key}",
    response_model=PeriodisationKeyRead,
    summary="Create or change a named periodisation key (twelve weights)",
    description="Budget lines spread by the key (their own, or their account group's default) "
    "are spread again at once, except in closed fiscal years.",
)
async def put_key(
    key: Key, body: PeriodisationKeyWrite, session: Session, _: Controller
) -> PeriodisationKeyRead:
    return await service.put_key(session, key, body)


@router.get(
    "/account-mappings",
    response_model=list[AccountMappingRead],
    summary="Ledger account ranges per account group",
)
async def list_account_mappings(session: Session, _: authenticated) -> list[AccountMappingRead]:
    rows = await service.list_account_mappings(session)
    return [AccountMappingRead.model_validate(row) for row in rows]


@router.post(
    "/account-mappings",
    response_model=AccountMappingRead,
    status_code=status.HTTP_201_CREATED,
    summary="Map a ledger account range to an account group",
)
async def create_account_mapping(
    body: AccountMappingCreate, session: Session, _: Controller
) -> AccountMappingRead:
    return AccountMappingRead.model_validate(await service.create_account_mapping(session, body))


@router.delete(
    "/account-mappings/{mapping_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an account mapping",
)
async def delete_account_mapping(mapping_id: DbId, session: Session, _: Controller) -> None:
    await service.delete_account_mapping(session, mapping_id)


@router.get(
    "/object-mappings",
    response_model=list[ObjectMappingRead],
    summary="Ledger objects per org unit and activity code",
)
async def list_object_mappings(session: Session, _: authenticated) -> list[ObjectMappingRead]:
    rows = await service.list_object_mappings(session)
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
    "(percent-encoded or not).",
)
async def put_object_mapping(
    dimension: Dimension,
    object_code: ObjectCode,
    body: ObjectMappingWrite,
    session: Session,
    _: Controller,
) -> ObjectMappingRead:
    row = await service.put_object_mapping(session, dimension, object_code, body)
    return ObjectMappingRead.model_validate(row)


@router.delete(
    "/object-mappings/{dimension}/{object_code:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an object mapping",
)
async def delete_object_mapping(
    dimension: Dimension, object_code: ObjectCode, session: Session, _: Controller
) -> None:
    await service.delete_object_mapping(session, dimension, object_code)
