"""HTTP layer for measures, targets, values and period locks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals import access
from styr_goals.access import Reader, ReadsMeasure
from styr_goals.measures import latest, service
from styr_goals.measures.periods import Periodicity
from styr_goals.measures.schemas import (
    DefinitionCreate,
    LockRead,
    LockWrite,
    MeasureCreate,
    MeasureRead,
    MeasureUpdate,
    MeasureValues,
    TargetIn,
    ValueAuditRead,
    ValueRead,
    ValueWrite,
)
from styr_goals.plans.schemas import Slug
from styr_shared.auth import Principal, require_roles
from styr_shared.db import get_session
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.types import DbId

router = APIRouter(tags=["measures and values"])
Session = Annotated[AsyncSession, Depends(get_session)]
Planner = Annotated[Principal, Depends(require_roles(*service.MEASURE_WRITERS))]
ValueWriter = Annotated[Principal, Depends(require_roles(*service.VALUE_WRITERS))]
LockWriter = Annotated[Principal, Depends(require_roles(*service.LOCK_WRITERS))]
YearPath = Annotated[int, Path(ge=1990, le=2100)]
MAX_IDS = 100
"""Most ids in one list filter (`measure_id=a&measure_id=b`)."""
MAX_YEARS = 111
"""Every year from 1990 to 2100."""


@router.get(
    "/measures",
    response_model=Page[MeasureRead],
    summary="List measures with their series, baselines and targets",
)
async def list_measures(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    municipality: Annotated[
        str | None,
        Query(max_length=64, description="Only measures of this municipality's units."),
    ] = None,
    org_unit_id: Annotated[str | None, Query(description="Owner unit.")] = None,
    goal_id: Annotated[str | None, Query(description="Linked to this goal.")] = None,
    plan_id: Annotated[str | None, Query(description="Linked to a goal of this plan.")] = None,
    code: Annotated[
        str | None, Query(description="Measure code (unique per unit, so it may match many).")
    ] = None,
    kolada_kpi_id: str | None = None,
    periodicity: Periodicity | None = None,
    id: Annotated[
        list[Slug] | None,
        Query(max_length=MAX_IDS, description="Only these measures (repeatable: `id=a&id=b`)."),
    ] = None,
) -> Page[MeasureRead]:
    measures, cursor = await service.list_measures(
        session,
        page,
        municipality=municipality,
        org_unit_id=org_unit_id,
        goal_id=goal_id,
        plan_id=plan_id,
        code=code,
        kolada_kpi_id=kolada_kpi_id,
        periodicity=periodicity,
        scope=scope,
        ids=id,
    )
    return Page(items=await latest.measure_reads(session, measures), next_cursor=cursor)


@router.post(
    "/measures",
    response_model=MeasureRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a measure with its series, baselines and targets",
)
async def create_measure(body: MeasureCreate, session: Session, actor: Planner) -> MeasureRead:
    measure = await service.create_measure(session, body, actor)
    return await service.measure_read(session, measure)


@router.get("/measures/{measure_id}", response_model=MeasureRead, summary="One measure")
async def get_measure(measure_id: str, session: Session, _: ReadsMeasure) -> MeasureRead:
    return await service.measure_read(session, await service.get_measure(session, measure_id))


@router.patch(
    "/measures/{measure_id}",
    response_model=MeasureRead,
    summary="Change a measure's descriptive attributes or goal links",
    description="A change of what is measured is a new definition version instead "
    "(`POST /measures/{id}/definitions`).",
)
async def update_measure(
    measure_id: str, body: MeasureUpdate, session: Session, actor: Planner
) -> MeasureRead:
    measure = await service.update_measure(session, measure_id, body, actor)
    return await service.measure_read(session, measure)


@router.post(
    "/measures/{measure_id}/definitions",
    response_model=MeasureRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a changed definition from a year on (a series break)",
    operation_id="addMeasureDefinition",
)
async def add_definition(
    measure_id: str, body: DefinitionCreate, session: Session, actor: Planner
) -> MeasureRead:
    measure = await service.add_definition(session, measure_id, body, actor)
    return await service.measure_read(session, measure)


@router.put(
    "/measures/{measure_id}/targets/{year}",
    response_model=MeasureRead,
    summary="Set the target of one year (and segment)",
    operation_id="putMeasureTarget",
)
async def put_target(
    measure_id: str,
    year: YearPath,
    body: TargetIn,
    session: Session,
    actor: Planner,
    segment: str | None = None,
) -> MeasureRead:
    measure = await service.put_target(session, measure_id, year, segment, body, actor)
    return await service.measure_read(session, measure)


@router.delete(
    "/measures/{measure_id}/targets/{year}",
    response_model=MeasureRead,
    summary="Remove the target of one year (and segment)",
    operation_id="deleteMeasureTarget",
)
async def delete_target(
    measure_id: str, year: YearPath, session: Session, actor: Planner, segment: str | None = None
) -> MeasureRead:
    measure = await service.put_target(session, measure_id, year, segment, None, actor)
    return await service.measure_read(session, measure)


@router.put(
    "/measures/{measure_id}/values",
    response_model=ValueRead,
    summary="Write one value (upsert on unit, period, segment, gender)",
    description="201 when the value is new, 200 when it replaced one. A value in a closed "
    "period needs the controller role and is audited; every replacement is audited.",
    responses={201: {"model": ValueRead}},
    operation_id="writeMeasureValue",
)
async def write_value(
    measure_id: str, body: ValueWrite, session: Session, actor: ValueWriter, response: Response
) -> ValueRead:
    measure = await service.get_measure(session, measure_id)
    row, created = await service.write_value(session, measure, body, actor)
    await session.commit()
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    evaluated = await service.evaluated_values(
        session, measure, org_unit_id=row.org_unit_id, year=row.year
    )
    return next(v for v in evaluated if v.id == row.id)


@router.get(
    "/measures/{measure_id}/values",
    response_model=list[ValueRead],
    summary="Values with computed status and trend",
    operation_id="listMeasureValues",
)
async def list_values(
    measure_id: str,
    session: Session,
    scope: ReadsMeasure,
    org_unit_id: str | None = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> list[ValueRead]:
    if org_unit_id is not None:
        await access.check_unit(session, scope, org_unit_id, f"Org unit {org_unit_id!r}")
    measure = await service.get_measure(session, measure_id)
    return await service.evaluated_values(session, measure, org_unit_id=org_unit_id, year=year)


@router.get(
    "/measure-values",
    response_model=Page[MeasureValues],
    summary="Values of many measures with computed status and trend, paginated by measure",
    description="One call for the values of every measure of a plan (or of the measures "
    "named), each as `GET /measures/{id}/values` answers it; `limit` counts measures. With "
    "several `year`s each year is evaluated on its own (the year before gives the first trend).",
    operation_id="listValuesOfMeasures",
)
async def list_values_of_many(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    plan_id: Annotated[str | None, Query(description="Measures of this plan's goals.")] = None,
    measure_id: Annotated[
        list[str] | None, Query(max_length=MAX_IDS, description="Only these measures.")
    ] = None,
    org_unit_id: Annotated[str | None, Query(description="Values of this unit.")] = None,
    year: Annotated[
        list[Annotated[int, Field(ge=1990, le=2100)]] | None,
        Query(max_length=MAX_YEARS, description="Values of these years (repeatable)."),
    ] = None,
) -> Page[MeasureValues]:
    items, cursor = await service.evaluated_values_of_many(
        session,
        page,
        plan_id=plan_id,
        measure_ids=measure_id,
        org_unit_id=org_unit_id,
        years=year,
        scope=scope,
    )
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/measures/{measure_id}/audit",
    response_model=Page[ValueAuditRead],
    summary="Who changed which value of the measure, when, from what (paginated, oldest first)",
    operation_id="getMeasureValueAudit",
)
async def value_audit(
    measure_id: str,
    session: Session,
    _: ReadsMeasure,
    page: Annotated[PageParams, Depends(page_params)],
    value_id: Annotated[DbId | None, Query(description="Only this value's history.")] = None,
) -> Page[ValueAuditRead]:
    await service.get_measure(session, measure_id)
    entries, next_cursor = await service.audit_of(session, measure_id, page, value_id=value_id)
    return Page(items=[ValueAuditRead.model_validate(a) for a in entries], next_cursor=next_cursor)


@router.get(
    "/value-locks",
    response_model=list[LockRead],
    summary="Closed value periods",
    operation_id="listValueLocks",
)
async def list_locks(session: Session, scope: Reader) -> list[LockRead]:
    return [LockRead.model_validate(lock) for lock in await service.list_locks(session, scope)]


@router.put(
    "/value-locks/{org_unit_id}",
    response_model=LockRead,
    summary="Close value periods for a unit and everything below it",
    operation_id="putValueLock",
)
async def put_lock(
    org_unit_id: str, body: LockWrite, session: Session, actor: LockWriter
) -> LockRead:
    lock = await service.put_lock(session, org_unit_id, body.closed_through, actor)
    return LockRead.model_validate(lock)
