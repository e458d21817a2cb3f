"""What the services answer, as typed records (extra fields ignored, so services can add some).

These mirror the services' REST response schemas; the GraphQL types are built from them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrgLevelRecord(Record):
    key: str
    label: str
    rank: int


class OrgUnitRecord(Record):
    id: str
    code: str
    name: str
    level: str
    parent_id: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: str | None = None
    kolada_id: str | None = None
    municipality_id: str | None = None
    created_at: datetime
    updated_at: datetime

    def valid_on(self, day: date) -> bool:
        """The goals service's rule for ``as_of``: open-ended on both sides when unset."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )


class OrgUnitChangeRecord(Record):
    seq: int
    unit_id: str
    kind: str
    effective_from: date | None = None
    recorded_at: datetime
    recorded_by: str
    before: dict[str, Any] | None = None
    after: dict[str, Any]


class FeedPage(Record):
    items: list[OrgUnitChangeRecord]
    cursor: str
    has_more: bool


class OrgLevelList(RootModel[list[OrgLevelRecord]]):
    pass


class OrgUnitChangeList(RootModel[list[OrgUnitChangeRecord]]):
    pass


# --- goals: plans, goals, measures, values, follow-up -------------------------------------------


class PlanRecord(Record):
    id: str
    org_unit_id: str
    name: str
    start_year: int
    end_year: int
    adopted_on: date | None = None
    description: str | None = None
    created_at: datetime
    updated_at: datetime


class GoalNodeRecord(Record):
    id: str
    code: str
    level: str
    level_label: str
    parent_id: str | None = None
    title: str
    headline: str | None = None
    description: str | None = None
    follow_up_tag: str | None = None
    addressed_to: list[str] = []
    valid_from_year: int
    valid_to_year: int | None = None
    children: list[GoalNodeRecord] = []


class GoalTree(RootModel[list[GoalNodeRecord]]):
    pass


class TargetRecord(Record):
    op: str
    value: float | None = None
    qualifier: str | None = None
    benchmark: str | None = None
    direction: str | None = None


class BaselineRecord(Record):
    value: float | None = None
    period: str | None = None
    is_new: bool = False
    text: str | None = None


class SeriesRecord(Record):
    segment: str | None = None
    code: str | None = None
    baseline: BaselineRecord
    targets: dict[int, TargetRecord] = {}


class MeasureRecord(Record):
    id: str
    code: str
    org_unit_id: str
    name: str
    display_name: str | None = None
    description: str | None = None
    unit_kind: str
    decimals: int
    direction: str
    data_source: str | None = None
    kolada_kpi_id: str | None = None
    periodicity: str
    segments: list[str] = []
    gender_split: bool = False
    unit_label: str | None = None
    lookback_years: int = 0
    data_org_unit_id: str | None = None
    goal_ids: list[str] = []
    series: list[SeriesRecord] = []


class ValueRecord(Record):
    id: int
    measure_id: str
    org_unit_id: str
    period: str
    year: int
    period_end: date
    segment: str | None = None
    gender: str
    value: float | None = None
    text: str | None = None
    manual_status: str | None = None
    numerator: float | None = None
    denominator: float | None = None
    state: str
    comment: str | None = None
    source: str | None = None
    recorded_by: str
    recorded_at: datetime
    target: TargetRecord | None = None
    target_basis: str | None = None
    interim_target: float | None = None
    interim_op: str | None = None
    reference: float | None = None
    reference_period: str | None = None
    status: str
    trend: str | None = None
    series_break: bool = False


class MeasureValuesRecord(Record):
    """One item of ``GET /measure-values``: a measure's values."""

    measure_id: str
    values: list[ValueRecord]


class AssessmentRecord(Record):
    id: int
    goal_id: str
    year: int
    period: str
    kind: str
    answer: str
    answer_text: str | None = None
    colour: str | None = None
    comment: str | None = None
    causes: str | None = None
    consequences: str | None = None
    actions_taken: str | None = None
    actions_planned: str | None = None
    author: str
    author_name: str | None = None
    created_at: datetime


