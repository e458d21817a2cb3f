"""API contracts for reported results and their explanations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from styr_budget.amounts import MoneyUnit, amount_validator, inherit_unit
from styr_shared.schemas import StrictModel

Amount = Annotated[
    Decimal,
    BeforeValidator(amount_validator),
    Field(description="Kronor in `unit` (surplus positive), number or Swedish text."),
]
UnitField = Field(
    MoneyUnit.KR,
    description="Unit of amounts given as plain numbers (list items default to the body's unit).",
)


class ExplanationWrite(StrictModel):
    unit: MoneyUnit = UnitField
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The verksamhet as reported, e.g. `Äldreomsorg, särskilt boende`."
    )
    activity_code: str | None = Field(None, max_length=20)
    amount: Amount
    cause: str | None = Field(None, max_length=4000)


class ReportWrite(StrictModel):
    unit: MoneyUnit = UnitField
    result: Amount = Field(description="The unit's result against its allocation.")
    comment: str | None = Field(None, max_length=4000)
    explanations: list[ExplanationWrite] = Field(default_factory=list, max_length=500)

    @model_validator(mode="before")
    @classmethod
    def _inherit_unit(cls, data: Any) -> Any:
        return inherit_unit(data, "explanations")


class ExplanationRead(StrictModel):
    label: str
    activity_code: str | None
    amount: Decimal
    cause: str | None


class ReportRead(StrictModel):
    org_unit_id: str
    org_unit_name: str | None
    year: int
    month: int
    result: Decimal
    comment: str | None
    explanations: list[ExplanationRead]
    explained: Decimal = Field(description="Sum of the explanations.")
    unexplained: Decimal = Field(
        description="result − explained: what the listed (larger) deviations leave out."
    )
    created_by: str
    created_at: datetime


class ReportList(StrictModel):
    org_unit_id: str
    year: int
    month: int
    unit: MoneyUnit
    reports: list[ReportRead]
    reported_total: Decimal = Field(description="Sum of the reported results.")
    ledger_result: Decimal | None = Field(
        description="The subtree's result against its allocation from the ledger outcome "
        "(the summary's `result_deviation`), to reconcile with the reported results."
    )
