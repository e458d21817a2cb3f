"""API contracts for measures, targets, values and period locks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, PlainSerializer, StringConstraints, field_validator, model_validator

from styr_goals.measures.periods import Periodicity
from styr_goals.measures.status import (
    Direction,
    Operator,
    Status,
    TargetBasis,
    TargetDirection,
    Trend,
    direction_of_words,
)
from styr_shared.schemas import ResponseModel, StrictModel


def _number(value: Decimal) -> int | float:
    # Values are stored as NUMERIC(18, 4); JSON shows 2 for 2.0000 and 89.77 for 89.7700.
    return int(value) if value == value.to_integral_value() else float(value)


Number = Annotated[Decimal, PlainSerializer(_number, return_type=int | float, when_used="json")]
InNumber = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]
Year = Annotated[int, Field(ge=1990, le=2100)]
Segment = Annotated[str, StringConstraints(min_length=1, max_length=60)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Aggregation = Annotated[str, StringConstraints(min_length=1, max_length=60)]  # its column's size


class UnitKind(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    AMOUNT = "amount"
    DAYS = "days"
    SCORE = "score"
    YES_NO = "yes_no"
    MILESTONE = "milestone"
    RATE = "rate"
    TEXT = "text"


class ManualStatus(StrEnum):
    """The status a person gives a qualitative value."""

    MET = "met"
    NOT_MET = "not_met"


class Gender(StrEnum):
    """Kolada's codes: T = total, K = women, M = men (``F`` is accepted for K)."""

    TOTAL = "T"
    WOMEN = "K"
    MEN = "M"


class ValueState(StrEnum):
    PRELIMINARY = "preliminary"
    FINAL = "final"


class BaselineIn(StrictModel):
    value: InNumber | None = None
    period: ShortText | None = Field(None, description='Label such as "2024" or "Delår 2024".')
    is_new: bool = Field(False, description='"Nytt värde": no baseline exists yet.')
    text: ShortText | None = Field(None, description="The baseline as printed.")

    @model_validator(mode="after")
    def _new_has_no_value(self) -> Self:
        if self.is_new and self.value is not None:
            raise ValueError("a new measure ('Nytt värde') has no baseline value")
        return self


class TargetIn(StrictModel):
    op: Operator | None = Field(
        None,
        description="Comparison the value must satisfy: =, >=, >, <=, <. Optional for a "
        "direction target (derived from the direction).",
    )
    value: InNumber | None = None
    direction: TargetDirection | None = Field(
        None,
        description='A target without a number ("Öka", "Minska", "Behålla"): judged against '
        "the previous value, else the baseline, of the same series. Inferred from a qualifier "
        "that says just that when neither a value nor a benchmark is given.",
    )
    qualifier: LongText | None = Field(
        None, description='Text qualifier, e.g. "Minst en aktivitet på varje enhet."'
    )
    benchmark: LongText | None = Field(
        None,
        description='Compare with a group instead of (or beside) a number, e.g. "minst i nivå '
        'med genomsnittet för alla kommuner".',
    )

    @model_validator(mode="after")
    def _has_something(self) -> Self:
        if self.direction is None and self.value is None and self.benchmark is None:
            self.direction = direction_of_words(self.qualifier)
        if self.direction is not None and self.value is not None:
            raise ValueError("a direction target has no value")
        if self.value is None and self.benchmark is None and self.direction is None:
            raise ValueError("a target needs a value, a benchmark or a direction")
        if self.op is None and self.direction is None:
            raise ValueError("op is required for a target with a value or a benchmark")
        return self


class SeriesIn(StrictModel):
    segment: Segment | None = Field(None, description="Null for a measure without segments.")
    code: Code | None = Field(None, description="Human code of the series, e.g. `M-05a`.")
    baseline: BaselineIn | None = None
    targets: dict[Year, TargetIn] = Field(
        default_factory=dict, description="Keyed by year; a year without target is left out."
    )
    gender_baselines: dict[Gender, BaselineIn] = Field(
        default_factory=dict,
        description="Baselines of the women (K) and men (M) of a gender-split measure; the "
        "series' `baseline` is the total's.",
    )

    @model_validator(mode="after")
    def _genders(self) -> Self:
        if Gender.TOTAL in self.gender_baselines:
            raise ValueError("the total's baseline is `baseline`; gender_baselines take K and M")
        return self


