"""Forecasts per follow-up month and measures for a budget in balance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Numeric
from sqlmodel import Field, SQLModel

from styr_budget.dimensions.models import code_fk
from styr_shared.types import UTCDateTime, utcnow


class Forecast(SQLModel, table=True):
    """The year-end forecast (*årsprognos*) made at a follow-up month.

    ``account_group_key`` set: a forecast of one budget line; null: of the whole activity at
    that unit. One unit × activity × month uses one of the two, never both.
    """

    __tablename__ = "forecast"
    __table_args__ = (
        Index("ix_forecast_year_month_unit", "year", "month", "org_unit_id"),
        code_fk("forecast", "activity_code", "activity_code", "code"),
        code_fk("forecast", "account_group_key", "account_group", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(max_length=64, description="The unit's municipality.")
    year: int
    month: int
    org_unit_id: str = Field(max_length=64)
    activity_code: str = Field(max_length=20)
    account_group_key: str | None = Field(default=None, max_length=40)
    amount: Decimal = Field(sa_type=Numeric(18, 2))
    comment: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BalanceMeasure(SQLModel, table=True):
    """*Åtgärd för budget i balans*: what the committee does about a forecast deficit: of
    the whole committee, of an activity (``activity_code``) or of a unit (``org_unit_id``)."""

    __tablename__ = "balance_measure"
    __table_args__ = (
        Index("ix_balance_measure_key", "committee_id", "year", "month"),
        code_fk("balance_measure", "activity_code", "activity_code", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(max_length=64, description="The committee's municipality.")
    committee_id: str = Field(max_length=64)
    year: int
    month: int
    activity_code: str | None = Field(default=None, max_length=20)
    org_unit_id: str | None = Field(default=None, max_length=64)
    description: str = Field(max_length=2000)
    amount: Decimal = Field(sa_type=Numeric(18, 2))
    responsible: str = Field(max_length=200)
    status: str = Field(max_length=20)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
