"""The internal control plan (intern kontroll, kommunallagen 6 kap. 6 §).

Every committee adopts a plan per year: the processes and routines it looks at, their risks
assessed as probability × consequence (each 1–4, so a risk value of 1–16), the controls
chosen for the risks at or above the plan's threshold (method, frequency, responsible, when),
and the result of each control (no remark or remark, with actions), which the committee's
summary reports together with the distribution of risk values and the financial controls.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from styr_shared.types import UTCDateTime, utcnow


class InternalControlPlan(SQLModel, table=True):
    __tablename__ = "ic_plan"
    __table_args__ = (UniqueConstraint("org_unit_id", "year", name="uq_ic_plan_unit_year"),)

    id: str = Field(primary_key=True, max_length=64)
    org_unit_id: str = Field(foreign_key="org_unit.id", max_length=64, index=True)
    year: int
    name: str = Field(sa_column=Column(Text, nullable=False))
    # Risks with a value at or above this get controls (e.g. 9 on a 4 × 4 matrix).
    risk_threshold: int = 9
    adopted_on: date | None = None
    decision: str | None = Field(default=None, max_length=200)  # e.g. "VON 2024-12-17 § 112"
    summary: str | None = Field(default=None, sa_column=Column(Text))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InternalControlProcess(SQLModel, table=True):
    """A process or routine the plan looks at (e.g. "Läkemedelshantering")."""

    __tablename__ = "ic_process"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="ic_plan.id", max_length=64, index=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_column=Column(Text))
    position: int = 0


class InternalControlRisk(SQLModel, table=True):
    __tablename__ = "ic_risk"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="ic_plan.id", max_length=64, index=True)
    process_id: int = Field(foreign_key="ic_process.id", index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    probability: int  # 1–4
    consequence: int  # 1–4
    financial: bool = False
    assessed_by: str = Field(max_length=200)
    assessed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InternalControlControl(SQLModel, table=True):
    """A control chosen for a risk: how, how often, by whom, when."""

    __tablename__ = "ic_control"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="ic_plan.id", max_length=64, index=True)
    risk_id: int = Field(foreign_key="ic_risk.id", index=True)
    method: str = Field(sa_column=Column(Text, nullable=False))
    frequency: str = Field(max_length=100)
    responsible: str = Field(max_length=200)
    timing: str = Field(max_length=100)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InternalControlResult(SQLModel, table=True):
    """The result of a control as reported; the latest of a control is its result."""

    __tablename__ = "ic_result"

    id: int | None = Field(default=None, primary_key=True)
    control_id: int = Field(foreign_key="ic_control.id", index=True)
    outcome: str = Field(max_length=20)  # no_remark | remark
    comment: str | None = Field(default=None, sa_column=Column(Text))
    actions: str | None = Field(default=None, sa_column=Column(Text))
    action_responsible: str | None = Field(default=None, max_length=200)
    action_due: date | None = None
    reported_by: str = Field(max_length=200)
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
