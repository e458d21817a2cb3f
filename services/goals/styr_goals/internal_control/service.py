"""The internal control plan: write rules, the assembled plan and the committee report (no
HTTP here).

Writes need the ``planner`` or ``controller`` role with an org scope covering the plan's unit
(as for plans: a grant on a unit covers everything below it, so another committee's or
another municipality's planner gets 403). Reading needs any authenticated role.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals import access
from styr_goals.internal_control.models import (
    InternalControlControl,
    InternalControlPlan,
    InternalControlProcess,
    InternalControlResult,
    InternalControlRisk,
)
from styr_goals.internal_control.schemas import (
    ControlCreate,
    ControlPlanCreate,
    ControlPlanRead,
    ControlPlanReport,
    ControlPlanSummaryRead,
    ControlPlanUpdate,
    ControlRead,
    ControlRow,
    ControlTotals,
    MatrixCell,
    Outcome,
    ProcessCreate,
    ProcessRead,
    ProcessUpdate,
    ResultCreate,
    ResultRead,
    RiskCreate,
    RiskRead,
    RiskUpdate,
    RiskValueCount,
)
from styr_goals.orgunits.models import OrgUnit
from styr_goals.plans.service import require_scope
from styr_shared.auth import Principal, Role
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import ReadScope
from styr_shared.types import utcnow

WRITERS = (Role.PLANNER, Role.CONTROLLER)
CHUNK = 500
"""Most keys in one ``IN (...)`` (well within SQLite's and asyncpg's parameter limits)."""
M = TypeVar("M", bound=SQLModel)
SCORES = range(1, 5)
# Every value a 4 × 4 matrix can give, highest first.
RISK_VALUES = sorted({p * c for p in SCORES for c in SCORES}, reverse=True)


async def get_plan(session: AsyncSession, plan_id: str) -> InternalControlPlan:
    plan = await session.get(InternalControlPlan, plan_id)
    if plan is None:
        raise NotFoundError(f"Internal control plan {plan_id!r} does not exist.")
    return plan


async def _writable_plan(
    session: AsyncSession, plan_id: str, actor: Principal
) -> InternalControlPlan:
    plan = await get_plan(session, plan_id)
    await require_scope(session, actor, plan.org_unit_id, WRITERS)
    return plan


def _touch(session: AsyncSession, plan: InternalControlPlan) -> None:
    plan.updated_at = utcnow()
    session.add(plan)


async def list_plans(
    session: AsyncSession,
    page: PageParams,
    *,
    org_unit_ids: Sequence[str] = (),
    year: int | None = None,
    municipality: str | None = None,
    ids: Sequence[str] = (),
    scope: ReadScope,
) -> tuple[list[InternalControlPlan], str | None]:
    statement = select(InternalControlPlan).where(
        access.unit_clause(scope, InternalControlPlan.org_unit_id)
    )
    if org_unit_ids:
        statement = statement.where(col(InternalControlPlan.org_unit_id).in_(org_unit_ids))
    if ids:
        statement = statement.where(col(InternalControlPlan.id).in_(ids))
    if year is not None:
        statement = statement.where(col(InternalControlPlan.year) == year)
    if municipality is not None:
        units = select(OrgUnit.id).where(col(OrgUnit.municipality_id) == municipality)
        statement = statement.where(col(InternalControlPlan.org_unit_id).in_(units))
    return await paginate(session, statement, [col(InternalControlPlan.id)], page)


async def create_plan(
    session: AsyncSession, data: ControlPlanCreate, actor: Principal
) -> InternalControlPlan:
    if await session.get(OrgUnit, data.org_unit_id) is None:
        raise InvalidFieldError("body.org_unit_id", f"unknown org unit {data.org_unit_id!r}")
    await require_scope(session, actor, data.org_unit_id, WRITERS)
    plan_id = data.id or uuid.uuid4().hex
    if await session.get(InternalControlPlan, plan_id) is not None:
        raise ConflictError(f"Internal control plan {plan_id!r} already exists.")
    taken = select(InternalControlPlan.id).where(
        col(InternalControlPlan.org_unit_id) == data.org_unit_id,
        col(InternalControlPlan.year) == data.year,
    )
    if (await session.exec(taken)).first() is not None:
        raise ConflictError(f"The unit already has an internal control plan for {data.year}.")
    plan = InternalControlPlan(
        id=plan_id, created_by=actor.subject, **data.model_dump(exclude={"id"})
    )
    session.add(plan)
    await session.commit()
    return plan


async def update_plan(
    session: AsyncSession, plan_id: str, data: ControlPlanUpdate, actor: Principal
) -> InternalControlPlan:
    plan = await _writable_plan(session, plan_id, actor)
    for field, value in data.model_dump(exclude_unset=True).items():
        if field in ("name", "risk_threshold") and value is None:
            raise InvalidFieldError(f"body.{field}", "must not be null")
        setattr(plan, field, value)
    _touch(session, plan)
    await session.commit()
    return plan


async def add_process(
    session: AsyncSession, plan_id: str, data: ProcessCreate, actor: Principal
) -> InternalControlProcess:
    plan = await _writable_plan(session, plan_id, actor)
    count = len(await _processes(session, plan.id))
    process = InternalControlProcess(plan_id=plan.id, position=count, **data.model_dump())
    session.add(process)
    _touch(session, plan)
    await session.commit()
    return process


async def update_process(
    session: AsyncSession, process_id: int, data: ProcessUpdate, actor: Principal
) -> InternalControlProcess:
    process = await session.get(InternalControlProcess, process_id)
    if process is None:
        raise NotFoundError(f"Process {process_id} does not exist.")
    plan = await _writable_plan(session, process.plan_id, actor)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field != "description":
            raise InvalidFieldError(f"body.{field}", "must not be null")
        setattr(process, field, value)
    session.add(process)
    _touch(session, plan)
    await session.commit()
    return process


async def add_risk(
    session: AsyncSession, plan_id: str, data: RiskCreate, actor: Principal
) -> InternalControlRisk:
    plan = await _writable_plan(session, plan_id, actor)
    process = await session.get(InternalControlProcess, data.process_id)
    if process is None or process.plan_id != plan.id:
        raise InvalidFieldError("body.process_id", "not a process of this plan")
    risk = InternalControlRisk(plan_id=plan.id, assessed_by=actor.subject, **data.model_dump())
    session.add(risk)
    _touch(session, plan)
    await session.commit()
    return risk


async def get_risk(session: AsyncSession, risk_id: int) -> InternalControlRisk:
    risk = await session.get(InternalControlRisk, risk_id)
    if risk is None:
        raise NotFoundError(f"Risk {risk_id} does not exist.")
    return risk


async def update_risk(
    session: AsyncSession, risk_id: int, data: RiskUpdate, actor: Principal
) -> InternalControlRisk:
    risk = await get_risk(session, risk_id)
    plan = await _writable_plan(session, risk.plan_id, actor)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field != "description":
            raise InvalidFieldError(f"body.{field}", "must not be null")
        setattr(risk, field, value)
    risk.assessed_by, risk.assessed_at = actor.subject, utcnow()
    session.add(risk)
    _touch(session, plan)
    await session.commit()
    return risk


async def add_control(
    session: AsyncSession, risk_id: int, data: ControlCreate, actor: Principal
) -> InternalControlControl:
    risk = await get_risk(session, risk_id)
    plan = await _writable_plan(session, risk.plan_id, actor)
    control = InternalControlControl(
        plan_id=plan.id, risk_id=risk_id, created_by=actor.subject, **data.model_dump()
    )
    session.add(control)
    _touch(session, plan)
    await session.commit()
    return control


async def add_result(
    session: AsyncSession, control_id: int, data: ResultCreate, actor: Principal
) -> InternalControlResult:
    control = await session.get(InternalControlControl, control_id)
    if control is None:
        raise NotFoundError(f"Control {control_id} does not exist.")
    plan = await _writable_plan(session, control.plan_id, actor)
    if data.outcome is Outcome.NO_REMARK and data.actions is not None:
        raise InvalidFieldError("body.actions", "actions follow a remark")
    result = InternalControlResult(
        control_id=control_id, reported_by=actor.subject, **data.model_dump()
    )
    session.add(result)
    _touch(session, plan)
    await session.commit()
    return result


# --- reading -----------------------------------------------------------------------------


async def _processes(session: AsyncSession, plan_id: str) -> Sequence[InternalControlProcess]:
    statement = (
        select(InternalControlProcess)
        .where(col(InternalControlProcess.plan_id) == plan_id)
        .order_by(col(InternalControlProcess.position), col(InternalControlProcess.id))
    )
    return (await session.exec(statement)).all()


async def _all(session: AsyncSession, model: type[M], column: Any, keys: Sequence[Any]) -> list[M]:
    """Rows of ``model`` whose ``column`` is one of ``keys``, by id (chunked for the drivers'
    parameter limits)."""
    rows: list[M] = []
    for start in range(0, len(keys), CHUNK):
        statement = (
            select(model)
            .where(col(column).in_(keys[start : start + CHUNK]))
            .order_by(col(model.id))  # type: ignore[attr-defined]
        )
        rows.extend((await session.exec(statement)).all())
    return rows


async def assemble_processes(
    session: AsyncSession,
    processes: Sequence[InternalControlProcess],
    thresholds: dict[str, int],
) -> list[ProcessRead]:
    """Processes with their risks, controls and results in three queries however many
    processes (of however many plans: ``thresholds`` by plan id)."""
    process_ids = [process.id for process in processes if process.id is not None]
    risks = await _all(session, InternalControlRisk, InternalControlRisk.process_id, process_ids)
    controls = await _all(
        session, InternalControlControl, InternalControlControl.risk_id, [r.id for r in risks]
    )
    results: dict[int, list[ResultRead]] = defaultdict(list)
    control_ids = [control.id for control in controls]
    for row in await _all(
        session, InternalControlResult, InternalControlResult.control_id, control_ids
    ):
        results[row.control_id].append(ResultRead.model_validate(row))
    by_risk: dict[int, list[ControlRead]] = defaultdict(list)
    for control in controls:
        assert control.id is not None
        found = results.get(control.id, [])
        by_risk[control.risk_id].append(
            ControlRead.model_validate(
                {
                    **control.model_dump(),
                    "result": found[-1] if found else None,
                    "results": found,
                }
            )
        )
    by_process: dict[int, list[RiskRead]] = defaultdict(list)
    for risk in risks:
        assert risk.id is not None
        value = risk.probability * risk.consequence
        by_process[risk.process_id].append(
            RiskRead.model_validate(
                {
                    **risk.model_dump(),
                    "risk_value": value,
                    "needs_control": value >= thresholds[risk.plan_id],
                    "controls": by_risk.get(risk.id, []),
                }
            )
        )
    return [
        ProcessRead(
            id=process.id or 0,
            plan_id=process.plan_id,
            name=process.name,
            description=process.description,
            risks=by_process.get(process.id or 0, []),
        )
        for process in processes
    ]


async def plans_read(
    session: AsyncSession, plans: Sequence[InternalControlPlan]
) -> list[ControlPlanRead]:
    """Whole plans, in the order given, in four queries however many plans."""
    thresholds = {plan.id: plan.risk_threshold for plan in plans}
    rows: list[InternalControlProcess] = []
    keys = list(thresholds)
    for start in range(0, len(keys), CHUNK):
        statement = select(InternalControlProcess).where(
            col(InternalControlProcess.plan_id).in_(keys[start : start + CHUNK])
        )
        rows.extend((await session.exec(statement)).all())
    rows.sort(key=lambda process: (process.position, process.id or 0))
    by_plan: dict[str, list[ProcessRead]] = defaultdict(list)
    for process in await assemble_processes(session, rows, thresholds):
        by_plan[process.plan_id].append(process)
    return [
        ControlPlanRead.model_validate({**plan.model_dump(), "processes": by_plan[plan.id]})
        for plan in plans
    ]


async def plan_read(session: AsyncSession, plan: InternalControlPlan) -> ControlPlanRead:
    """The whole plan in four queries: processes, risks, controls and results."""
    (found,) = await plans_read(session, [plan])
    return found


async def list_processes(
    session: AsyncSession, page: PageParams, *, plan_ids: Sequence[str], scope: ReadScope
) -> tuple[list[ProcessRead], str | None]:
    """The processes (with risks, controls, results) of the plans read here, by plan."""
    visible = select(InternalControlPlan.id).where(
        access.unit_clause(scope, InternalControlPlan.org_unit_id)
    )
    statement = select(InternalControlProcess).where(
        col(InternalControlProcess.plan_id).in_(visible)
    )
    if plan_ids:
        statement = statement.where(col(InternalControlProcess.plan_id).in_(plan_ids))
    processes, cursor = await paginate(
        session,
        statement,
        [
            col(InternalControlProcess.plan_id),
            col(InternalControlProcess.position),
            col(InternalControlProcess.id),
        ],
        page,
    )
    plans = await _all(
        session, InternalControlPlan, InternalControlPlan.id, sorted({p.plan_id for p in processes})
    )
    thresholds = {plan.id: plan.risk_threshold for plan in plans}
    return await assemble_processes(session, processes, thresholds), cursor


def _totals(rows: list[ControlRow]) -> ControlTotals:
    outcomes = Counter(row.outcome for row in rows)
    return ControlTotals(
        controls=len(rows),
        no_remark=outcomes[Outcome.NO_REMARK],
        remark=outcomes[Outcome.REMARK],
        not_reported=outcomes[None],
    )


def build_report(plan: ControlPlanRead, org_unit_name: str) -> ControlPlanReport:
    """The committee's summary (pure: computed from the assembled plan)."""
    risks = [(process, risk) for process in plan.processes for risk in process.risks]
    values = Counter(risk.risk_value for _, risk in risks)
    cells = Counter((risk.probability, risk.consequence) for _, risk in risks)
    rows = [
        ControlRow(
            control_id=control.id,
            process=process.name,
            risk=risk.title,
            risk_value=risk.risk_value,
            financial=risk.financial,
            method=control.method,
            frequency=control.frequency,
            responsible=control.responsible,
            timing=control.timing,
            outcome=control.result.outcome if control.result else None,
            comment=control.result.comment if control.result else None,
            actions=control.result.actions if control.result else None,
            action_responsible=control.result.action_responsible if control.result else None,
            action_due=control.result.action_due if control.result else None,
        )
        for process, risk in risks
        for control in risk.controls
    ]
    rows.sort(key=lambda row: (-row.risk_value, row.control_id))
    financial = [row for row in rows if row.financial]
    return ControlPlanReport(
        plan=ControlPlanSummaryRead.model_validate(plan.model_dump()),
        org_unit_name=org_unit_name,
        processes=len(plan.processes),
        risks=len(risks),
        distribution=[RiskValueCount(risk_value=v, count=values[v]) for v in RISK_VALUES],
        matrix=[
            MatrixCell(probability=p, consequence=c, risk_value=p * c, count=cells[(p, c)])
            for p in reversed(SCORES)
            for c in SCORES
        ],
        risks_needing_control=sum(1 for _, risk in risks if risk.needs_control),
        risks_without_control=[
            risk.id for _, risk in risks if risk.needs_control and not risk.controls
        ],
        totals=_totals(rows),
        financial=_totals(financial),
        controls=rows,
        financial_controls=financial,
    )


async def _unit_names(
    session: AsyncSession, plans: Sequence[InternalControlPlan]
) -> dict[str, str]:
    ids = sorted({plan.org_unit_id for plan in plans})
    return {unit.id: unit.name for unit in await _all(session, OrgUnit, OrgUnit.id, ids)}


async def report(session: AsyncSession, plan_id: str) -> ControlPlanReport:
    plan = await get_plan(session, plan_id)
    (found,) = await reports(session, [plan])
    return found


async def reports(
    session: AsyncSession, plans: Sequence[InternalControlPlan]
) -> list[ControlPlanReport]:
    """The reports of ``plans``, in their order, in six queries however many plans."""
    names = await _unit_names(session, plans)
    return [
        build_report(read, names.get(read.org_unit_id, read.org_unit_id))
        for read in await plans_read(session, plans)
    ]
