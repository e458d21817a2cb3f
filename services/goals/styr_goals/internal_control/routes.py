"""HTTP layer for the internal control plan (intern kontroll)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import StringConstraints
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.access import Reader, ReadsControlPlan
from styr_goals.followup.export import CsvDialect
from styr_goals.internal_control import export, service
from styr_goals.internal_control.models import InternalControlPlan
from styr_goals.internal_control.schemas import (
    ControlCreate,
    ControlPlanCreate,
    ControlPlanRead,
    ControlPlanReport,
    ControlPlanSummaryRead,
    ControlPlanUpdate,
    ControlRead,
    PlanId,
    ProcessCreate,
    ProcessRead,
    ProcessUpdate,
    ResultCreate,
    ResultRead,
    RiskCreate,
    RiskRead,
    RiskUpdate,
)
from styr_shared.auth import Principal, require_roles
from styr_shared.db import get_session
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.types import DbId

router = APIRouter(tags=["internal control"])
Session = Annotated[AsyncSession, Depends(get_session)]
Writer = Annotated[Principal, Depends(require_roles(*service.WRITERS))]
MAX_IDS = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ControlReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


UnitIds = Annotated[
    list[Annotated[str, StringConstraints(max_length=64)]] | None,
    Query(max_length=MAX_IDS, description="Only the plans of these units (repeatable, up to 100)."),
]
PlanIds = Annotated[
    list[PlanId] | None,
    Query(max_length=MAX_IDS, description="Only these plans (repeatable, up to 100)."),
]


async def listed_plans(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    org_unit_id: UnitIds = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    municipality: Annotated[str | None, Query(max_length=64)] = None,
    id: PlanIds = None,
) -> tuple[list[InternalControlPlan], str | None]:
    """One page of the plans read here, by the plan list's filters (its reports use them too)."""
    return await service.list_plans(
        session,
        page,
        org_unit_ids=org_unit_id or (),
        year=year,
        municipality=municipality,
        ids=id or (),
        scope=scope,
    )


ListedPlans = Annotated[tuple[list[InternalControlPlan], str | None], Depends(listed_plans)]


async def _read(session: AsyncSession, plan_id: str) -> ControlPlanRead:
    return await service.plan_read(session, await service.get_plan(session, plan_id))


@router.get(
    "/internal-control-plans",
    response_model=Page[ControlPlanSummaryRead],
    summary="Internal control plans (intern kontroll), filter by unit, year, municipality",
    operation_id="listInternalControlPlans",
)
async def list_plans(plans: ListedPlans) -> Page[ControlPlanSummaryRead]:
    found, cursor = plans
    return Page(items=[ControlPlanSummaryRead.model_validate(p) for p in found], next_cursor=cursor)


@router.get(
    "/internal-control-reports",
    response_model=Page[ControlPlanReport],
    summary="The reports of many internal control plans (as `GET /internal-control-plans/"
    "{plan_id}/report`), with the filters of the plan list",
    description="One report per plan read here, ordered by plan id; `id=a&id=b` for those "
    "plans (a plan not read here is left out).",
    operation_id="listInternalControlReports",
)
async def list_reports(session: Session, plans: ListedPlans) -> Page[ControlPlanReport]:
    found, cursor = plans
    return Page(items=await service.reports(session, found), next_cursor=cursor)


@router.get(
    "/internal-control-processes",
    response_model=Page[ProcessRead],
    summary="The processes of many internal control plans, with their risks, controls and results",
    description="Ordered by plan and the plan's order; `plan_id=a&plan_id=b` for those "
    "plans. Processes of plans not read here are left out.",
    operation_id="listInternalControlProcesses",
)
async def list_processes(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    plan_id: PlanIds = None,
) -> Page[ProcessRead]:
    processes, cursor = await service.list_processes(
        session, page, plan_ids=plan_id or (), scope=scope
    )
    return Page(items=processes, next_cursor=cursor)


@router.post(
    "/internal-control-plans",
    response_model=ControlPlanRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a committee's internal control plan for a year",
    description="Needs `planner` or `controller` with an org scope covering the unit. One "
    "plan per unit and year (409).",
    operation_id="createInternalControlPlan",
)
async def create_plan(body: ControlPlanCreate, session: Session, actor: Writer) -> ControlPlanRead:
    plan = await service.create_plan(session, body, actor)
    return await service.plan_read(session, plan)


@router.get(
    "/internal-control-plans/{plan_id}",
    response_model=ControlPlanRead,
    summary="A plan with its processes, risks, controls and results",
    operation_id="getInternalControlPlan",
)
async def get_plan(plan_id: str, session: Session, _: ReadsControlPlan) -> ControlPlanRead:
    return await _read(session, plan_id)


