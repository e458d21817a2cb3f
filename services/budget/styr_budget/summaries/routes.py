"""HTTP layer for summaries (stable integration path ``GET /api/v1/summaries``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from styr_budget.amounts import MoneyUnit
from styr_budget.common import Reader, Session
from styr_budget.dimensions.schemas import GroupKind
from styr_budget.summaries import service
from styr_budget.summaries.schemas import BudgetBasis, GroupBy, Summary

router = APIRouter(tags=["summaries"])


@router.get(
    "/summaries",
    response_model=Summary,
    summary="Budget, outcome, forecast and deviation for an org subtree",
    description=(
        "Sums over the org unit and every unit below it for one year, up to month `period`: "
        "the annual budget (revised by default), outcome of months 1…period, the year-end "
        "forecast of the latest follow-up month up to `period`, deviations (positive = "
        "favourable), year-to-date outcome against a linear and a seasonal budget (the "
        "previous year's monthly profile), and the previous year's figures with the change. "
        "Rows are named by the unit's municipality's codes. An org unit the service does not "
        "know (after pulling the org feed) answers 404."
    ),
    operation_id="getSummary",
)
async def summary(
    session: Session,
    scope: Reader,
    org_unit: Annotated[str, Query(max_length=64, description="Root of the subtree.")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    period: Annotated[int, Query(ge=1, le=12, description="Last month included.")] = 12,
    group_by: Annotated[GroupBy, Query(description="Rows per activity, group or unit.")] = (
        GroupBy.ACTIVITY
    ),
    budget: Annotated[BudgetBasis, Query(description="Original or revised budget.")] = (
        BudgetBasis.REVISED
    ),
    unit: Annotated[MoneyUnit, Query(description="Unit of every amount.")] = MoneyUnit.KR,
    forecast_month: Annotated[
        int | None, Query(ge=1, le=12, description="Use this follow-up month's forecasts.")
    ] = None,
    kind: Annotated[
        list[GroupKind] | None,
        Query(description="Only account groups of these kinds (e.g. `revenue`)."),
    ] = None,
) -> Summary:
    return await service.summarize(
        session,
        org_unit_id=org_unit,
        year=year,
        period=period,
        group_by=group_by,
        basis=budget,
        unit=unit,
        forecast_month=forecast_month,
        kinds=[str(k) for k in kind] if kind else None,
        scope=scope,
    )
