"""The internal control plan (intern kontroll) of an org unit, from the goals service: its
processes, risks (probability × consequence), controls, results and the committee's report
with the distribution of risk values."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import strawberry

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.errors import bad_user_input
from styr_gateway.inputs import body_of, field_names
from styr_gateway.internal_control import (
    PLANS,
    ControlRecord,
    PlanRecord,
    PlanSummaryRecord,
    ProcessRecord,
    ReportRecord,
    ResultRecord,
    RiskRecord,
    TotalsRecord,
)
from styr_gateway.records import Record
from styr_gateway.types.convert import from_record, write
from styr_gateway.upstream import Service

COSTS = {
    "OrgUnit.internalControlPlans": FieldCost(size=2),  # one plan a year
    "InternalControlPlan.processes": FieldCost(size=10),
    "InternalControlPlan.report": FieldCost(),
    "InternalControlProcess.risks": FieldCost(size=10),
    "InternalControlRisk.controls": FieldCost(size=2),
    "InternalControlReport.distribution": FieldCost(size=9),
    "InternalControlReport.controls": FieldCost(size=30),
    **{
        f"Mutation.{name}": FieldCost()
        for name in (
            "createInternalControlPlan",
            "updateInternalControlPlan",
            "addInternalControlProcess",
            "updateInternalControlProcess",
            "addInternalControlRisk",
            "assessInternalControlRisk",
            "addInternalControl",
            "reportInternalControlResult",
        )
    },
}


# --- the graph ------------------------------------------------------------------------------


@strawberry.enum(description="The result of a control.")
class ControlOutcome(Enum):
    NO_REMARK = strawberry.enum_value("no_remark", description="Utan anmärkning.")
    REMARK = strawberry.enum_value("remark", description="Anmärkning: see the actions.")


def _outcome(value: str | None) -> ControlOutcome | None:
    return ControlOutcome(value) if value else None


def _id(value: str | int) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="The latest reported result of a control.")
class ControlResult:
    outcome: ControlOutcome = strawberry.field(description="No remark or remark.")
    comment: str | None = strawberry.field(description="What the control found.")
    actions: str | None = strawberry.field(description="Actions after a remark.")
    action_responsible: str | None = strawberry.field(description="Who carries them out.")
    action_due: date | None = strawberry.field(description="By when.")
    reported_by: str = strawberry.field(description="Who reported the result.")
    reported_at: datetime = strawberry.field(description="When.")

    @classmethod
    def of(cls, record: ResultRecord) -> ControlResult:
        return from_record(cls, record, outcome=ControlOutcome(record.outcome))


@strawberry.type(description="A control chosen for a risk.")
class InternalControlControl:
    id: strawberry.ID = strawberry.field(description="Id of the control.")
    method: str = strawberry.field(description="How the control is made.")
    frequency: str = strawberry.field(description="How often.")
    responsible: str = strawberry.field(description="Who makes it.")
    timing: str = strawberry.field(description="When.")
    result: ControlResult | None = strawberry.field(
        description="The latest result; null before one is reported."
    )

    @classmethod
    def of(cls, record: ControlRecord) -> InternalControlControl:
        result = ControlResult.of(record.result) if record.result else None
        return from_record(cls, record, id=_id(record.id), result=result)


@strawberry.type(description="A risk of a process, assessed as probability × consequence.")
class InternalControlRisk:
    id: strawberry.ID = strawberry.field(description="Id of the risk.")
    title: str = strawberry.field(description="The risk.")
    description: str | None = strawberry.field(description="More about it.")
    probability: int = strawberry.field(description="1 (unlikely) to 4 (likely).")
    consequence: int = strawberry.field(description="1 (minor) to 4 (serious).")
    risk_value: int = strawberry.field(description="probability × consequence (1–16).")
    financial: bool = strawberry.field(description="A financial risk.")
    needs_control: bool = strawberry.field(description="At or above the plan's threshold.")
    record: strawberry.Private[RiskRecord]

    @classmethod
    def of(cls, record: RiskRecord) -> InternalControlRisk:
        return from_record(cls, record, id=_id(record.id), record=record)

    @strawberry.field(description="The controls chosen for the risk.")
    def controls(self) -> list[InternalControlControl]:
        return [InternalControlControl.of(control) for control in self.record.controls]


@strawberry.type(description="A process or routine the plan looks at.")
class InternalControlProcess:
    id: strawberry.ID = strawberry.field(description="Id of the process.")
    name: str = strawberry.field(description='E.g. "Läkemedelshantering".')
    description: str | None = strawberry.field(description="More about it.")
    record: strawberry.Private[ProcessRecord]

    @classmethod
    def of(cls, record: ProcessRecord) -> InternalControlProcess:
        return from_record(cls, record, id=_id(record.id), record=record)

    @strawberry.field(description="The process's risks.")
    def risks(self) -> list[InternalControlRisk]:
        return [InternalControlRisk.of(risk) for risk in self.record.risks]


@strawberry.type(description="Risks with one risk value.")
class RiskValueCount:
    risk_value: int = strawberry.field(description="probability × consequence.")
    count: int = strawberry.field(description="Risks with that value.")


@strawberry.type(description="Controls and their results.")
class ControlTotals:
    controls: int = strawberry.field(description="Controls.")
    no_remark: int = strawberry.field(description="Reported without remark.")
    remark: int = strawberry.field(description="Reported with a remark.")
    not_reported: int = strawberry.field(description="Not reported yet.")

    @classmethod
    def of(cls, record: TotalsRecord) -> ControlTotals:
        return from_record(cls, record)


@strawberry.type(description="One control in the report, with its risk and latest result.")
class ControlReportRow:
    process: str = strawberry.field(description="The process.")
    risk: str = strawberry.field(description="The risk.")
    risk_value: int = strawberry.field(description="Its risk value.")
    financial: bool = strawberry.field(description="A financial control.")
    method: str = strawberry.field(description="How the control is made.")
    responsible: str = strawberry.field(description="Who makes it.")
    outcome: ControlOutcome | None = strawberry.field(description="Null: not reported.")
    actions: str | None = strawberry.field(description="Actions after a remark.")


@strawberry.type(description="The committee's report of the year's internal control.")
class InternalControlReport:
    processes: int = strawberry.field(description="Processes looked at.")
    risks: int = strawberry.field(description="Risks assessed.")
    distribution: list[RiskValueCount] = strawberry.field(
        description="Risks per risk value, highest first (0 for a value no risk has)."
    )
    risks_needing_control: int = strawberry.field(description="Risks at or above the threshold.")
    risks_without_control: list[strawberry.ID] = strawberry.field(
        description="Risks at or above the threshold without a control."
    )
    totals: ControlTotals = strawberry.field(description="Every control.")
    financial: ControlTotals = strawberry.field(description="The financial controls.")
    controls: list[ControlReportRow] = strawberry.field(
        description="Every control, highest risk first."
    )

    @classmethod
    def of(cls, record: ReportRecord) -> InternalControlReport:
        return from_record(
            cls,
            record,
            distribution=[from_record(RiskValueCount, row) for row in record.distribution],
            risks_without_control=[_id(risk) for risk in record.risks_without_control],
            totals=ControlTotals.of(record.totals),
            financial=ControlTotals.of(record.financial),
            controls=[
                from_record(ControlReportRow, row, outcome=_outcome(row.outcome))
                for row in record.controls
            ],
        )


@strawberry.type(
    description="A committee's internal control plan for a year (intern kontroll, "
    "kommunallagen 6 kap. 6 §)."
)
class InternalControlPlan:
    id: strawberry.ID = strawberry.field(description="Id of the plan.")
    org_unit_id: strawberry.ID = strawberry.field(description="The committee.")
    year: int = strawberry.field(description="The year the plan covers.")
    name: str = strawberry.field(description="The plan's name.")
    risk_threshold: int = strawberry.field(
        description="Risks with a value at or above this get controls."
    )
    adopted_on: date | None = strawberry.field(description="When the committee adopted it.")
    decision: str | None = strawberry.field(description="The decision, as written.")
    summary: str | None = strawberry.field(description="The committee's summary of the year.")

    @classmethod
    def of(cls, record: PlanSummaryRecord) -> InternalControlPlan:
        return from_record(cls, record, id=_id(record.id), org_unit_id=_id(record.org_unit_id))

    @strawberry.field(
        description="Processes with their risks, controls and results. Those of many plans "
        "cost one call."
    )
    async def processes(self, info: Info) -> list[InternalControlProcess] | None:
        processes = await info.context.loaders.internal_control.processes.load(str(self.id))
        return [InternalControlProcess.of(process) for process in processes]

    @strawberry.field(
        description="The report: distribution of risk values, controls, results, financial "
        "controls. The reports of many plans cost one call."
    )
    async def report(self, info: Info) -> InternalControlReport | None:
        report = await info.context.loaders.internal_control.report.load(str(self.id))
        return InternalControlReport.of(report)


async def plans_of(info: Info, unit_id: str, year: int | None) -> list[InternalControlPlan]:
    plans = await info.context.loaders.internal_control.plans.load((unit_id, year))
    return [InternalControlPlan.of(plan) for plan in plans]


R = TypeVar("R", bound=Record)

YearArgument = Annotated[int | None, strawberry.argument(description="Only the plan of this year.")]


# --- mutations ---------------------------------------------------------------------------------


def _unset(description: str) -> Any:
    return strawberry.field(default=strawberry.UNSET, description=description)


@strawberry.input(description="A committee's internal control plan for a year.")
class InternalControlPlanInput:
    org_unit_id: strawberry.ID = strawberry.field(description="The committee whose plan it is.")
    year: int = strawberry.field(description="The year the plan covers (one plan a year).")
    name: str = strawberry.field(description='E.g. "Internkontrollplan 2025".')
    id: strawberry.ID | None = _unset("Id of the plan (default: generated).")
    risk_threshold: int | None = _unset(
        "Risks with a value (probability × consequence) at or above this get controls (default 9)."
    )
    adopted_on: date | None = _unset("When the committee adopted it.")
    decision: str | None = _unset('The decision, e.g. "VON 2024-12-17 § 112".')


@strawberry.input(
    description="Changes to a plan (fields left out stay as they are): its adoption, threshold "
    "or the committee's summary of the year."
)
class InternalControlPlanUpdateInput:
    name: str | None = _unset("New name.")
    risk_threshold: int | None = _unset("New threshold (1–16).")
    adopted_on: date | None = _unset("When the committee adopted the plan.")
    decision: str | None = _unset("The decision, as written.")
    summary: str | None = _unset("The committee's summary of the year's internal control.")


@strawberry.input(description="A process or routine of the plan.")
class InternalControlProcessInput:
    name: str = strawberry.field(description='E.g. "Läkemedelshantering".')
    description: str | None = _unset("More about it.")


@strawberry.input(description="Changes to a process; fields left out stay as they are.")
class InternalControlProcessUpdateInput:
    name: str | None = _unset("New name.")
    description: str | None = _unset("New description.")


@strawberry.input(description="A risk of a process, assessed as probability × consequence.")
class InternalControlRiskInput:
    process_id: strawberry.ID = strawberry.field(description="A process of the same plan.")
    title: str = strawberry.field(description="The risk.")
    probability: int = strawberry.field(description="1 (osannolik) … 4 (sannolik).")
    consequence: int = strawberry.field(description="1 (lindrig) … 4 (allvarlig).")
    description: str | None = _unset("More about it.")
    financial: bool | None = _unset("A financial risk (default false).")


@strawberry.input(description="A new assessment of a risk (or its wording); fields left out stay.")
class InternalControlRiskUpdateInput:
    title: str | None = _unset("New wording.")
    description: str | None = _unset("New description.")
    probability: int | None = _unset("1 … 4.")
    consequence: int | None = _unset("1 … 4.")
    financial: bool | None = _unset("A financial risk.")


@strawberry.input(description="A control chosen for a risk.")
class InternalControlInput:
    method: str = strawberry.field(description='How, e.g. "Stickprov på 10 signeringslistor".')
    frequency: str = strawberry.field(description='How often, e.g. "Varje tertial".')
    responsible: str = strawberry.field(description='Who, e.g. "Enhetschef".')
    timing: str = strawberry.field(description='When, e.g. "April, augusti, december".')


@strawberry.input(description="The result of a control; the latest is the control's result.")
class ControlResultInput:
    outcome: ControlOutcome = strawberry.field(description="No remark or remark.")
    comment: str | None = _unset("What the control found.")
    actions: str | None = _unset("Actions after a remark (not with no remark).")
    action_responsible: str | None = _unset("Who carries them out.")
    action_due: date | None = _unset("By when.")


PLAN_FIELDS = field_names(InternalControlPlanInput)
PLAN_UPDATE_FIELDS = field_names(InternalControlPlanUpdateInput, path__plan_id="planId")
PROCESS_FIELDS = field_names(InternalControlProcessInput, path__plan_id="planId")
PROCESS_UPDATE_FIELDS = field_names(InternalControlProcessUpdateInput, path__process_id="processId")
RISK_FIELDS = field_names(InternalControlRiskInput, path__plan_id="planId")
RISK_UPDATE_FIELDS = field_names(InternalControlRiskUpdateInput, path__risk_id="riskId")
CONTROL_FIELDS = field_names(InternalControlInput, path__risk_id="riskId")
RESULT_FIELDS = field_names(ControlResultInput, path__control_id="controlId")

PlanId = Annotated[strawberry.ID, strawberry.argument(description="The plan.")]


def _number(value: strawberry.ID, argument: str) -> int:
    """A numeric id (processes, risks, controls); anything else cannot exist."""
    text = str(value)
    if not text.isdigit() or len(text) > 10:
        raise bad_user_input(f"not a {argument.removesuffix('Id')} id", argument)
    return int(text)


def _plan_path(plan_id: strawberry.ID) -> str:
    return f"{PLANS}/{quote(str(plan_id), safe='')}"


async def _write(
    info: Info,
    method: str,
    path: str,
    body: dict[str, Any],
    names: dict[str, str],
    model: type[R],
) -> R:
    record = await write(info, method, Service.GOALS, path, body, names, model)
    # What this request read of internal control before is stale now.
    info.context.loaders.internal_control.forget_all()
    return record


def _plan(info: Info, plan: PlanRecord) -> InternalControlPlan:
    info.context.loaders.internal_control.remember(plan)
    return InternalControlPlan.of(plan)


@strawberry.type
class InternalControlMutations:
    @strawberry.mutation(
        description="Create a committee's internal control plan for a year (one a year). Needs "
        "`planner` or `controller` over the committee."
    )
    async def create_internal_control_plan(
        self,
        info: Info,
        input: Annotated[InternalControlPlanInput, strawberry.argument(description="The plan.")],
    ) -> InternalControlPlan | None:
        plan = await _write(info, "POST", PLANS, body_of(input), PLAN_FIELDS, PlanRecord)
        return _plan(info, plan)

    @strawberry.mutation(
        description="Change a plan: adopt it (`adoptedOn`, `decision`), write the committee's "
        "`summary` of the year, rename it or change its threshold."
    )
    async def update_internal_control_plan(
        self,
        info: Info,
        plan_id: PlanId,
        input: Annotated[
            InternalControlPlanUpdateInput, strawberry.argument(description="The changes.")
        ],
    ) -> InternalControlPlan | None:
        body = body_of(input)
        plan = await _write(
            info, "PATCH", _plan_path(plan_id), body, PLAN_UPDATE_FIELDS, PlanRecord
        )
        return _plan(info, plan)

    @strawberry.mutation(description="Add a process or routine to a plan.")
    async def add_internal_control_process(
        self,
        info: Info,
        plan_id: PlanId,
        input: Annotated[
            InternalControlProcessInput, strawberry.argument(description="The process.")
        ],
    ) -> InternalControlProcess | None:
        path = f"{_plan_path(plan_id)}/processes"
        record = await _write(info, "POST", path, body_of(input), PROCESS_FIELDS, ProcessRecord)
        return InternalControlProcess.of(record)

    @strawberry.mutation(description="Rename a process or change its description.")
    async def update_internal_control_process(
        self,
        info: Info,
        process_id: Annotated[strawberry.ID, strawberry.argument(description="The process.")],
        input: Annotated[
            InternalControlProcessUpdateInput, strawberry.argument(description="The changes.")
        ],
    ) -> InternalControlProcess | None:
        path = f"/api/v1/internal-control-processes/{_number(process_id, 'processId')}"
        record = await _write(
            info, "PATCH", path, body_of(input), PROCESS_UPDATE_FIELDS, ProcessRecord
        )
        return InternalControlProcess.of(record)

    @strawberry.mutation(
        description="Add a risk to a process of the plan, assessed as probability × "
        "consequence (1–4 each)."
    )
    async def add_internal_control_risk(
        self,
        info: Info,
        plan_id: PlanId,
        input: Annotated[InternalControlRiskInput, strawberry.argument(description="The risk.")],
    ) -> InternalControlRisk | None:
        body = {**body_of(input), "process_id": _number(input.process_id, "input.processId")}
        path = f"{_plan_path(plan_id)}/risks"
        record = await _write(info, "POST", path, body, RISK_FIELDS, RiskRecord)
        return InternalControlRisk.of(record)

    @strawberry.mutation(description="Re-assess a risk (probability, consequence) or reword it.")
    async def assess_internal_control_risk(
        self,
        info: Info,
        risk_id: Annotated[strawberry.ID, strawberry.argument(description="The risk.")],
        input: Annotated[
            InternalControlRiskUpdateInput, strawberry.argument(description="The changes.")
        ],
    ) -> InternalControlRisk | None:
        path = f"/api/v1/internal-control-risks/{_number(risk_id, 'riskId')}"
        record = await _write(info, "PATCH", path, body_of(input), RISK_UPDATE_FIELDS, RiskRecord)
        return InternalControlRisk.of(record)

    @strawberry.mutation(
        description="Choose a control for a risk: method, frequency, responsible, when."
    )
    async def add_internal_control(
        self,
        info: Info,
        risk_id: Annotated[strawberry.ID, strawberry.argument(description="The risk.")],
        input: Annotated[InternalControlInput, strawberry.argument(description="The control.")],
    ) -> InternalControlControl | None:
        path = f"/api/v1/internal-control-risks/{_number(risk_id, 'riskId')}/controls"
        record = await _write(info, "POST", path, body_of(input), CONTROL_FIELDS, ControlRecord)
        return InternalControlControl.of(record)

    @strawberry.mutation(
        description="Report the result of a control (no remark / remark, with actions); "
        "results are kept, the latest is the control's result."
    )
    async def report_internal_control_result(
        self,
        info: Info,
        control_id: Annotated[strawberry.ID, strawberry.argument(description="The control.")],
        input: Annotated[ControlResultInput, strawberry.argument(description="The result.")],
    ) -> ControlResult | None:
        path = f"/api/v1/internal-control-controls/{_number(control_id, 'controlId')}/results"
        record = await _write(info, "POST", path, body_of(input), RESULT_FIELDS, ResultRecord)
        return ControlResult.of(record)
