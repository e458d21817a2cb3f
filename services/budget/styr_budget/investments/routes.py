"""HTTP layer for investments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from styr_budget.amounts import MoneyUnit
from styr_budget.common import Controller, Reader, Session
from styr_budget.investments import service
from styr_budget.investments.schemas import (
    CarryOverCreate,
    CarryOverRead,
    InvestmentTotals,
    ObjectRead,
    ObjectWrite,
    YearWrite,
)
from styr_shared.pagination import Page, PageParams, page_params

router = APIRouter(tags=["investments"])
ObjectId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]


@router.get(
    "/investments",
    response_model=Page[ObjectRead],
    summary="Investment objects",
    operation_id="listInvestments",
)
async def list_objects(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    org_unit: Annotated[str | None, Query(max_length=64, description="Subtree root.")] = None,
) -> Page[ObjectRead]:
    items, next_cursor = await service.list_objects(session, page, org_unit, scope)
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/investments/totals",
    response_model=InvestmentTotals,
    summary="Investment budget, carry-over, outcome and forecast of a subtree and year",
    operation_id="getInvestmentTotals",
)
async def totals(
    session: Session,
    scope: Reader,
    org_unit: Annotated[str, Query(max_length=64)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    unit: MoneyUnit = MoneyUnit.KR,
) -> InvestmentTotals:
    return await service.totals(session, org_unit, year, unit, scope)


@router.get(
    "/investments/{object_id}",
    response_model=ObjectRead,
    summary="One object",
    operation_id="getInvestment",
)
async def get_object(object_id: ObjectId, session: Session, scope: Reader) -> ObjectRead:
    return await service.get(session, object_id, scope)


@router.put(
    "/investments/{object_id}",
    response_model=ObjectRead,
    summary="Create or change an investment object",
    operation_id="putInvestment",
)
async def put_object(
    object_id: ObjectId, body: ObjectWrite, session: Session, actor: Controller
) -> ObjectRead:
    return await service.read(session, await service.put_object(session, object_id, body, actor))


@router.put(
    "/investments/{object_id}/years/{year}",
    response_model=ObjectRead,
    summary="Set an object's budget, outcome or forecast for a year",
    operation_id="putInvestmentYear",
)
async def put_year(
    object_id: ObjectId,
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: YearWrite,
    session: Session,
    actor: Controller,
) -> ObjectRead:
    row = await service.put_year(session, object_id, year, body, actor)
    return await service.read(session, row)


@router.post(
    "/investments/{object_id}/carry-overs",
    response_model=CarryOverRead,
    status_code=status.HTTP_201_CREATED,
    summary="Carry unspent money to the next year (ombudgetering)",
    operation_id="carryOverInvestment",
)
async def carry_over(
    object_id: ObjectId, body: CarryOverCreate, session: Session, actor: Controller
) -> CarryOverRead:
    return CarryOverRead.model_validate(await service.carry_over(session, object_id, body, actor))


@router.get(
    "/investments/{object_id}/carry-overs",
    response_model=list[CarryOverRead],
    summary="An object's carry-overs",
    operation_id="listInvestmentCarryOvers",
)
async def list_carry_overs(
    object_id: ObjectId, session: Session, scope: Reader
) -> list[CarryOverRead]:
    return [
        CarryOverRead.model_validate(r)
        for r in await service.carry_overs(session, object_id, scope)
    ]
