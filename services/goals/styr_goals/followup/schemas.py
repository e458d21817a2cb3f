"""API contracts for assessments, activities, the roll-up and the follow-up report."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, model_validator

from styr_goals.measures.schemas import BaselineRead, Number, TargetRead
from styr_goals.measures.status import Status, TargetBasis, Trend
from styr_goals.plans.schemas import Computed, PeriodKind
from styr_shared.schemas import ResponseModel, StrictModel

LongText = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Year = Annotated[int, Field(ge=1990, le=2100)]


class AssessmentKind(StrEnum):
    FORECAST = "forecast"
    FINAL = "final"


class Answer(StrEnum):
    YES = "Ja"
    PARTLY = "Delvis"
    NO = "Nej"


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class AssessmentCreate(StrictModel):
    year: Year
    period: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="Key of a configured follow-up period, e.g. `delar`, `helar`."
    )
    kind: AssessmentKind = Field(
        description="`forecast`: bedömd måluppfyllelse vid årets slut; `final`: the outcome."
    )
    answer: Answer
    answer_text: LongText | None = Field(None, description="The answer as written.")
    colour: Colour | None = None
    comment: LongText | None = None
    causes: LongText | None = None
    consequences: LongText | None = None
    actions_taken: LongText | None = None
    actions_planned: LongText | None = None


class AssessmentRead(ResponseModel):
    id: int
    goal_id: str
    year: int
    period: str
    kind: AssessmentKind
    answer: Answer
    answer_text: str | None
    colour: Colour | None
    comment: str | None
    causes: str | None
    consequences: str | None
    actions_taken: str | None
    actions_planned: str | None
    author: str
    author_name: str | None
    created_at: datetime


Quarter = Annotated[str, StringConstraints(pattern=r"^\d{4}-Q[1-4]$")]


class ActivityCreate(StrictModel):
    org_unit_id: str = Field(max_length=64, description="The plan's unit or a unit below it.")
    year: Year = Field(description="The plan year the activity belongs to.")
    title: LongText
    responsible: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    start_date: date | None = None
    end_date: date | None = None
    due_quarter: Quarter | None = Field(None, description="Instead of an end date: `2025-Q4`.")
    status: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="Key of a configured activity status."
    )
    progress: int = Field(0, ge=0, le=100, description="Percent done.")

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class ActivityUpdate(StrictModel):
    title: LongText | None = None
    responsible: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    start_date: date | None = None
    end_date: date | None = None
    due_quarter: Quarter | None = None
    status: Annotated[str, StringConstraints(max_length=40)] | None = None
    progress: int | None = Field(None, ge=0, le=100)


class ActivityRead(ResponseModel):
    id: int
    goal_id: str
    org_unit_id: str
    year: int
    title: str
    responsible: str | None
    start_date: date | None
    end_date: date | None
    due_quarter: str | None
    status: str
    progress: int
    created_at: datetime
    updated_at: datetime


class StatusCount(Computed):
    status: str
    label: str
    count: int
    percent: int = Field(description="Share of all activities, rounded half up.")
    text: str = Field(description='"n st (x %)".')


class Completion(Computed):
    total: int
    by_status: list[StatusCount]


class Fulfilment(Computed):
    goals: int = Field(description="Committee goals (roll-up level) in scope.")
    fulfilled: int = Field(description='Goals whose assessment answer is "Ja".')
    percent: int | None = Field(description="Rounded half up; null when there are no goals.")
    result_level: str | None


class AreaRollup(Computed):
    goal_id: str
    code: str
    title: str
    fulfilment: Fulfilment
    activities: Completion


class Rollup(Computed):
    total: Fulfilment
    activities: Completion
    areas: list[AreaRollup]


class SeriesFollowUp(Computed):
    segment: str | None
    code: str | None
    baseline: BaselineRead
    target: TargetRead | None = Field(description="The stated target of the year, if any.")
    target_basis: TargetBasis | None = Field(
        None,
        description="What the status was judged against: `stated`, `interim` (on the "
        "trajectory to a later year's target) or `direction`.",
    )
    interim_target: Number | None = Field(
        None, description="The year's interim target (only with `target_basis: interim`)."
    )
    interim_op: str | None = Field(
        None,
        description="The interim target's operator (the later target's, e.g. `>=`; only with "
        "`target_basis: interim`).",
    )
    reference: Number | None = Field(
        None, description="A direction target's reference (previous value, else baseline)."
    )
    reference_period: str | None = None
    value: Number | None
    text: str | None = Field(None, description="A qualitative value.")
    period: str | None = Field(
        description="Period of the value shown: the latest in the year, else the latest "
        "available within the measure's look-back."
    )
    latest_available: bool = Field(
        False,
        description="The value is from an earlier year than the report's (the latest "
        "available, e.g. a Kolada figure a year late); the status judges it against the "
        "report year's target.",
    )
    state: str | None
    status: Status
    trend: Trend | None
    series_break: bool


class MeasureFollowUp(Computed):
    id: str
    code: str
    name: str
    display_name: str | None
    unit_kind: str
    unit_label: str | None = None
    decimals: int
    direction: str
    values_org_unit_id: str | None = Field(
        None, description="Whose values are shown (the measure's data unit, or the report's)."
    )
    lookback_years: int = 0
    series: list[SeriesFollowUp]


class GoalFollowUp(Computed):
    id: str
    code: str
    level: str
    level_label: str
    title: str
    follow_up_tag: str | None
    addressed_to: list[str]
    reported: bool = Field(
        description="Whether the period reports this goal (the KF tag, e.g. B goals only at "
        "year end)."
    )
    assessment: AssessmentRead | None = Field(
        description="The period's current judgement: the latest final one, else forecast."
    )
    forecast: AssessmentRead | None
    fulfilled: bool | None = Field(description="Roll-up goals: answer Ja.")
    measures: list[MeasureFollowUp]
    activities: Completion
    children: list[GoalFollowUp] = Field(default_factory=list)


class PrintedFigure(StrictModel):
    percent: int = Field(ge=0, le=100, description="The share as printed, e.g. 94.")
    result_level: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class PublicationCreate(StrictModel):
    year: Year
    period: Annotated[str, StringConstraints(max_length=40)]
    note: LongText | None = None
    printed: PrintedFigure | None = Field(
        None,
        description="Record a figure as printed in a paper instead of freezing the computed "
        "report (for history from before the service).",
    )


class PublicationSummary(ResponseModel):
    id: int
    plan_id: str
    year: int
    period: str
    percent: int | None
    result_level: str | None
    computed: bool = Field(description="False: a printed figure, not a frozen report.")
    note: str | None
    published_at: datetime
    published_by: str


class PublicationRead(PublicationSummary):
    report: dict[str, Any] | None = Field(description="The frozen report (computed only).")


class FollowUpReport(Computed):
    plan_id: str
    plan_name: str
    org_unit_id: str
    year: int
    period: str
    period_label: str = Field(description='E.g. "Helår 2024".')
    period_kind: PeriodKind
    period_end: date
    values_org_unit_id: str = Field(description="Whose values are shown.")
    include_below: bool
    rollup: Rollup
    publications: list[PublicationSummary] = Field(
        description="What was reported for this plan and year so far (e.g. the interim "
        "forecast beside the annual outcome)."
    )
    goals: list[GoalFollowUp]