ShortUnit = Annotated[str, StringConstraints(min_length=1, max_length=100)]
LookBack = Annotated[int, Field(ge=0, le=10)]
KoladaId = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}\d{5,6}$")]


class MeasureCreate(StrictModel):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] | None = None
    code: Code = Field(description="Human code, unique per org unit, e.g. `M-01`.")
    org_unit_id: str = Field(max_length=64, description="Owner of the measure.")
    name: LongText
    display_name: ShortText | None = None
    description: LongText | None = None
    unit_kind: UnitKind
    decimals: int = Field(0, ge=0, le=4, description="Reporting precision; see status rule.")
    direction: Direction
    data_source: LongText | None = None
    kolada_kpi_id: KoladaId | None = Field(None, description="E.g. `U21468`.")
    kolada_kpi_name: LongText | None = None
    periodicity: Periodicity = Periodicity.YEAR
    point_in_time: Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{2}$")] | None = Field(
        None, description="For `point_in_time` measures: the day measured, `MM-DD` (12-01)."
    )
    aggregation: Aggregation | None = Field(None, description="E.g. `monthly_average`.")
    segments: list[Segment] = Field(default_factory=list, description="E.g. SÄBO, Hemtjänst.")
    gender_split: bool = Field(False, description="Values may be given for K and M beside T.")
    valid_from_year: Year | None = Field(
        None, description="First year of the definition (default: the first target year)."
    )
    definition_note: LongText | None = Field(
        None, description="How this definition relates to earlier series (a break to note)."
    )
    unit_label: ShortUnit | None = Field(
        None, description='What one unit is, e.g. "individer per år" for a `rate` measure.'
    )
    lookback_years: LookBack = Field(
        0,
        description="A follow-up shows the latest value of up to this many years back when the "
        "year has none (1 for a yearly Kolada KPI, which arrives a year late), marked with its "
        "own period.",
    )
    data_org_unit_id: str | None = Field(
        None,
        max_length=64,
        description="Whose values the measure follows (e.g. the municipality, where Kolada "
        "publishes them); a unit of the measure's municipality. Default: the unit followed up.",
    )
    goal_ids: list[str] = Field(default_factory=list, description="Goals the measure follows.")
    series: list[SeriesIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.point_in_time and self.periodicity is not Periodicity.POINT_IN_TIME:
            raise ValueError("point_in_time is only for point_in_time measures")
        if len(set(self.segments)) != len(self.segments):
            raise ValueError("segments must be unique")
        named = [series.segment for series in self.series]
        if len(set(named)) != len(named):
            raise ValueError("one series per segment")
        allowed: set[str | None] = set(self.segments) if self.segments else {None}
        if not set(named) <= allowed:
            raise ValueError("each series must name one of the measure's segments (or none)")
        if not self.gender_split and any(series.gender_baselines for series in self.series):
            raise ValueError("gender_baselines are for a measure with gender_split")
        return self


class MeasureUpdate(StrictModel):
    display_name: ShortText | None = None
    description: LongText | None = None
    decimals: int | None = Field(None, ge=0, le=4)
    data_source: LongText | None = None
    kolada_kpi_id: KoladaId | None = None
    kolada_kpi_name: LongText | None = None
    aggregation: Aggregation | None = None
    unit_label: ShortUnit | None = None
    lookback_years: LookBack | None = None
    data_org_unit_id: str | None = Field(None, max_length=64)
    goal_ids: list[str] | None = None


class DefinitionCreate(StrictModel):
    """A changed definition from a year on: values before and after are not compared."""

    valid_from_year: Year
    name: LongText
    description: LongText | None = None
    unit_kind: UnitKind | None = None
    change_note: LongText = Field(description="What changed, e.g. besök → ärenden.")


class TargetRead(ResponseModel):
    op: Operator
    value: Number | None
    qualifier: str | None
    benchmark: str | None
    direction: TargetDirection | None = Field(
        None, description="A direction-only target: increase, decrease or maintain."
    )


class BaselineRead(ResponseModel):
    value: Number | None
    period: str | None
    is_new: bool
    text: str | None


class SeriesRead(ResponseModel):
    segment: str | None
    code: str | None
    baseline: BaselineRead
    gender_baselines: dict[str, BaselineRead] = Field(
        default_factory=dict, description="Baselines of K and M, when stated."
    )
    targets: dict[int, TargetRead]


class DefinitionRead(ResponseModel):
    version: int
    valid_from_year: int
    name: str
    description: str | None
    unit_kind: str
    change_note: str | None
    created_at: datetime
    created_by: str


class MeasureRead(ResponseModel):
    id: str
    code: str
    org_unit_id: str
    name: str
    display_name: str | None
    description: str | None
    unit_kind: UnitKind
    decimals: int
    direction: Direction
    data_source: str | None
    kolada_kpi_id: str | None
    kolada_kpi_name: str | None
    periodicity: Periodicity
    point_in_time: str | None
    aggregation: str | None
    segments: list[str]
    gender_split: bool
    unit_label: str | None = None
    lookback_years: int = 0
    data_org_unit_id: str | None = None
    goal_ids: list[str]
    series: list[SeriesRead]
    definitions: list[DefinitionRead] = Field(description="Oldest first; >1 = series break.")
    created_at: datetime
    updated_at: datetime


class ValueWrite(StrictModel):
    org_unit_id: str = Field(max_length=64)
    period: Annotated[str, StringConstraints(min_length=4, max_length=10)] = Field(
        description="`2024`, `2024-H1`, `2024-T2`, `2024-Q3`, `2024-08` or `2024-12-01`, "
        "matching the measure's periodicity."
    )
    segment: Segment | None = None
    gender: Gender = Gender.TOTAL
    value: InNumber | None = Field(
        None, description="The number; required except for a `text` measure."
    )
    text: LongText | None = Field(
        None, description='A qualitative value ("Genomfört"), for a `text` measure.'
    )
    manual_status: ManualStatus | None = Field(
        None, description="The status a person gives a qualitative value."
    )
    numerator: InNumber | None = None
    denominator: InNumber | None = None
    state: ValueState = ValueState.FINAL
    comment: LongText | None = None
    source: ShortText | None = Field(None, description="What delivered the value (Kolada, …).")

    @field_validator("gender", mode="before")
    @classmethod
    def _kolada_f(cls, value: Any) -> Any:
        return "K" if value == "F" else value

    @model_validator(mode="after")
    def _fraction(self) -> Self:
        if self.value is None and self.text is None:
            raise ValueError("give a value (or, for a text measure, a text)")
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError("give both numerator and denominator, or neither")
        if self.denominator is not None and self.denominator == 0:
            raise ValueError("denominator must not be 0")
        return self


class ValueRead(ResponseModel):
    id: int
    measure_id: str
    org_unit_id: str
    period: str
    year: int
    period_end: date
    segment: str | None
    gender: Gender
    value: Number | None = Field(description="Null for a qualitative value.")
    text: str | None = None
    manual_status: ManualStatus | None = None
    numerator: Number | None
    denominator: Number | None
    state: ValueState
    comment: str | None
    source: str | None
    definition_version: int
    recorded_by: str
    recorded_at: datetime
    updated_at: datetime
    target: TargetRead | None = Field(description="The target of the value's year and segment.")
    target_basis: TargetBasis | None = Field(
        None,
        description="What the status was judged against: the `stated` target, an `interim` "
        "target on the trajectory to a later year's target, or a `direction` target's "
        "reference; null without a target (or for a qualitative value).",
    )
    interim_target: Number | None = Field(
        None, description="The interim target of the year (only with `target_basis: interim`)."
    )
    interim_op: str | None = Field(
        None,
        description="The interim target's operator (the later target's, e.g. `>=`; only with "
        "`target_basis: interim`).",
    )
    reference: Number | None = Field(
        None, description="A direction target's reference: the previous value, else the baseline."
    )
    reference_period: str | None = Field(
        None, description="Period of the reference (a value's period, or the baseline's label)."
    )
    status: Status = Field(description="met / not_met / no_target (see the rounding rule).")
    trend: Trend | None = Field(description="Against the previous period of the same series.")
    series_break: bool = Field(
        description="The previous value was measured under another definition version."
    )


class MeasureValues(ResponseModel):
    """The values of one measure (``GET /measure-values``)."""

    measure_id: str
    values: list[ValueRead] = Field(
        description="As `GET /measures/{id}/values` answers them (per year asked for)."
    )


class ValueAuditRead(ResponseModel):
    id: int
    value_id: int
    measure_id: str
    closed_period: bool
    changed_by: str
    changed_at: datetime
    old: dict[str, Any] | None
    new: dict[str, Any]


class LockWrite(StrictModel):
    closed_through: date = Field(description="Periods ending on or before this are closed.")


class LockRead(ResponseModel):
    org_unit_id: str
    closed_through: date
    closed_by: str
    closed_at: datetime