@router.patch(
    "/internal-control-plans/{plan_id}",
    response_model=ControlPlanRead,
    summary="Change a plan's name, threshold, adoption or the committee's summary",
    operation_id="updateInternalControlPlan",
)
async def update_plan(
    plan_id: str, body: ControlPlanUpdate, session: Session, actor: Writer
) -> ControlPlanRead:
    await service.update_plan(session, plan_id, body, actor)
    return await _read(session, plan_id)


@router.post(
    "/internal-control-plans/{plan_id}/processes",
    response_model=ProcessRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a process or routine to the plan",
    operation_id="addInternalControlProcess",
)
async def add_process(
    plan_id: str, body: ProcessCreate, session: Session, actor: Writer
) -> ProcessRead:
    process = await service.add_process(session, plan_id, body, actor)
    return next(p for p in (await _read(session, plan_id)).processes if p.id == process.id)


@router.patch(
    "/internal-control-processes/{process_id}",
    response_model=ProcessRead,
    summary="Rename a process or change its description",
    operation_id="updateInternalControlProcess",
)
async def update_process(
    process_id: DbId, body: ProcessUpdate, session: Session, actor: Writer
) -> ProcessRead:
    process = await service.update_process(session, process_id, body, actor)
    plan = await _read(session, process.plan_id)
    return next(p for p in plan.processes if p.id == process_id)


@router.post(
    "/internal-control-plans/{plan_id}/risks",
    response_model=RiskRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a risk of a process, assessed as probability × consequence (1–4 each)",
    operation_id="addInternalControlRisk",
)
async def add_risk(plan_id: str, body: RiskCreate, session: Session, actor: Writer) -> RiskRead:
    risk = await service.add_risk(session, plan_id, body, actor)
    return await _risk(session, risk.plan_id, risk.id or 0)


async def _risk(session: AsyncSession, plan_id: str, risk_id: int) -> RiskRead:
    plan = await _read(session, plan_id)
    return next(r for p in plan.processes for r in p.risks if r.id == risk_id)


@router.patch(
    "/internal-control-risks/{risk_id}",
    response_model=RiskRead,
    summary="Re-assess a risk (or change its wording)",
    operation_id="updateInternalControlRisk",
)
async def update_risk(risk_id: DbId, body: RiskUpdate, session: Session, actor: Writer) -> RiskRead:
    risk = await service.update_risk(session, risk_id, body, actor)
    return await _risk(session, risk.plan_id, risk_id)


@router.post(
    "/internal-control-risks/{risk_id}/controls",
    response_model=ControlRead,
    status_code=status.HTTP_201_CREATED,
    summary="Choose a control for a risk: method, frequency, responsible, when",
    operation_id="addInternalControl",
)
async def add_control(
    risk_id: DbId, body: ControlCreate, session: Session, actor: Writer
) -> ControlRead:
    control = await service.add_control(session, risk_id, body, actor)
    risk = await _risk(session, control.plan_id, risk_id)
    return next(c for c in risk.controls if c.id == control.id)


@router.post(
    "/internal-control-controls/{control_id}/results",
    response_model=ResultRead,
    status_code=status.HTTP_201_CREATED,
    summary="Report the result of a control (no remark / remark, with actions)",
    description="Results are kept; the latest is the control's result.",
    operation_id="addInternalControlResult",
)
async def add_result(
    control_id: DbId, body: ResultCreate, session: Session, actor: Writer
) -> ResultRead:
    return ResultRead.model_validate(await service.add_result(session, control_id, body, actor))


@router.get(
    "/internal-control-plans/{plan_id}/report",
    response_model=ControlPlanReport,
    summary="The committee's report: risk value distribution, controls, results, financial "
    "controls",
    description="`format=csv` (Swedish Excel's dialect by default, `dialect=machine` for "
    "programs) or `format=xlsx` downloads it.",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
    operation_id="getInternalControlReport",
)
async def report(
    plan_id: str,
    session: Session,
    _: ReadsControlPlan,
    format: ControlReportFormat = ControlReportFormat.JSON,
    dialect: CsvDialect = CsvDialect.EXCEL_SV,
) -> ControlPlanReport | Response:
    found = await service.report(session, plan_id)
    filename = f"internkontroll-{plan_id}"
    if format is ControlReportFormat.CSV:
        return Response(
            export.to_csv(found, dialect),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if format is ControlReportFormat.XLSX:
        return Response(
            export.to_xlsx(found),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    return found
