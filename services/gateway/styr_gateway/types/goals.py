"""Goal steering: plans, their goal trees, measures with values and the follow-up (goals service).

Shaped for screens: a plan answers its goals as a tree or as a flat list of one level, a goal its
measures, current judgement and activity completion for a period, a measure its targets, latest
values with computed status and trend, and its value series. Everything a committee dashboard
shows for a period comes from the plan's follow-up report, fetched once per plan and period
however many goals and measures the query touches (see ``loaders.GoalLoaders``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated
from urllib.parse import quote, urlencode

import strawberry

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.errors import ErrorCode, UpstreamError, bad_user_input
from styr_gateway.inputs import body_of, field_names
from styr_gateway.loaders import FollowUp, FollowUpKey
from styr_gateway.records import (
    ActivityRecord,
    AssessmentRecord,
    BaselineRecord,
    CompletionRecord,
    FollowUpRecord,
    FulfilmentRecord,
    GoalNodeRecord,
    MeasureRecord,
    PlanRecord,
    SeriesFollowUpRecord,
    TargetRecord,
    ValueRecord,
)
from styr_gateway.types.convert import from_record, write
from styr_gateway.upstream import Service

COSTS = {
    # Weights (service calls per resolution) and list sizes of the query cost (see cost.py).
    "Query.plan": FieldCost(),
    "Plan.goalTree": FieldCost(size=10),  # top goals
    "Plan.goals": FieldCost(size=50),  # a committee's plan: 40 goals in the demo
    "Plan.followUp": FieldCost(),
    "Goal.children": FieldCost(weight=0, size=10),
    "Goal.measures": FieldCost(size=5),
    "Goal.periodStatus": FieldCost(),
    "Goal.assessments": FieldCost(size=10),
    "Goal.activities": FieldCost(size=20),
    "Measure.latest": FieldCost(size=5),
    "Measure.values": FieldCost(size=50),
    "Mutation.reportMeasureValue": FieldCost(),
    "Mutation.assessGoal": FieldCost(),
    "Mutation.updateActivity": FieldCost(),
}


FIRST_YEAR, LAST_YEAR = 1990, 2100
"""The years the goals service keeps values for."""

Year = Annotated[int, strawberry.argument(description="The plan year, e.g. 2025.")]
PeriodKey = Annotated[
    str,
    strawberry.argument(
        description="Key of a follow-up period of the municipality's steering configuration, "
        "e.g. `delar` (interim) or `helar` (annual)."
    ),
]
ValuesOf = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Whose values and activities (default: the plan's own unit)."),
]


@strawberry.enum(description="Computed from the value, the target and the measure's decimals.")
class MeasureStatus(Enum):
    MET = strawberry.enum_value("met", description="The value meets the target.")
    NOT_MET = strawberry.enum_value("not_met", description="The value misses the target.")
    NO_VALUE = strawberry.enum_value("no_value", description="No value for the period.")
    NO_TARGET = strawberry.enum_value("no_target", description="No target for the year.")
    NO_REFERENCE = strawberry.enum_value(
        "no_reference",
        description="A direction target with nothing to compare with (no previous value, no "
        "baseline).",
    )


@strawberry.enum(description="What a status was judged against.")
class TargetBasis(Enum):
    STATED = strawberry.enum_value("stated", description="The year's stated target.")
    INTERIM = strawberry.enum_value(
        "interim",
        description="An interim target on the straight line to a later year's target (not a "
        "stated target).",
    )
    DIRECTION = strawberry.enum_value(
        "direction",
        description='A direction target ("Öka", "Minska", "Behålla") against the previous '
        "value, else the baseline.",
    )


def _basis(value: str | None) -> TargetBasis | None:
    return TargetBasis(value) if value else None


@strawberry.enum(description="Against the previous period of the same series.")
class Trend(Enum):
    IMPROVING = strawberry.enum_value(
        "improving", description="Better than the previous value, given the measure's direction."
    )
    WORSENING = strawberry.enum_value("worsening", description="Worse than the previous value.")
    UNCHANGED = strawberry.enum_value(
        "unchanged", description="The same at the measure's decimals."
    )


@strawberry.enum(description="Kolada's gender codes.")
class Gender(Enum):
    T = strawberry.enum_value("T", description="Total (all genders).")
    K = strawberry.enum_value("K", description="Women (kvinnor).")
    M = strawberry.enum_value("M", description="Men (män).")


def _status(value: str) -> MeasureStatus:
    return MeasureStatus(value)


def _trend(value: str | None) -> Trend | None:
    return Trend(value) if value else None


@strawberry.type(description="What a value must satisfy: an operator and a number or benchmark.")
class Target:
    op: str = strawberry.field(description="`=`, `>=`, `>`, `<=` or `<`.")
    value: float | None = strawberry.field(
        description="The number to compare with; null for a benchmark target."
    )
    qualifier: str | None = strawberry.field(
        description='A target in words, e.g. "Minst en aktivitet på varje enhet."'
    )
    benchmark: str | None = strawberry.field(description="Compare with a group, as written.")
    direction: str | None = strawberry.field(
        description="A target without a number: `increase`, `decrease` or `maintain`."
    )

    @classmethod
    def of(cls, record: TargetRecord | None) -> Target | None:
        if record is None:
            return None
        return from_record(cls, record)


@strawberry.type(description="The target of one year and segment.")
class YearTarget:
    year: int = strawberry.field(description="The year the target applies to.")
    segment: str | None = strawberry.field(
        description="The series; null for a measure with one series."
    )
    target: Target = strawberry.field(description="The target.")


@strawberry.type(description="The starting point of a series.")
class Baseline:
    value: float | None = strawberry.field(
        description="The starting value; null when there is none yet."
    )
    period: str | None = strawberry.field(
        description="The period of the starting value, e.g. `2022`."
    )
    is_new: bool = strawberry.field(description='"Nytt värde": no baseline exists yet.')
    text: str | None = strawberry.field(
        description="The baseline as the follow-up report shows it."
    )

    @classmethod
    def of(cls, record: BaselineRecord) -> Baseline:
        return from_record(cls, record)


@strawberry.type(description="One value of a measure, with computed status and trend.")
class MeasureValue:
    id: strawberry.ID = strawberry.field(description="Stable id of the value.")
    org_unit_id: strawberry.ID = strawberry.field(description="Whose value it is.")
    period: str = strawberry.field(description="`2024`, `2024-T2`, `2024-08`, …")
    year: int = strawberry.field(description="The year of the period.")
    period_end: date = strawberry.field(description="Last day of the period.")
    segment: str | None = strawberry.field(
        description="The series; null for a measure with one series."
    )
    gender: Gender = strawberry.field(description="T (total), K or M.")
    value: float | None = strawberry.field(
        description="The value, in the measure's unit; null for a qualitative value."
    )
    text: str | None = strawberry.field(description='A qualitative value ("Genomfört").')
    numerator: float | None = strawberry.field(description="Numerator of a ratio, when reported.")
    denominator: float | None = strawberry.field(
        description="Denominator of a ratio, when reported."
    )
    state: str = strawberry.field(description="`preliminary` or `final`.")
    comment: str | None = strawberry.field(description="Comment on the value.")
    source: str | None = strawberry.field(
        description="Where the value came from (a system or an import)."
    )
    recorded_by: str = strawberry.field(description="Subject of the token that recorded it.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    target: Target | None = strawberry.field(
        description="The target of the value's year and series."
    )
    status: MeasureStatus = strawberry.field(description="The value against its target.")
    target_basis: TargetBasis | None = strawberry.field(
        description="What the status was judged against; null without a target."
    )
    interim_target: float | None = strawberry.field(
        description="The year's interim target, when the status was judged against one."
    )
    interim_op: str | None = strawberry.field(
        description="The interim target's operator (that of the later target it leads to)."
    )
    reference: float | None = strawberry.field(
        description="A direction target's reference (the previous value, else the baseline)."
    )
    trend: Trend | None = strawberry.field(
        description="Against the previous value of the series; null for the first."
    )
    series_break: bool = strawberry.field(
        description="The previous value was measured under another definition."
    )

    @classmethod
    def of(cls, record: ValueRecord) -> MeasureValue:
        return from_record(
            cls,
            record,
            id=strawberry.ID(str(record.id)),
            gender=Gender(record.gender),
            target=Target.of(record.target),
            status=_status(record.status),
            target_basis=_basis(record.target_basis),
            trend=_trend(record.trend),
        )


@strawberry.type(
    description="A series of a measure (one per segment) in a follow-up period: the latest "
    "value of the year up to the period's end, its target, status and trend."
)
class SeriesStatus:
    segment: str | None = strawberry.field(
        description="The series; null for a measure with one series."
    )
    code: str | None = strawberry.field(description="Code of the series, when it has one.")
    baseline: Baseline = strawberry.field(description="The series' starting point.")
    target: Target | None = strawberry.field(description="The target of the year and series.")
    value: float | None = strawberry.field(
        description="The latest value in the period; null when none."
    )
    text: str | None = strawberry.field(description="A qualitative value shown.")
    period: str | None = strawberry.field(description="Period of the value shown.")
    latest_available: bool = strawberry.field(
        description="The value is the latest available of an earlier year (within the "
        "measure's look-back), judged against the report year's target."
    )
    target_basis: TargetBasis | None = strawberry.field(
        description="What the status was judged against; null without a target."
    )
    interim_target: float | None = strawberry.field(
        description="The year's interim target, when the status was judged against one."
    )
    interim_op: str | None = strawberry.field(
        description="The interim target's operator (that of the later target it leads to)."
    )
    state: str | None = strawberry.field(
        description="`preliminary` or `final`, of the value shown."
    )
    status: MeasureStatus = strawberry.field(description="The value against the target.")
    trend: Trend | None = strawberry.field(description="Against the series' previous value.")
    series_break: bool = strawberry.field(
        description="The previous value was measured under another definition."
    )

    @classmethod
    def of(cls, record: SeriesFollowUpRecord) -> SeriesStatus:
        return from_record(
            cls,
            record,
            baseline=Baseline.of(record.baseline),
            target=Target.of(record.target),
            target_basis=_basis(record.target_basis),
            status=_status(record.status),
            trend=_trend(record.trend),
        )


@strawberry.type(description="A goal assessment: forecast or final, for a year and period.")
class Assessment:
    id: strawberry.ID = strawberry.field(description="Stable id of the assessment.")
    goal_id: strawberry.ID = strawberry.field(description="The goal assessed.")
    year: int = strawberry.field(description="The plan year assessed.")
    period: str = strawberry.field(description="Key of the follow-up period, e.g. `helar`.")
    kind: str = strawberry.field(description="`forecast` or `final`.")
    answer: str = strawberry.field(description="`Ja`, `Delvis` or `Nej`.")
    answer_text: str | None = strawberry.field(
        description="The answer in words, as the follow-up report shows it."
    )
    colour: str | None = strawberry.field(description="`green`, `yellow` or `red`.")
    comment: str | None = strawberry.field(description="The assessor's comment (analysis).")
    causes: str | None = strawberry.field(description="Causes of the result.")
    consequences: str | None = strawberry.field(description="Consequences of the result.")
    actions_taken: str | None = strawberry.field(description="Actions already taken.")
    actions_planned: str | None = strawberry.field(description="Actions planned.")
    author: str = strawberry.field(description="Subject of the token that made the assessment.")
    author_name: str | None = strawberry.field(
        description="Display name of the author, when the token had one."
    )
    created_at: datetime = strawberry.field(
        description="When the assessment was made; a later one supersedes it."
    )

    @classmethod
    def of(cls, record: AssessmentRecord) -> Assessment:
        return from_record(cls, record, id=strawberry.ID(str(record.id)))


@strawberry.type(description="An activity of a goal's action plan.")
class Activity:
    id: strawberry.ID = strawberry.field(description="Stable id of the activity.")
    goal_id: strawberry.ID = strawberry.field(
        description="The goal whose action plan holds the activity."
    )
    org_unit_id: strawberry.ID = strawberry.field(
        description="The org unit that carries out the activity."
    )
    year: int = strawberry.field(description="The plan year the activity belongs to.")
    title: str = strawberry.field(description="What is to be done.")
    responsible: str | None = strawberry.field(
        description="Who is responsible, as written (a role or a name)."
    )
    start_date: date | None = strawberry.field(description="When the activity starts.")
    end_date: date | None = strawberry.field(description="When the activity is to be finished.")
    due_quarter: str | None = strawberry.field(description="The quarter it is due, e.g. `2025-Q4`.")
    status: str = strawberry.field(description="Key of a configured activity status.")
    progress: int = strawberry.field(description="Percent done.")
    updated_at: datetime = strawberry.field(description="When the activity was last changed.")

    @classmethod
    def of(cls, record: ActivityRecord) -> Activity:
        return from_record(cls, record, id=strawberry.ID(str(record.id)))


@strawberry.type(description="Activities per status.")
class StatusCount:
    status: str = strawberry.field(description="Key of the activity status.")
    label: str = strawberry.field(description="Display label of the status.")
    count: int = strawberry.field(description="Activities with the status.")
    percent: int = strawberry.field(description="Share of all activities, in percent.")
    text: str = strawberry.field(description='"n st (x %)".')


@strawberry.type(description="How far a set of activities has come.")
class Completion:
    total: int = strawberry.field(description="Number of activities.")
    by_status: list[StatusCount] = strawberry.field(
        description="Activities per status, in the configured order."
    )

    @classmethod
    def of(cls, record: CompletionRecord) -> Completion:
        return from_record(
            cls, record, by_status=[from_record(StatusCount, row) for row in record.by_status]
        )


@strawberry.type(description="Goal fulfilment: roll-up goals answered Ja, and the result level.")
class Fulfilment:
    goals: int = strawberry.field(description="Number of roll-up goals.")
    fulfilled: int = strawberry.field(description="Goals answered Ja.")
    percent: int | None = strawberry.field(
        description="fulfilled / goals, in percent; null without goals."
    )
    result_level: str | None = strawberry.field(
        description='The configured result level for the percent, e.g. "Mycket god måluppfyllelse".'
    )

    @classmethod
    def of(cls, record: FulfilmentRecord) -> Fulfilment:
        return from_record(cls, record)


@strawberry.type(description="The roll-up of one goal area.")
class AreaRollup:
    goal_id: strawberry.ID = strawberry.field(description="The goal that heads the area.")
    code: str = strawberry.field(description="The area goal's code.")
    title: str = strawberry.field(description="The area goal's title.")
    fulfilment: Fulfilment = strawberry.field(description="Fulfilment of the area's roll-up goals.")
    activities: Completion = strawberry.field(description="Completion of the area's activities.")


@strawberry.enum(description="A committee document's file format.")
class DocumentFormat(Enum):
    PDF = strawberry.enum_value("pdf", description="Tagged PDF (PDF/UA-1), to publish.")
    DOCX = strawberry.enum_value("docx", description="Word (DOCX), to edit.")


@strawberry.type(description="A plan's follow-up in one period: roll-up and period data.")
class FollowUpReport:
    year: int = strawberry.field(description="The plan year.")
    period: str = strawberry.field(description="Key of the follow-up period, e.g. `helar`.")
    period_label: str = strawberry.field(description='E.g. "Helår 2024".')
    period_kind: str = strawberry.field(description="`interim` or `annual`.")
    period_end: date = strawberry.field(description="Last day of the period.")
    values_org_unit_id: strawberry.ID = strawberry.field(description="Whose values are shown.")
    total: Fulfilment = strawberry.field(description="Fulfilment of all roll-up goals of the plan.")
    activities: Completion = strawberry.field(
        description="Completion of all activities of the plan."
    )
    areas: list[AreaRollup] = strawberry.field(description="The roll-up per goal area.")
    record: strawberry.Private[FollowUpRecord]

    @strawberry.field(
        description="Where the goals service serves this follow-up as the committee's document "
        "(cover, summary, every goal with its assessment, measures with charts, activities). "
        "Fetch it with the same bearer token; it is made when fetched."
    )
    def document_url(
        self,
        info: Info,
        format: Annotated[
            DocumentFormat, strawberry.argument(description="PDF to publish, DOCX to edit.")
        ],
    ) -> str:
        record = self.record
        params = {"year": record.year, "period": record.period, "format": format.value}
        if record.values_org_unit_id != record.org_unit_id:
            params["org_unit_id"] = record.values_org_unit_id
        if not record.include_below:
            params["include_below"] = "false"
        base = info.context.upstream.upstream.goals_public_url
        return f"{base}/api/v1/plans/{quote(record.plan_id, safe='')}/follow-up?{urlencode(params)}"

    @classmethod
    def of(cls, follow_up: FollowUp) -> FollowUpReport:
        record = follow_up.record
        rollup = record.rollup
        return cls(
            record=record,
            year=record.year,
            period=record.period,
            period_label=record.period_label,
            period_kind=record.period_kind,
            period_end=record.period_end,
            values_org_unit_id=strawberry.ID(record.values_org_unit_id),
            total=Fulfilment.of(rollup.total),
            activities=Completion.of(rollup.activities),
            areas=[
                AreaRollup(
                    goal_id=strawberry.ID(area.goal_id),
                    code=area.code,
                    title=area.title,
                    fulfilment=Fulfilment.of(area.fulfilment),
                    activities=Completion.of(area.activities),
                )
                for area in rollup.areas
            ],
        )


@strawberry.type(description="A goal in one follow-up period.")
class GoalPeriodStatus:
    reported: bool = strawberry.field(
        description="Whether the period reports this goal (KF tag: `B` goals only at year end)."
    )
    assessment: Assessment | None = strawberry.field(
        description="The current judgement: the latest final assessment, else the forecast."
    )
    forecast: Assessment | None = strawberry.field(
        description="The latest forecast assessment of the period."
    )
    fulfilled: bool | None = strawberry.field(description="Roll-up goals: answered Ja.")
    activities: Completion = strawberry.field(description="Completion of the goal's activities.")


def _not_in_report(what: str, item_id: str) -> UpstreamError:
    return UpstreamError(
        f"{what} {item_id!r} is not in the plan's follow-up report.",
        ErrorCode.NOT_FOUND,
        service=Service.GOALS,
    )


@strawberry.type(description="A measure (indicator) following one or more goals.")
class Measure:
    id: strawberry.ID = strawberry.field(description="Stable id of the measure.")
    code: str = strawberry.field(description="The measure's code in its plan.")
    org_unit_id: strawberry.ID = strawberry.field(description="Owner of the measure.")
    name: str = strawberry.field(description="The measure's name.")
    display_name: str | None = strawberry.field(description="A shorter name for screens, when set.")
    description: str | None = strawberry.field(description="What the measure measures and how.")
    unit_kind: str = strawberry.field(description="`count`, `percent`, `amount`, `days`, …")
    decimals: int = strawberry.field(description="Reporting precision; status is judged at it.")
    direction: str = strawberry.field(description="`increase`, `decrease` or `milestone`.")
    data_source: str | None = strawberry.field(
        description="Where the values come from, as written."
    )
    kolada_kpi_id: str | None = strawberry.field(
        description="Kolada KPI id, when values come from Kolada, e.g. `N00945`."
    )
    periodicity: str = strawberry.field(
        description="How often values come: `year`, `half_year`, `tertial`, `quarter`, "
        "`month` or `point_in_time`."
    )
    segments: list[str] = strawberry.field(
        description="The measure's series (e.g. age groups); empty for one series."
    )
    gender_split: bool = strawberry.field(description="Values are reported per gender (T, K, M).")
    unit_label: str | None = strawberry.field(
        description='What one unit is, e.g. "individer per år" for a rate.'
    )
    lookback_years: int = strawberry.field(
        description="How many years back a follow-up looks for the latest available value."
    )
    data_org_unit_id: strawberry.ID | None = strawberry.field(
        description="Whose values the measure follows (e.g. the municipality's Kolada values)."
    )
    record: strawberry.Private[MeasureRecord]
    plan_id: strawberry.Private[str]
    plan_unit_id: strawberry.Private[str]
    year: strawberry.Private[int]

    @classmethod
    def of(cls, record: MeasureRecord, plan: PlanRecord, year: int) -> Measure:
        return from_record(
            cls,
            record,
            data_org_unit_id=record.data_org_unit_id or None,
            record=record,
            plan_id=plan.id,
            plan_unit_id=plan.org_unit_id,
            year=year,
        )

    @strawberry.field(description="Baselines of each series (one per segment).")
    def baselines(self) -> list[Baseline]:
        return [Baseline.of(series.baseline) for series in self.record.series]

    @strawberry.field(description="Targets by year and segment.")
    def targets(
        self,
        year: Annotated[
            int | None, strawberry.argument(description="Default: the goal's year.")
        ] = None,
        all_years: Annotated[
            bool, strawberry.argument(description="Every year of the measure.")
        ] = False,
        segment: Annotated[str | None, strawberry.argument(description="Only this series.")] = None,
    ) -> list[YearTarget]:
        wanted = year or self.year
        return [
            YearTarget(year=target_year, segment=series.segment, target=target)
            for series in self.record.series
            if segment is None or series.segment == segment
            for target_year, record in sorted(series.targets.items())
            if all_years or target_year == wanted
            if (target := Target.of(record)) is not None
        ]

    @strawberry.field(
        description="Each series' latest value in a follow-up period with its target, status "
        "and trend. From the plan's follow-up report: one call per plan and period."
    )
    async def latest(
        self, info: Info, period: PeriodKey, org_unit_id: ValuesOf = None
    ) -> list[SeriesStatus] | None:
        key: FollowUpKey = (self.plan_id, self.year, period, _unit(org_unit_id))
        follow_up = await info.context.loaders.goals.follow_up.load(key)
        found = follow_up.measures.get(str(self.id))
        if found is None:
            raise _not_in_report("Measure", str(self.id))
        return [SeriesStatus.of(series) for series in found.series]

    @strawberry.field(
        description="Recorded values with status and trend, oldest first. The values of every "
        "measure and year asked for at one level are one call per plan and unit."
    )
    async def values(
        self,
        info: Info,
        org_unit_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Default: the plan's unit."),
        ] = None,
        year: Annotated[
            int | None, strawberry.argument(description="Default: the goal's year.")
        ] = None,
        period: Annotated[str | None, strawberry.argument(description="E.g. `2024-T2`.")] = None,
        segment: Annotated[str | None, strawberry.argument(description="Only this series.")] = None,
        gender: Annotated[
            Gender | None, strawberry.argument(description="Only this gender.")
        ] = None,
    ) -> list[MeasureValue] | None:
        unit = str(org_unit_id) if org_unit_id is not None else self.plan_unit_id
        wanted_year = year or self.year
        if not FIRST_YEAR <= wanted_year <= LAST_YEAR:
            # Checked here, not by the service: the years of a level share one call, and one
            # bad year must not fail the others.
            raise bad_user_input(f"must be between {FIRST_YEAR} and {LAST_YEAR}", "year")
        key = (self.plan_id, str(self.id), unit, wanted_year)
        records = await info.context.loaders.goals.values.load(key)
        return [
            MeasureValue.of(record)
            for record in sorted(records, key=lambda r: (r.period_end, r.segment or "", r.gender))
            if (period is None or record.period == period)
            and (segment is None or record.segment == segment)
            and (gender is None or record.gender == gender.name)  # names are the codes
        ]


def _unit(org_unit_id: strawberry.ID | None) -> str | None:
    return str(org_unit_id) if org_unit_id is not None else None


@strawberry.type(description="A goal as it stands in one year of its plan.")
class Goal:
    id: strawberry.ID = strawberry.field(description="Stable id of the goal.")
    code: str = strawberry.field(description="The goal's code in its plan.")
    level: str = strawberry.field(description="Key of the goal level (`namndmal`, …).")
    level_label: str = strawberry.field(description="E.g. `Nämndmål`.")
    parent_id: strawberry.ID | None = strawberry.field(
        description="The goal directly above; null at the top."
    )
    title: str = strawberry.field(description="The goal as adopted.")
    headline: str | None = strawberry.field(description="A short headline, when the plan has one.")
    description: str | None = strawberry.field(description="Longer text on the goal.")
    follow_up_tag: str | None = strawberry.field(description="KF goals: `D/B` or `B`.")
    addressed_to: list[strawberry.ID] = strawberry.field(
        description="Committees the goal is addressed to; empty = all."
    )
    valid_from_year: int = strawberry.field(description="First plan year the goal applies to.")
    valid_to_year: int | None = strawberry.field(
        description="Last plan year the goal applies to; null while it applies."
    )
    year: int = strawberry.field(description="The year the goal is shown as of.")
    node: strawberry.Private[GoalNodeRecord]
    plan: strawberry.Private[PlanRecord]

    @classmethod
    def of(cls, node: GoalNodeRecord, plan: PlanRecord, year: int) -> Goal:
        return from_record(
            cls, node, parent_id=node.parent_id or None, year=year, node=node, plan=plan
        )

    @strawberry.field(description="The goals directly below, in the plan's order.")
    def children(self) -> list[Goal]:
        return [Goal.of(child, self.plan, self.year) for child in self.node.children]

    @strawberry.field(
        description="Measures following the goal, by code. All measures of the plan are read "
        "in one call."
    )
    async def measures(self, info: Info) -> list[Measure] | None:
        measures = await info.context.loaders.goals.measures.load(self.plan.id)
        return [
            Measure.of(measure, self.plan, self.year)
            for measure in measures
            if str(self.id) in measure.goal_ids
        ]

    @strawberry.field(
        description="The goal in a follow-up period: judgement, forecast, fulfilment and "
        "activity completion. From the plan's follow-up report: one call per plan and period."
    )
    async def period_status(
        self, info: Info, period: PeriodKey, org_unit_id: ValuesOf = None
    ) -> GoalPeriodStatus | None:
        key: FollowUpKey = (self.plan.id, self.year, period, _unit(org_unit_id))
        follow_up = await info.context.loaders.goals.follow_up.load(key)
        found = follow_up.goals.get(str(self.id))
        if found is None:
            raise _not_in_report("Goal", str(self.id))
        return GoalPeriodStatus(
            reported=found.reported,
            assessment=Assessment.of(found.assessment) if found.assessment else None,
            forecast=Assessment.of(found.forecast) if found.forecast else None,
            fulfilled=found.fulfilled,
            activities=Completion.of(found.activities),
        )

    @strawberry.field(
        description="Every assessment of the goal's year (or `period`), oldest first. "
        "The assessments of every goal at one level are one call per plan and year."
    )
    async def assessments(
        self,
        info: Info,
        period: Annotated[
            str | None,
            strawberry.argument(description="Only the assessments of this follow-up period."),
        ] = None,
    ) -> list[Assessment] | None:
        key = (self.plan.id, str(self.id), self.year)
        records = await info.context.loaders.goals.assessments.load(key)
        return [Assessment.of(r) for r in records if period is None or r.period == period]

    @strawberry.field(
        description="The goal's activities in its year. The activities of every goal at one "
        "level are one call per plan and year."
    )
    async def activities(self, info: Info) -> list[Activity] | None:
        key = (self.plan.id, str(self.id), self.year)
        records = await info.context.loaders.goals.activities.load(key)
        return [Activity.of(record) for record in records]


def _flatten(nodes: list[GoalNodeRecord]) -> list[GoalNodeRecord]:
    found: list[GoalNodeRecord] = []
    for node in nodes:
        found.append(node)
        found.extend(_flatten(node.children))
    return found


@strawberry.type(description="A plan (e.g. Mål och budget 2025–2027) of an org unit.")
class Plan:
    id: strawberry.ID = strawberry.field(description="Stable id of the plan.")
    org_unit_id: strawberry.ID = strawberry.field(description="The org unit that owns the plan.")
    name: str = strawberry.field(description="The plan's name, e.g. `Mål och budget 2025–2027`.")
    start_year: int = strawberry.field(description="First year the plan covers.")
    end_year: int = strawberry.field(description="Last year the plan covers.")
    adopted_on: date | None = strawberry.field(description="When the plan was adopted.")
    description: str | None = strawberry.field(description="Longer text on the plan.")
    record: strawberry.Private[PlanRecord]

    @classmethod
    def of(cls, record: PlanRecord) -> Plan:
        return from_record(cls, record, record=record)

    @strawberry.field(description="The goal tree as it stands in `year`: the top goals.")
    async def goal_tree(self, info: Info, year: Year) -> list[Goal] | None:
        nodes = await info.context.loaders.goals.tree.load((self.record.id, year))
        return [Goal.of(node, self.record, year) for node in nodes]

    @strawberry.field(
        description="Every goal of `year` as a flat list in tree order, optionally of one level "
        "(e.g. the committee goals for a dashboard)."
    )
    async def goals(
        self,
        info: Info,
        year: Year,
        level: Annotated[str | None, strawberry.argument(description="A goal level key.")] = None,
    ) -> list[Goal] | None:
        nodes = _flatten(await info.context.loaders.goals.tree.load((self.record.id, year)))
        return [
            Goal.of(node, self.record, year)
            for node in nodes
            if level is None or node.level == level
        ]

    @strawberry.field(description="The follow-up of a year and period: roll-up and completion.")
    async def follow_up(
        self, info: Info, year: Year, period: PeriodKey, org_unit_id: ValuesOf = None
    ) -> FollowUpReport | None:
        key: FollowUpKey = (self.record.id, year, period, _unit(org_unit_id))
        return FollowUpReport.of(await info.context.loaders.goals.follow_up.load(key))


@strawberry.type
class GoalQueries:
    @strawberry.field(description="One plan by id.")
    async def plan(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The plan's id.")],
    ) -> Plan | None:
        return Plan.of(await info.context.loaders.goals.plan.load(str(id)))


# --- mutations ---------------------------------------------------------------------------------


@strawberry.input(description="One measure value; replaces the value of the same unit, period, "
                  "segment and gender.")  # fmt: skip
class MeasureValueInput:
    org_unit_id: strawberry.ID = strawberry.field(description="Whose value it is.")
    period: str = strawberry.field(
        description="`2024`, `2024-H1`, `2024-T2`, `2024-Q3`, `2024-08` or `2024-12-01`, "
        "matching the measure's periodicity."
    )
    value: float = strawberry.field(description="The value, in the measure's unit.")
    segment: str | None = strawberry.field(
        default=strawberry.UNSET, description="The series; required when the measure has several."
    )
    gender: Gender | None = strawberry.field(
        default=strawberry.UNSET, description="T (default), K or M."
    )
    numerator: float | None = strawberry.field(
        default=strawberry.UNSET, description="Numerator of a ratio."
    )
    denominator: float | None = strawberry.field(
        default=strawberry.UNSET, description="Denominator of a ratio."
    )
    state: str | None = strawberry.field(
        default=strawberry.UNSET, description="`preliminary` or `final` (default)."
    )
    comment: str | None = strawberry.field(
        default=strawberry.UNSET, description="Comment on the value."
    )
    source: str | None = strawberry.field(
        default=strawberry.UNSET, description="Where the value came from."
    )


@strawberry.input(description="A forecast or final assessment of a goal for a follow-up period.")
class AssessmentInput:
    year: int = strawberry.field(description="The plan year assessed.")
    period: str = strawberry.field(description="Key of a follow-up period, e.g. `helar`.")
    kind: str = strawberry.field(description="`forecast` or `final`.")
    answer: str = strawberry.field(description="`Ja`, `Delvis` or `Nej`.")
    answer_text: str | None = strawberry.field(
        default=strawberry.UNSET, description="The answer in words."
    )
    colour: str | None = strawberry.field(
        default=strawberry.UNSET, description="`green`, `yellow` or `red`."
    )
    comment: str | None = strawberry.field(
        default=strawberry.UNSET, description="Comment (analysis)."
    )
    causes: str | None = strawberry.field(
        default=strawberry.UNSET, description="Causes of the result."
    )
    consequences: str | None = strawberry.field(
        default=strawberry.UNSET, description="Consequences of the result."
    )
    actions_taken: str | None = strawberry.field(
        default=strawberry.UNSET, description="Actions already taken."
    )
    actions_planned: str | None = strawberry.field(
        default=strawberry.UNSET, description="Actions planned."
    )


@strawberry.input(description="Changes to an activity; fields left out stay as they are.")
class ActivityUpdateInput:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="New title.")
    responsible: str | None = strawberry.field(
        default=strawberry.UNSET, description="New responsible person or role."
    )
    start_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="New start date."
    )
    end_date: date | None = strawberry.field(default=strawberry.UNSET, description="New end date.")
    due_quarter: str | None = strawberry.field(default=strawberry.UNSET, description="`2025-Q4`.")
    status: str | None = strawberry.field(
        default=strawberry.UNSET, description="Key of a configured activity status."
    )
    progress: int | None = strawberry.field(default=strawberry.UNSET, description="Percent.")


VALUE_FIELDS = field_names(MeasureValueInput, path__measure_id="measureId")
ASSESSMENT_FIELDS = field_names(AssessmentInput, path__goal_id="goalId")
ACTIVITY_FIELDS = field_names(ActivityUpdateInput, path__activity_id="activityId")


@strawberry.type
class GoalMutations:
    @strawberry.mutation(
        description="Report a measure value (PUT /measures/{id}/values). Answers the value "
        "with its computed status and trend."
    )
    async def report_measure_value(
        self,
        info: Info,
        measure_id: Annotated[strawberry.ID, strawberry.argument(description="The measure.")],
        input: Annotated[MeasureValueInput, strawberry.argument(description="The value.")],
    ) -> MeasureValue | None:
        path = f"/api/v1/measures/{quote(str(measure_id), safe='')}/values"
        record = await write(
            info, "PUT", Service.GOALS, path, body_of(input), VALUE_FIELDS, ValueRecord
        )
        return MeasureValue.of(record)

    @strawberry.mutation(
        description="Assess a goal for a period; a new assessment supersedes the previous one "
        "of the same year, period and kind."
    )
    async def assess_goal(
        self,
        info: Info,
        goal_id: Annotated[strawberry.ID, strawberry.argument(description="The goal.")],
        input: Annotated[AssessmentInput, strawberry.argument(description="The assessment.")],
    ) -> Assessment | None:
        path = f"/api/v1/goals/{quote(str(goal_id), safe='')}/assessments"
        record = await write(
            info, "POST", Service.GOALS, path, body_of(input), ASSESSMENT_FIELDS, AssessmentRecord
        )
        return Assessment.of(record)

    @strawberry.mutation(description="Update an activity's status, progress, dates or title.")
    async def update_activity(
        self,
        info: Info,
        activity_id: Annotated[strawberry.ID, strawberry.argument(description="The activity.")],
        input: Annotated[ActivityUpdateInput, strawberry.argument(description="The changes.")],
    ) -> Activity | None:
        if not str(activity_id).isdigit():
            raise bad_user_input("not an activity id", "activityId")
        path = f"/api/v1/activities/{activity_id}"
        record = await write(
            info, "PATCH", Service.GOALS, path, body_of(input), ACTIVITY_FIELDS, ActivityRecord
        )
        return Activity.of(record)
