"""HTTP layer for forecasts, measures for a budget in balance and the deficit list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from styr_budget.common import Controller, Reader, Session
from styr_budget.forecasts import service
from styr_budget.forecasts.schemas import (
    Deficit,
    ForecastRead,
    ForecastWrite,
    MeasureCreate,
    MeasureRead,
    MeasureUpdate,
)
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.types import DbId

router = APIRouter(tags=["forecasts"])
Year = Annotated[int, Path(ge=2000, le=2100)]
Month = Annotated[int, Path(ge=1, le=12)]


@router.put(
    "/forecasts/{year}/{month}",
    response_model=list[ForecastRead],
    summary="Record year-end forecasts (årsprognos) at a follow-up month",
    description=(
        "Creates or replaces the forecasts given, per org unit × activity × account group "
        "(omit the group to forecast the whole activity). The month must be one of the year's "
        "follow-up months."
    ),
)
async def put_forecasts(
    year: Year, month: Month, body: ForecastWrite, session: Session, actor: Controller
) -> list[ForecastRead]:
    rows = await service.put_forecasts(session, year, month, body, actor)
    return [ForecastRead.model_validate(row) for row in rows]


@router.get("/forecasts", response_model=Page[ForecastRead], summary="Recorded forecasts")
async def list_forecasts(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    org_unit: Annotated[str | None, Query(max_length=64, description="Subtree root.")] = None,
) -> Page[ForecastRead]:
    rows, next_cursor = await service.list_forecasts(session, page, year, month, org_unit, scope)
    return Page(items=[ForecastRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/balance-measures",
    response_model=MeasureRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a measure for a budget in balance (åtgärd för budget i balans)",
    operation_id="createBalanceMeasure",
)
async def create_measure(body: MeasureCreate, session: Session, actor: Controller) -> MeasureRead:
    return MeasureRead.model_validate(await service.create_measure(session, body, actor))


@router.patch(
    "/balance-measures/{measure_id}",
    response_model=MeasureRead,
    summary="Change a measure's status",
    operation_id="updateBalanceMeasure",
)
async def update_measure(
    measure_id: DbId, body: MeasureUpdate, session: Session, actor: Controller
) -> MeasureRead:
    return MeasureRead.model_validate(
        await service.update_measure(session, measure_id, body, actor)
    )


@router.get(
    "/balance-measures",
    response_model=Page[MeasureRead],
    summary="Measures of a committee and year",
    operation_id="listBalanceMeasures",
)
async def list_measures(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    committee_id: Annotated[str, Query(max_length=64)],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> Page[MeasureRead]:
    rows, next_cursor = await service.list_measures(session, page, committee_id, year, scope)
    return Page(items=[MeasureRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/deficits",
    response_model=list[Deficit],
    summary="Forecast deficits of a committee, its activities and its org units",
    description=(
        "A forecast deficit (forecast − budget < 0) of the committee, of an activity or of an "
        "org unit below it (with its whole subtree) must be answered by measures recorded for "
        "the same follow-up month and the same activity or org unit (neither for the committee "
        "as a whole). `without_measures=true` lists only those still lacking."
    ),
)
async def list_deficits(
    session: Session,
    scope: Reader,
    committee_id: Annotated[str, Query(max_length=64)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    month: Annotated[
        int | None, Query(ge=1, le=12, description="Follow-up month (default: the latest).")
    ] = None,
    without_measures: bool = False,
) -> list[Deficit]:
    found = await service.deficits(session, committee_id, year, month, scope)
    return [d for d in found if not d.has_measures] if without_measures else found
