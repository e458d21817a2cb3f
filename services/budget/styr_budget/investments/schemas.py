"""API contracts for investments (amounts are positive outflows, kronor)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints

from styr_budget.amounts import MoneyUnit, amount_validator
from styr_shared.schemas import ResponseModel, StrictModel

Amount = Annotated[
    Decimal,
    BeforeValidator(amount_validator),
    Field(description="Kronor in `unit` (positive outflow), number or Swedish text."),
]
UnitField = Field(
    MoneyUnit.KR,
    description="Unit of amounts given as plain numbers (list items default to the body's unit).",
)


class ObjectWrite(StrictModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    category: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    org_unit_id: str = Field(max_length=64)


class YearWrite(StrictModel):
    unit: MoneyUnit = UnitField
    budget: Amount | None = None
    outcome: Amount | None = None
    forecast: Amount | None = None


class CarryOverCreate(StrictModel):
    unit: MoneyUnit = UnitField
    from_year: int = Field(ge=2000, le=2100)
    amount: Amount | None = Field(
        None, description="Default: all unspent money (budget + carried in − outcome)."
    )
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class YearRead(ResponseModel):
    year: int
    budget: Decimal | None
    carried_in: Decimal
    outcome: Decimal | None
    forecast: Decimal | None


class ObjectRead(ResponseModel):
    id: str
    name: str
    category: str
    org_unit_id: str
    years: list[YearRead]


class CarryOverRead(ResponseModel):
    object_id: str
    from_year: int
    to_year: int
    amount: Decimal
    reason: str
    created_by: str
    created_at: datetime


class InvestmentTotals(StrictModel):
    org_unit_id: str
    year: int
    unit: MoneyUnit
    objects: int
    budget: Decimal
    carried_in: Decimal
    available: Decimal = Field(description="budget + carried in.")
    outcome: Decimal | None
    forecast: Decimal | None
