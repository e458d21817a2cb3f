"""API contracts of the internal control plan."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from styr_shared.schemas import ResponseModel, StrictModel

Year = Annotated[int, Field(ge=1990, le=2100)]
Score = Annotated[int, Field(ge=1, le=4)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Frequency = Annotated[str, StringConstraints(min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
PlanId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
MAX_RISK_VALUE = 16


class Outcome(StrEnum):
    NO_REMARK = "no_remark"
    REMARK = "remark"


class ControlPlanCreate(StrictModel):
    id: PlanId | None = None
    org_unit_id: str = Field(max_length=64, description="The committee whose plan it is.")
    year: Year
    name: LongText = Field(description='E.g. "Internkontrollplan 2025".')
    risk_threshold: int = Field(
        9,
        ge=1,
        le=MAX_RISK_VALUE,
        description="Risks whose value (probability × consequence) is at or above this get "
        "controls.",
    )
    adopted_on: date | None = None
    decision: ShortText | None = Field(None, description='E.g. "VON 2024-12-17 § 112".')


class ControlPlanUpdate(StrictModel):
    name: LongText | None = None
    risk_threshold: int | None = Field(None, ge=1, le=MAX_RISK_VALUE)
    adopted_on: date | None = None
    decision: ShortText | None = None
    summary: LongText | None = Field(
        None, description="The committee's summary of the year's internal control."
    )


class ProcessCreate(StrictModel):
    name: ShortText = Field(description='A process or routine, e.g. "Läkemedelshantering".')
    description: LongText | None = None


class ProcessUpdate(StrictModel):
    """New wording of a process; fields left out stay as they are."""

    name: ShortText | None = None
    description: LongText | None = None


class RiskCreate(StrictModel):
    process_id: int = Field(ge=1, le=2**31 - 1, description="A process of the same plan.")
    title: LongText
    description: LongText | None = None
    probability: Score = Field(description="1 (osannolik) … 4 (sannolik).")
    consequence: Score = Field(description="1 (lindrig) … 4 (allvarlig).")
    financial: bool = Field(False, description="A financial risk (ekonomisk kontroll).")


class RiskUpdate(StrictModel):
    """A new assessment of a risk (or its wording)."""

    title: LongText | None = None
    description: LongText | None = None
    probability: Score | None = None
    consequence: Score | None = None
    financial: bool | None = None


class ControlCreate(StrictModel):
    method: LongText = Field(description='How, e.g. "Stickprov på 10 signeringslistor".')
    frequency: Frequency = Field(description='How often, e.g. "Varje tertial".')
    responsible: ShortText = Field(description='Who, e.g. "Enhetschef".')
    timing: Frequency = Field(description='When, e.g. "April, augusti, december".')


class ResultCreate(StrictModel):
    outcome: Outcome = Field(description="`no_remark` (utan anmärkning) or `remark`.")
    comment: LongText | None = None
    actions: LongText | None = Field(None, description="Actions taken or planned after a remark.")
    action_responsible: ShortText | None = None
    action_due: date | None = None


class ResultRead(ResponseModel):
    id: int
    control_id: int
    outcome: Outcome
    comment: str | None
    actions: str | None
    action_responsible: str | None
    action_due: date | None
    reported_by: str
    reported_at: datetime


class ControlRead(ResponseModel):
    id: int
    risk_id: int
    method: str
    frequency: str
    responsible: str
    timing: str
    result: ResultRead | None = Field(description="The latest reported result.")
    results: list[ResultRead] = Field(description="Every reported result, oldest first.")


class RiskRead(ResponseModel):
    id: int
    process_id: int
    title: str
    description: str | None
    probability: int
    consequence: int
    risk_value: int = Field(description="probability × consequence (1–16).")
    financial: bool
    needs_control: bool = Field(description="The risk value is at or above the threshold.")
    assessed_by: str
    assessed_at: datetime
    controls: list[ControlRead]


class ProcessRead(ResponseModel):
    id: int
    plan_id: str = Field(description="The plan the process belongs to.")
    name: str
    description: str | None
    risks: list[RiskRead]


class ControlPlanSummaryRead(ResponseModel):
    id: str
    org_unit_id: str
    year: int
    name: str
    risk_threshold: int
    adopted_on: date | None
    decision: str | None
    summary: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class ControlPlanRead(ControlPlanSummaryRead):
    processes: list[ProcessRead]


class RiskValueCount(StrictModel):
    risk_value: int
    count: int


class MatrixCell(StrictModel):
    probability: int
    consequence: int
    risk_value: int
    count: int


class ControlRow(StrictModel):
    control_id: int
    process: str
    risk: str
    risk_value: int
    financial: bool
    method: str
    frequency: str
    responsible: str
    timing: str
    outcome: Outcome | None = Field(description="The latest result; null when not reported.")
    comment: str | None
    actions: str | None
    action_responsible: str | None
    action_due: date | None


class ControlTotals(StrictModel):
    controls: int
    no_remark: int
    remark: int
    not_reported: int


class ControlPlanReport(StrictModel):
    plan: ControlPlanSummaryRead
    org_unit_name: str
    processes: int
    risks: int
    distribution: list[RiskValueCount] = Field(
        description="Risks per risk value (every value 1–16 a 4 × 4 matrix can give, 0 when "
        "none), highest first."
    )
    matrix: list[MatrixCell] = Field(description="Risks per probability and consequence.")
    risks_needing_control: int = Field(description="Risks at or above the threshold.")
    risks_without_control: list[int] = Field(
        description="Ids of risks at or above the threshold that have no control."
    )
    totals: ControlTotals
    financial: ControlTotals = Field(description="The financial controls.")
    controls: list[ControlRow] = Field(description="Every control, highest risk first.")
    financial_controls: list[ControlRow]
