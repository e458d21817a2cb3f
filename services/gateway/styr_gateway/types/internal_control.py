"""The internal control plan (intern kontroll) of an org unit, from the goals service: its
processes, risks (probability × consequence), controls, results and the committee's report
with the distribution of risk values."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated
from urllib.parse import quote

import strawberry
from pydantic import Field

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.loaders import parse
from styr_gateway.records import Record
from styr_gateway.upstream import Service

COSTS = {
    "OrgUnit.internalControlPlans": FieldCost(size=2),  # one plan a year
    "InternalControlPlan.processes": FieldCost(size=10),
    "InternalControlPlan.report": FieldCost(),
    "InternalControlProcess.risks": FieldCost(size=10),
    "InternalControlRisk.controls": FieldCost(size=2),
    "InternalControlReport.distribution": FieldCost(size=9),
    "InternalControlReport.controls": FieldCost(size=30),
}


# --- what the goals service answers -------------------------------------------------------


class ResultRecord(Record):
    outcome: str
    comment: str | None = None
    actions: str | None = None
    action_responsible: str | None = None
    action_due: date | None = None
    reported_by: str
    reported_at: datetime


class ControlRecord(Record):
    id: int
    method: str
    frequency: str
    responsible: str
    timing: str
    result: ResultRecord | None = None


class RiskRecord(Record):
    id: int
    title: str
    description: str | None = None
    probability: int
    consequence: int
    risk_value: int
    financial: bool
    needs_control: bool
    controls: list[ControlRecord] = Field(default_factory=list)


class ProcessRecord(Record):
    id: int
    name: str
    description: str | None = None
    risks: list[RiskRecord] = Field(default_factory=list)


class PlanSummaryRecord(Record):
    id: str
    org_unit_id: str
    year: int
    name: str
    risk_threshold: int
    adopted_on: date | None = None
    decision: str | None = None
    summary: str | None = None


class PlanRecord(PlanSummaryRecord):
    processes: list[ProcessRecord] = Field(default_factory=list)


class RiskValueCountRecord(Record):
    risk_value: int
    count: int


class TotalsRecord(Record):
    controls: int
    no_remark: int
    remark: int
    not_reported: int


class ControlRowRecord(Record):
    control_id: int
    process: str
    risk: str
    risk_value: int
    financial: bool
    method: str
    responsible: str
    outcome: str | None = None
    actions: str | None = None


class ReportRecord(Record):
    processes: int
    risks: int
    distribution: list[RiskValueCountRecord]
    risks_needing_control: int
    risks_without_control: list[int]
    totals: TotalsRecord
    financial: TotalsRecord
    controls: list[ControlRowRecord]


# --- the graph ------------------------------------------------------------------------------


@strawberry.enum(description="The result of a control.")
class ControlOutcome(Enum):
    NO_REMARK = strawberry.enum_value("no_remark", description="Utan anmärkning.")
    REMARK = strawberry.enum_value("remark", description="Anmärkning: see the actions.")


def _outcome(value: str | None) -> ControlOutcome | None:
    return ControlOutcome(value) if value else None


@strawberry.type(description="The latest reported result of a control.")
class ControlResult:
    outcome: ControlOutcome = strawberry.field(description="No remark or remark.")
    comment: str | None = strawberry.field(description="What the control found.")
    actions: str | None = strawberry.field(description="Actions after a remark.")
    action_responsible: str | None = strawberry.field(description="Who carries them out.")
    action_due: date | None = strawberry.field(description="By when.")
    reported_by: str = strawberry.field(description="Who reported the result.")
    reported_at: datetime = strawberry.field(description="When.")


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
        found = record.result
        return cls(
            id=strawberry.ID(str(record.id)),
            method=record.method,
            frequency=record.frequency,
            responsible=record.responsible,
            timing=record.timing,
            result=ControlResult(
                outcome=ControlOutcome(found.outcome),
                comment=found.comment,
                actions=found.actions,
                action_responsible=found.action_responsible,
                action_due=found.action_due,
                reported_by=found.reported_by,
                reported_at=found.reported_at,
            )
            if found
            else None,
        )


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

    @strawberry.field(description="The controls chosen for the risk.")
    def controls(self) -> list[InternalControlControl]:
        return [InternalControlControl.of(control) for control in self.record.controls]


@strawberry.type(description="A process or routine the plan looks at.")
class InternalControlProcess:
    id: strawberry.ID = strawberry.field(description="Id of the process.")
    name: str = strawberry.field(description='E.g. "Läkemedelshantering".')
    description: str | None = strawberry.field(description="More about it.")
    record: strawberry.Private[ProcessRecord]

    @strawberry.field(description="The process's risks.")
    def risks(self) -> list[InternalControlRisk]:
        return [
            InternalControlRisk(
                id=strawberry.ID(str(risk.id)),
                title=risk.title,
                description=risk.description,
                probability=risk.probability,
                consequence=risk.consequence,
                risk_value=risk.risk_value,
                financial=risk.financial,
                needs_control=risk.needs_control,
                record=risk,
            )
            for risk in self.record.risks
        ]


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
        return cls(
            controls=record.controls,
            no_remark=record.no_remark,
            remark=record.remark,
            not_reported=record.not_reported,
        )


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
        return cls(
            processes=record.processes,
            risks=record.risks,
            distribution=[
                RiskValueCount(risk_value=row.risk_value, count=row.count)
                for row in record.distribution
            ],
            risks_needing_control=record.risks_needing_control,
            risks_without_control=[strawberry.ID(str(i)) for i in record.risks_without_control],
            totals=ControlTotals.of(record.totals),
            financial=ControlTotals.of(record.financial),
            controls=[
                ControlReportRow(
                    process=row.process,
                    risk=row.risk,
                    risk_value=row.risk_value,
                    financial=row.financial,
                    method=row.method,
                    responsible=row.responsible,
                    outcome=_outcome(row.outcome),
                    actions=row.actions,
                )
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
        return cls(
            id=strawberry.ID(record.id),
            org_unit_id=strawberry.ID(record.org_unit_id),
            year=record.year,
            name=record.name,
            risk_threshold=record.risk_threshold,
            adopted_on=record.adopted_on,
            decision=record.decision,
            summary=record.summary,
        )

    def _path(self) -> str:
        return f"/api/v1/internal-control-plans/{quote(str(self.id), safe='')}"

    @strawberry.field(description="Processes with their risks, controls and results.")
    async def processes(self, info: Info) -> list[InternalControlProcess] | None:
        data = await info.context.upstream.get(Service.GOALS, self._path())
        plan = parse(PlanRecord, Service.GOALS, data)
        return [
            InternalControlProcess(
                id=strawberry.ID(str(process.id)),
                name=process.name,
                description=process.description,
                record=process,
            )
            for process in plan.processes
        ]

    @strawberry.field(
        description="The report: distribution of risk values, controls, results, financial "
        "controls."
    )
    async def report(self, info: Info) -> InternalControlReport | None:
        data = await info.context.upstream.get(Service.GOALS, f"{self._path()}/report")
        return InternalControlReport.of(parse(ReportRecord, Service.GOALS, data))


async def plans_of(info: Info, unit_id: str, year: int | None) -> list[InternalControlPlan]:
    items = await info.context.upstream.all_items(
        Service.GOALS,
        "/api/v1/internal-control-plans",
        {"org_unit_id": unit_id, "year": year},
    )
    plans = [parse(PlanSummaryRecord, Service.GOALS, item) for item in items]
    return [InternalControlPlan.of(plan) for plan in sorted(plans, key=lambda p: p.year)]


YearArgument = Annotated[int | None, strawberry.argument(description="Only the plan of this year.")]
