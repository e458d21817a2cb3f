"""API contracts for forecasts, measures for a budget in balance and deficits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from styr_budget.amounts import MoneyUnit, amount_validator, inherit_unit
from styr_shared.schemas import ResponseModel, StrictModel

Amount = Annotated[
    Decimal,
    BeforeValidator(amount_validator),
    Field(description="Kronor in `unit`, a number or Swedish text (`-2 281 tkr`)."),
]
UnitField = Field(
    MoneyUnit.KR,
    description="Unit of amounts given as plain numbers (list items default to the body's unit).",
)


class ForecastLineWrite(StrictModel):
    unit: MoneyUnit = UnitField
    org_unit_id: str = Field(max_length=64)
    activity_code: str = Field(max_length=20)
    account_group: str | None = Field(
        None, max_length=40, description="A budget line's group; omit to forecast the activity."
    )
    amount: Amount = Field(description="Year-end forecast, result sign (net cost negative).")
    comment: str | None = Field(None, max_length=2000)


class ForecastWrite(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit": "tkr",
                    "lines": [
                        {
                            "org_unit_id": "oxelosund-ao",
                            "activity_code": "55",
                            "account_group": "personalkostnader",
                            "amount": "-114 900",
                            "comment": "Sjukfrånvaro och inhyrd personal under sommaren.",
                        },
                        {"org_unit_id": "oxelosund-lss", "activity_code": "56", "amount": -38.5},
                    ],
                }
            ]
        }
    )

    unit: MoneyUnit = UnitField
    lines: list[ForecastLineWrite] = Field(min_length=1, max_length=20000)

    @model_validator(mode="before")
    @classmethod
    def _inherit_unit(cls, data: Any) -> Any:
        return inherit_unit(data, "lines")


class ForecastRead(ResponseModel):
    year: int
    month: int
    org_unit_id: str
    activity_code: str
    account_group_key: str | None
    amount: Decimal
    comment: str | None
    created_by: str
    created_at: datetime


class MeasureStatus(StrEnum):
    PLANNED = "planned"
    DECIDED = "decided"
    ONGOING = "ongoing"
    DONE = "done"
    CANCELLED = "cancelled"


class MeasureCreate(StrictModel):
    unit: MoneyUnit = UnitField
    committee_id: str = Field(max_length=64)
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12, description="Follow-up month of the deficit it answers.")
    activity_code: str | None = Field(
        None, max_length=20, description="The activity in deficit; omit for the committee."
    )
    org_unit_id: str | None = Field(
        None,
        max_length=64,
        description="The org unit in deficit (a unit below the committee); omit for the "
        "committee or an activity.",
    )
    description: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    amount: Amount = Field(description="Expected effect in kronor (positive improves).")
    responsible: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    status: MeasureStatus = MeasureStatus.PLANNED


class MeasureUpdate(StrictModel):
    status: MeasureStatus


class MeasureRead(ResponseModel):
    id: int
    committee_id: str
    year: int
    month: int
    activity_code: str | None
    org_unit_id: str | None
    description: str
    amount: Decimal
    responsible: str
    status: MeasureStatus
    created_by: str
    created_at: datetime


class DeficitLevel(StrEnum):
    COMMITTEE = "committee"
    ACTIVITY = "activity"
    ORG_UNIT = "org_unit"


class Deficit(StrictModel):
    committee_id: str
    year: int
    month: int
    level: DeficitLevel = Field(
        description="`committee` (the whole), `activity` (an activity code across the "
        "committee) or `org_unit` (a unit below the committee with everything under it)."
    )
    activity_code: str | None = Field(description="The activity (level `activity`).")
    activity_name: str | None
    org_unit_id: str | None = Field(description="The org unit (level `org_unit`).")
    org_unit_name: str | None
    forecast_deviation: Decimal = Field(description="forecast − budget (negative), kronor.")
    measures: int = Field(description="Recorded measures that are not cancelled.")
    measures_amount: Decimal
    has_measures: bool
