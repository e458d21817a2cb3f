"""Frames and versioned budget entries.

A budget is a chain of versions per committee and year. Version 1 (``original``) holds the
lines as adopted; later versions hold *changes* to lines: a ``reallocation`` moves money
within the frame (its changes add up to zero), a ``revision`` changes the frame too (a
revised budget, *tilläggsanslag*). The original budget is version 1; the revised budget is
the sum over every adopted version. Amounts follow :mod:`styr_budget.amounts`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from styr_budget.dimensions.models import code_fk
from styr_shared.types import UTCDateTime, utcnow


class BudgetFrame(SQLModel, table=True):
    __tablename__ = "budget_frame"
    __table_args__ = (
        UniqueConstraint("committee_id", "year"),
        code_fk("budget_frame", "year", "fiscal_year", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(max_length=64, description="The committee's municipality.")
    committee_id: str = Field(max_length=64)
    year: int
    net_amount: Decimal = Field(sa_type=Numeric(18, 2))
    original_net_amount: Decimal = Field(sa_type=Numeric(18, 2))
    note: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BudgetVersion(SQLModel, table=True):
    __tablename__ = "budget_version"
    __table_args__ = (UniqueConstraint("committee_id", "year", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: str = Field(max_length=64)
    year: int
    number: int
    kind: str = Field(max_length=20)
    label: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    status: str = Field(default="draft", max_length=20)
    frame_net_amount: Decimal = Field(sa_type=Numeric(18, 2))
    from_month: int = Field(
        default=1, description="Changes without months of their own are spread from this month."
    )
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    adopted_by: str | None = Field(default=None, max_length=200)
    adopted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BudgetEntry(SQLModel, table=True):
    """One line of a version: a line of the original budget, or a change to a line.

    ``m01``…``m12`` are its resolved months (they add up to ``amount``); what they were
    resolved from: the first ``fixed_months`` of them as entered, or a year-to-date figure
    (``ytd_amount`` through month ``ytd_through``), the rest by the key ``periodisation``
    (none: the account group's default key, else linear). See
    :mod:`styr_budget.budgets.periodisation`.
    """

    __tablename__ = "budget_entry"
    __table_args__ = (
        Index("ix_budget_entry_year_unit", "year", "org_unit_id"),
        UniqueConstraint("version_id", "org_unit_id", "activity_code", "account_group_key"),
        code_fk("budget_entry", "activity_code", "activity_code", "code"),
        code_fk("budget_entry", "account_group_key", "account_group", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="budget_version.id", index=True)
    municipality_id: str = Field(
        max_length=64, description="The committee's municipality, whose codes the line uses."
    )
    year: int
    org_unit_id: str = Field(max_length=64)
    activity_code: str = Field(max_length=20)
    account_group_key: str = Field(max_length=40)
    amount: Decimal = Field(sa_type=Numeric(18, 2))
    periodisation: str | None = Field(default=None, max_length=40)
    fixed_months: int = 0
    ytd_through: int | None = None
    ytd_amount: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    m01: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m02: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m03: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m04: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m05: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m06: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m07: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m08: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m09: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m10: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m11: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m12: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
