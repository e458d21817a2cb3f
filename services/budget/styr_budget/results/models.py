"""A unit's reported result and the deviations that explain it (result sign, surplus +)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from styr_budget.dimensions.models import code_fk
from styr_shared.types import UTCDateTime, utcnow


class ResultReport(SQLModel, table=True):
    __tablename__ = "result_report"
    __table_args__ = (UniqueConstraint("org_unit_id", "year", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    org_unit_id: str = Field(max_length=64)
    year: int
    month: int
    result: Decimal = Field(sa_type=Numeric(18, 2))
    comment: str | None = Field(default=None, max_length=4000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ResultExplanation(SQLModel, table=True):
    __tablename__ = "result_explanation"
    __table_args__ = (code_fk("result_explanation", "activity_code", "activity_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="result_report.id", index=True)
    municipality_id: str = Field(max_length=64, description="The unit's municipality.")
    position: int
    label: str = Field(max_length=200, description="The verksamhet as reported.")
    activity_code: str | None = Field(default=None, max_length=20)
    amount: Decimal = Field(sa_type=Numeric(18, 2))
    cause: str | None = Field(default=None, max_length=4000)