class ActivityRecord(Record):
    id: int
    goal_id: str
    org_unit_id: str
    year: int
    title: str
    responsible: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    due_quarter: str | None = None
    status: str
    progress: int
    updated_at: datetime


class StatusCountRecord(Record):
    status: str
    label: str
    count: int
    percent: int
    text: str


class CompletionRecord(Record):
    total: int
    by_status: list[StatusCountRecord]


class FulfilmentRecord(Record):
    goals: int
    fulfilled: int
    percent: int | None = None
    result_level: str | None = None


class AreaRollupRecord(Record):
    goal_id: str
    code: str
    title: str
    fulfilment: FulfilmentRecord
    activities: CompletionRecord


class RollupRecord(Record):
    total: FulfilmentRecord
    activities: CompletionRecord
    areas: list[AreaRollupRecord]


class SeriesFollowUpRecord(Record):
    segment: str | None = None
    code: str | None = None
    baseline: BaselineRecord
    target: TargetRecord | None = None
    target_basis: str | None = None
    interim_target: float | None = None
    interim_op: str | None = None
    reference: float | None = None
    value: float | None = None
    text: str | None = None
    period: str | None = None
    latest_available: bool = False
    state: str | None = None
    status: str
    trend: str | None = None
    series_break: bool = False


class MeasureFollowUpRecord(Record):
    id: str
    code: str
    series: list[SeriesFollowUpRecord]


class GoalFollowUpRecord(Record):
    id: str
    code: str
    reported: bool
    assessment: AssessmentRecord | None = None
    forecast: AssessmentRecord | None = None
    fulfilled: bool | None = None
    measures: list[MeasureFollowUpRecord]
    activities: CompletionRecord
    children: list[GoalFollowUpRecord] = []


class FollowUpRecord(Record):
    plan_id: str
    plan_name: str
    org_unit_id: str
    year: int
    period: str
    period_label: str
    period_kind: str
    period_end: date
    values_org_unit_id: str
    include_below: bool
    rollup: RollupRecord
    goals: list[GoalFollowUpRecord]

    def goal_index(self) -> dict[str, GoalFollowUpRecord]:
        found: dict[str, GoalFollowUpRecord] = {}
        pending = list(self.goals)
        while pending:
            goal = pending.pop()
            found[goal.id] = goal
            pending.extend(goal.children)
        return found


# --- budget ------------------------------------------------------------------------------------


class SummaryFiguresRecord(Record):
    budget: Decimal | None = None
    outcome: Decimal | None = None
    forecast: Decimal | None = None
    forecast_deviation: Decimal | None = None
    outcome_deviation: Decimal | None = None
    deviation: Decimal | None = None
    budget_ytd: Decimal | None = None
    ytd_deviation: Decimal | None = None


class SummaryRowRecord(SummaryFiguresRecord):
    key: str | None = None
    name: str | None = None
    kind: str | None = None


class SummaryRecord(Record):
    org_unit_id: str
    year: int
    period: int
    unit: str
    forecast_month: int | None = None
    deviation_basis: str | None = None
    rows: list[SummaryRowRecord]
    total: SummaryFiguresRecord


class InvestmentTotalsRecord(Record):
    org_unit_id: str
    year: int
    objects: int
    budget: Decimal
    carried_in: Decimal
    available: Decimal
    outcome: Decimal | None = None
    forecast: Decimal | None = None


class DeficitRecord(Record):
    committee_id: str
    year: int
    month: int
    level: str = "committee"
    activity_code: str | None = None
    activity_name: str | None = None
    org_unit_id: str | None = None
    org_unit_name: str | None = None
    forecast_deviation: Decimal
    measures: int
    measures_amount: Decimal
    has_measures: bool


class DeficitList(RootModel[list[DeficitRecord]]):
    pass


# --- deviations --------------------------------------------------------------------------------


