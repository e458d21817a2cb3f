"""API contracts for the steering configuration, plans and goals."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from styr_shared.schemas import ResponseModel, StrictModel

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Year = Annotated[int, Field(ge=1990, le=2100)]


class Computed(BaseModel):
    """A response body (or part of one) the service computes, built by the thousand for a
    large plan: extra fields are forbidden as in ``StrictModel`` (so the OpenAPI schema is
    the same), without ``StrictModel``'s per-field checks of client input, which cost a
    Python call per field and are for what clients send."""

    model_config = ConfigDict(extra="forbid")


class PeriodKind(StrEnum):
    INTERIM = "interim"
    ANNUAL = "annual"


class GoalLevelConfig(StrictModel):
    key: Key
    label: Label
    rank: int = Field(ge=0, le=20, description="0 is the top (goal area); larger is deeper.")
    rollup: bool = Field(
        False,
        description="Goals of this level are the ones counted in the roll-up "
        "(the committee goals, e.g. nämndmål).",
    )


class FollowUpPeriodConfig(StrictModel):
    key: Key = Field(description="Used in URLs: `?period=helar`.")
    label: Label = Field(description='Shown with the year: "Delår" → "Delår 2024".')
    kind: PeriodKind
    end_month: int = Field(ge=1, le=12, description="Values up to this month-end count.")
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=10)]] = Field(
        default_factory=list,
        description="Follow-up tags of KF goals reported in this period (e.g. `D/B` at the "
        "interim report, `D/B` and `B` at year end). Empty: every goal.",
    )


class ResultLevelConfig(StrictModel):
    min_percent: int = Field(ge=0, le=100, description="Lowest rounded percent of this level.")
    label: Label


class ActivityStatusConfig(StrictModel):
    key: Key
    label: Label
    done: bool = Field(False, description="Counts as completed.")


def _unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must be unique")


class SteeringConfigDocument(StrictModel):
    """How one municipality steers: its goal levels, follow-up periods, result scale and
    activity statuses. Everything that differs between municipalities is here, not in code."""

    goal_levels: list[GoalLevelConfig] = Field(min_length=1)
    follow_up_tags: list[Annotated[str, StringConstraints(min_length=1, max_length=10)]] = Field(
        default_factory=lambda: ["D/B", "B"],
        description="Tags a KF goal may carry: `D/B` = interim and annual report, `B` = annual.",
    )
    follow_up_periods: list[FollowUpPeriodConfig] = Field(min_length=1)
    result_levels: list[ResultLevelConfig] = Field(
        min_length=1,
        description="Threshold scale: a share maps to the level with the highest "
        "`min_percent` not above it. One level must start at 0.",
    )
    activity_statuses: list[ActivityStatusConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _unique([level.key for level in self.goal_levels], "goal level keys")
        _unique([str(level.rank) for level in self.goal_levels], "goal level ranks")
        _unique([period.key for period in self.follow_up_periods], "follow-up period keys")
        _unique([str(level.min_percent) for level in self.result_levels], "result thresholds")
        _unique([status.key for status in self.activity_statuses], "activity status keys")
        if not any(level.min_percent == 0 for level in self.result_levels):
            raise ValueError("one result level must start at 0 %")
        for period in self.follow_up_periods:
            if not set(period.tags) <= set(self.follow_up_tags):
                raise ValueError(f"period {period.key!r} names an unknown follow-up tag")
        return self

    def level(self, key: str) -> GoalLevelConfig | None:
        return next((level for level in self.goal_levels if level.key == key), None)

    def period(self, key: str) -> FollowUpPeriodConfig | None:
        return next((period for period in self.follow_up_periods if period.key == key), None)

    def status(self, key: str) -> ActivityStatusConfig | None:
        return next((status for status in self.activity_statuses if status.key == key), None)

    def result_level(self, percent: int) -> str:
        eligible = [level for level in self.result_levels if level.min_percent <= percent]
        return max(eligible, key=lambda level: level.min_percent).label


class SteeringConfigRead(ResponseModel):
    municipality_id: str
    document: SteeringConfigDocument
    updated_at: datetime
    updated_by: str


class PlanCreate(StrictModel):
    id: Slug | None = Field(None, description="Stable id (slug). Generated when omitted.")
    org_unit_id: str = Field(max_length=64, description="Owner, usually a committee.")
    name: Label
    start_year: Year
    end_year: Year
    adopted_on: date | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _years(self) -> Self:
        if self.end_year < self.start_year:
            raise ValueError("end_year must not be before start_year")
        if self.end_year - self.start_year > 10:
            raise ValueError("a plan spans at most 11 years")
        return self


class PlanUpdate(StrictModel):
    name: Label | None = None
    adopted_on: date | None = None
    description: Text | None = None


class PlanRead(ResponseModel):
    id: str
    org_unit_id: str
    name: str
    start_year: int
    end_year: int
    adopted_on: date | None
    description: str | None
    created_at: datetime
    updated_at: datetime


class _GoalContent(StrictModel):
    parent_id: str | None = Field(None, max_length=64)
    title: Text
    headline: Text | None = None
    description: Text | None = None
    follow_up_tag: str | None = Field(
        None, max_length=10, description="KF goals: `D/B` (interim + annual) or `B` (annual)."
    )
    addressed_to: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list,
        description="Org unit ids of the committees the goal is addressed to; empty = all.",
    )
    position: int = Field(0, ge=0, le=10000, description="Order among siblings.")


class GoalCreate(_GoalContent):
    id: Slug | None = Field(None, description="Stable id. Generated when omitted.")
    code: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="Human code, unique in the plan, e.g. `NM-01`."
    )
    level: Key = Field(description="Key of a configured goal level.")
    valid_from_year: Year | None = Field(None, description="Default: the plan's first year.")


class GoalRevision(StrictModel):
    """New content from ``from_year``; omitted fields keep their value. Earlier years keep
    the old version."""

    from_year: Year
    parent_id: str | None = Field(None, max_length=64)
    title: Text | None = None
    headline: Text | None = None
    description: Text | None = None
    follow_up_tag: str | None = Field(None, max_length=10)
    addressed_to: list[Annotated[str, StringConstraints(max_length=64)]] | None = None
    position: int | None = Field(None, ge=0, le=10000)


class GoalRetire(StrictModel):
    from_year: Year = Field(description="First year the goal is no longer in the tree.")


class GoalVersionRead(ResponseModel):
    valid_from_year: int
    valid_to_year: int | None
    parent_id: str | None
    title: str
    headline: str | None
    description: str | None
    follow_up_tag: str | None
    addressed_to: list[str]
    position: int
    created_at: datetime
    created_by: str


class GoalRead(ResponseModel):
    id: str
    plan_id: str
    level: str
    code: str
    versions: list[GoalVersionRead] = Field(description="Every version, oldest first.")


class GoalNode(Computed):
    """A goal as it stands in one year, with its children."""

    id: str
    code: str
    level: str
    level_label: str
    parent_id: str | None
    title: str
    headline: str | None
    description: str | None
    follow_up_tag: str | None
    addressed_to: list[str]
    valid_from_year: int
    valid_to_year: int | None
    children: list[GoalNode] = Field(default_factory=list)
