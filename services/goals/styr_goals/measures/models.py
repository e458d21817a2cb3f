"""Measures, their definition versions, series (baseline per segment), targets, goal links,
values with their audit trail, and the locks that close value periods."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, Numeric, UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from styr_shared.types import JSONDocument, UTCDateTime, utcnow

NUMBER = Numeric(18, 4)


class Measure(SQLModel, table=True):
    __tablename__ = "measure"
    __table_args__ = (UniqueConstraint("org_unit_id", "code", name="uq_measure_unit_code"),)

    id: str = Field(primary_key=True, max_length=64)
    org_unit_id: str = Field(foreign_key="org_unit.id", max_length=64, index=True)
    code: str = Field(max_length=40)
    name: str = Field(sa_column=Column(Text, nullable=False))
    display_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, sa_column=Column(Text))
    unit_kind: str = Field(max_length=20)
    decimals: int = 0
    direction: str = Field(max_length=20)
    data_source: str | None = Field(default=None, sa_column=Column(Text))
    kolada_kpi_id: str | None = Field(default=None, max_length=20, index=True)
    kolada_kpi_name: str | None = Field(default=None, sa_column=Column(Text))
    periodicity: str = Field(max_length=20)
    point_in_time: str | None = Field(default=None, max_length=5)
    aggregation: str | None = Field(default=None, max_length=60)
    segments: list[str] = Field(
        default_factory=list, sa_column=Column(JSONDocument, nullable=False)
    )
    gender_split: bool = False
    # What one unit of the value is, for rate measures ("individer per år").
    unit_label: str | None = Field(default=None, max_length=100)
    # A follow-up shows the latest value of up to this many years back when the year has none
    # (Kolada and national statistics arrive a year late).
    lookback_years: int = 0
    # Whose values the measure follows: a committee's measure of a Kolada KPI reads the values
    # published for the municipality (null: the unit followed up).
    data_org_unit_id: str | None = Field(default=None, foreign_key="org_unit.id", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeasureDefinition(SQLModel, table=True):
    """What the measure counted from a year on; a new version marks a series break."""

    __tablename__ = "measure_definition"
    __table_args__ = (UniqueConstraint("measure_id", "version", name="uq_measure_def_version"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: str = Field(foreign_key="measure.id", max_length=64, index=True)
    version: int
    valid_from_year: int
    name: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    unit_kind: str = Field(max_length=20)
    change_note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)


class MeasureSeries(SQLModel, table=True):
    """One segment of a measure ('' = the whole) with its baseline (ingångsvärde)."""

    __tablename__ = "measure_series"
    __table_args__ = (UniqueConstraint("measure_id", "segment", name="uq_measure_series"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: str = Field(foreign_key="measure.id", max_length=64, index=True)
    segment: str = Field(default="", max_length=60)
    code: str | None = Field(default=None, max_length=40)
    baseline_value: Decimal | None = Field(default=None, sa_type=NUMBER)
    baseline_period: str | None = Field(default=None, max_length=40)
    baseline_is_new: bool = False
    baseline_text: str | None = Field(default=None, max_length=200)


class MeasureTarget(SQLModel, table=True):
    __tablename__ = "measure_target"
    __table_args__ = (UniqueConstraint("measure_id", "segment", "year", name="uq_measure_target"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: str = Field(foreign_key="measure.id", max_length=64, index=True)
    segment: str = Field(default="", max_length=60)
    year: int
    operator: str = Field(max_length=2)
    value: Decimal | None = Field(default=None, sa_type=NUMBER)
    qualifier: str | None = Field(default=None, sa_column=Column(Text))
    benchmark: str | None = Field(default=None, sa_column=Column(Text))
    # A direction-only target ("Öka", "Minska", "Behålla"): no value, judged against the
    # previous value or the baseline of the same series (see ``status``).
    direction: str | None = Field(default=None, max_length=20)


class MeasureBaseline(SQLModel, table=True):
    """A baseline of one gender of a series (the series' own is the total's)."""

    __tablename__ = "measure_baseline"
    __table_args__ = (
        UniqueConstraint("measure_id", "segment", "gender", name="uq_measure_baseline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: str = Field(foreign_key="measure.id", max_length=64, index=True)
    segment: str = Field(default="", max_length=60)
    gender: str = Field(max_length=1)
    value: Decimal | None = Field(default=None, sa_type=NUMBER)
    period: str | None = Field(default=None, max_length=40)
    is_new: bool = False
    text: str | None = Field(default=None, max_length=200)


class GoalMeasure(SQLModel, table=True):
    __tablename__ = "goal_measure"

    goal_id: str = Field(foreign_key="goal.id", primary_key=True, max_length=64)
    measure_id: str = Field(foreign_key="measure.id", primary_key=True, max_length=64)
    position: int = 0


class MeasureValue(SQLModel, table=True):
    """An outcome (utfall). The natural key is unique: one value per measure × unit × period
    × segment × gender; writes are upserts (see ``service.write_value``)."""

    __tablename__ = "measure_value"
    __table_args__ = (
        UniqueConstraint(
            "measure_id", "org_unit_id", "period", "segment", "gender", name="uq_measure_value"
        ),
        # The latest values of a series (``latest.latest_pairs``; migration 0010).
        Index(
            "ix_measure_value_series_end",
            "measure_id",
            "org_unit_id",
            "gender",
            "segment",
            "period_end",
            "id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique key's index starts with measure_id.
    measure_id: str = Field(foreign_key="measure.id", max_length=64)
    org_unit_id: str = Field(foreign_key="org_unit.id", max_length=64, index=True)
    period: str = Field(max_length=10)
    # Not indexed: every query filters on the measure first (the unique key's index).
    period_end: date
    year: int
    segment: str = Field(default="", max_length=60)
    gender: str = Field(default="T", max_length=1)
    # Null for a qualitative value (``text`` with a ``manual_status``).
    value: Decimal | None = Field(default=None, sa_type=NUMBER)
    text: str | None = Field(default=None, sa_column=Column(Text))
    manual_status: str | None = Field(default=None, max_length=20)
    numerator: Decimal | None = Field(default=None, sa_type=NUMBER)
    denominator: Decimal | None = Field(default=None, sa_type=NUMBER)
    state: str = Field(default="final", max_length=20)
    comment: str | None = Field(default=None, sa_column=Column(Text))
    source: str | None = Field(default=None, max_length=200)
    # The bulk import run that last wrote the value (null when written one by one). No
    # foreign key: runs are never deleted, and a key would be checked for every imported row
    # (migration 0004 says more).
    import_run_id: int | None = None
    definition_version: int = 1
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeasureValueAudit(SQLModel, table=True):
    """Who changed a value, when, from what to what (every overwrite and every write to a
    closed period)."""

    __tablename__ = "measure_value_audit"

    id: int | None = Field(default=None, primary_key=True)
    value_id: int = Field(foreign_key="measure_value.id", index=True)
    measure_id: str = Field(max_length=64, index=True)
    closed_period: bool
    changed_by: str = Field(max_length=200)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    old: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    new: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))


class ValuePeriodLock(SQLModel, table=True):
    """Periods ending on or before ``closed_through`` are closed for the unit and below."""

    __tablename__ = "value_period_lock"

    org_unit_id: str = Field(primary_key=True, foreign_key="org_unit.id", max_length=64)
    closed_through: date
    closed_by: str = Field(max_length=200)
    closed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