class CountRowRecord(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    count: int | str


class DurationRecord(Record):
    count: int | str
    mean_days: float | None = None
    median_days: float | None = None
    max_days: int | None = None
    within_deadline: int | str | None = None


class WithheldBreakdownRecord(Record):
    breakdown: str
    of: str
    key: dict[str, Any]


class BreakdownRecord(Record):
    keys: list[str]
    totals_by: list[str]
    rows: list[CountRowRecord]
    totals: list[CountRowRecord]
    total: int | str


class StatisticsRecord(Record):
    suppressed: bool
    suppression_threshold: int
    date_basis: str = "registration"
    withheld: list[WithheldBreakdownRecord] = []
    total: int | str
    by_year: list[CountRowRecord]
    by_category_month: list[CountRowRecord]
    by_org_unit: list[CountRowRecord]
    by_org_subtree: list[CountRowRecord]
    by_kind: list[CountRowRecord]
    by_law_area: list[CountRowRecord]
    overdue: int | str
    overdue_by_kind: list[CountRowRecord]
    time_to_answer: dict[str, DurationRecord]
    time_to_close: dict[str, DurationRecord]
    breakdowns: dict[str, BreakdownRecord] = {}


class ActionRecord(Record):
    id: int
    description: str
    owner: str
    due_date: date | None = None
    status: str
    effect_follow_up: str | None = None
    effect_followed_up_at: datetime | None = None
    effect_followed_up_by: str | None = None


class RiskRecord(Record):
    probability: int
    consequence: int
    score: int
    level: str
    level_label: str


class DeadlineRecord(Record):
    milestone: str
    due_date: date
    met_at: datetime | None = None
    overdue: bool


class CaseRecord(Record):
    id: int
    reference_number: str
    kind: str
    law_area: str | None = None
    regime: str
    category: str | None = None
    event_time: datetime | None = None
    reported_at: datetime
    org_unit_id: str
    channel: str
    description: str
    immediate_actions: str | None = None
    state: str
    assigned_to: str | None = None
    mas_routed: bool = False
    external_direction: str | None = None
    external_party: str | None = None
    external_date: date | None = None
    external_answered_on: date | None = None
    investigation_outcome: str | None = None
    import_withdrawn_at: datetime | None = None
    risk: RiskRecord | None = None
    deadline: DeadlineRecord | None = None
    received_at: datetime | None = None
    answered_at: datetime | None = None
    days_to_answer: int | None = None
    closed_at: datetime | None = None
    actions: list[ActionRecord] = []


class CaseHistoryRecord(Record):
    id: int
    at: datetime
    actor: str
    event: str
    field: str | None = None
    before: Any = None
    after: Any = None
    reason: str | None = None


class CaseHistoryList(RootModel[list[CaseHistoryRecord]]):
    pass


class ForecastRecord(Record):
    year: int
    month: int
    org_unit_id: str
    activity_code: str
    account_group_key: str | None = None
    amount: Decimal
    comment: str | None = None
    created_by: str
    created_at: datetime


class ForecastList(RootModel[list[ForecastRecord]]):
    pass


class MunicipalityRecord(Record):
    id: str
    code: str
    name: str
    kolada_id: str | None = None


class MunicipalityList(RootModel[list[MunicipalityRecord]]):
    pass


class FiscalYearRecord(Record):
    year: int
    follow_up_months: list[int]
    closed: bool


class FiscalYearList(RootModel[list[FiscalYearRecord]]):
    pass


class CategoryRecord(Record):
    code: str
    label: str
    group: str
    valid_from_year: int | None = None
    valid_to_year: int | None = None
    source: str
    national_label: str | None = None


class CategoryList(RootModel[list[CategoryRecord]]):
    pass


class CaseSettingsDocumentRecord(Record):
    reference_format: str
    series_scope: str
    intake_unit_id: str | None = None
    suppression_threshold: int


class CaseSettingsRecord(Record):
    municipality_id: str
    stored: bool
    updated_at: datetime | None = None
    updated_by: str | None = None
    settings: CaseSettingsDocumentRecord


class GoalVersionSpan(Record):
    valid_from_year: int
    valid_to_year: int | None = None


class GoalRecord(Record):
    """A goal as ``GET /goals`` lists it: which plan it belongs to and the years it applies."""

    id: str
    plan_id: str
    level: str
    code: str
    versions: list[GoalVersionSpan] = []
