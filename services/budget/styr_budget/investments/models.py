"""Investment objects with yearly budget, outcome, forecast and carried-over money.

Investment amounts are positive outflows (as the investment tables print them), unlike the
operating budget's result convention.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from styr_shared.types import UTCDateTime, utcnow


class InvestmentObject(SQLModel, table=True):
    __tablename__ = "investment_object"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=300)
    category: str = Field(max_length=200)
    org_unit_id: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InvestmentYear(SQLModel, table=True):
    __tablename__ = "investment_year"
    __table_args__ = (UniqueConstraint("object_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    object_id: str = Field(foreign_key="investment_object.id", max_length=40, index=True)
    year: int
    budget: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    carried_in: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    outcome: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    forecast: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))


class InvestmentCarryOver(SQLModel, table=True):
    """Unspent money moved to the next year (*ombudgetering*)."""

    __tablename__ = "investment_carry_over"
    __table_args__ = (UniqueConstraint("object_id", "from_year"),)

    id: int | None = Field(default=None, primary_key=True)
    object_id: str = Field(foreign_key="investment_object.id", max_length=40)
    from_year: int
    to_year: int
    amount: Decimal = Field(sa_type=Numeric(18, 2))
    reason: str = Field(max_length=2000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
