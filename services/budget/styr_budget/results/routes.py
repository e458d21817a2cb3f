"""HTTP layer for reported results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from styr_budget.amounts import MoneyUnit
from styr_budget.common import Controller, Reader, Session
from styr_budget.results import service
from styr_budget.results.schemas import ReportList, ReportWrite

router = APIRouter(tags=["results"])


@router.put(
    "/result-reports/{org_unit_id}/{year}/{month}",
    response_model=ReportList,
    summary="Report a unit's result and explain its larger deviations",
    description="Replaces the unit's report for that month (12 = the annual report).",
    operation_id="putResultReport",
)
async def put_report(
    org_unit_id: Annotated[str, Path(max_length=64)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    month: Annotated[int, Path(ge=1, le=12)],
    body: ReportWrite,
    session: Session,
    actor: Controller,
    scope: Reader,
) -> ReportList:
    await service.put_report(session, org_unit_id, year, month, body, actor)
    return await service.list_reports(session, org_unit_id, year, month, MoneyUnit.KR, scope)


@router.get(
    "/result-reports",
    response_model=ReportList,
    summary="Reported results of a subtree, reconciled with the ledger",
    operation_id="listResultReports",
)
async def list_reports(
    session: Session,
    scope: Reader,
    org_unit: Annotated[str, Query(max_length=64)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    month: Annotated[int, Query(ge=1, le=12)] = 12,
    unit: MoneyUnit = MoneyUnit.KR,
) -> ReportList:
    return await service.list_reports(session, org_unit, year, month, unit, scope)
