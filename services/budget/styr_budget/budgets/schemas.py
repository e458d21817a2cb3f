"""API contracts for frames and budget versions. Amounts: see :mod:`styr_budget.amounts`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from styr_budget.amounts import MoneyUnit, amount_validator, inherit_unit
from styr_shared.schemas import ResponseModel, StrictModel

Amount = Annotated[
    Decimal,
    BeforeValidator(amount_validator),
    Field(
        description="Kronor in `unit`: a number or Swedish text as printed, e.g. `-353 639`, "
        "`1,1 mkr`, `370,697 tkr` (a unit in the text wins)."
    ),
]
UnitField = Field(
    MoneyUnit.KR,
    description="Unit of amounts given as plain numbers (list items default to the body's unit).",
)


class VersionKind(StrEnum):
    ORIGINAL = "original"
    REALLOCATION = "reallocation"
    REVISION = "revision"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    ADOPTED = "adopted"


class FrameWrite(StrictModel):
    unit: MoneyUnit = UnitField
    amount: Amount = Field(
        description="The frame as decided: a positive net-cost allowance, e.g. `370,697 tkr`. "
        "Stored as the net budget it allows (negative).",
        gt=0,
    )
    note: str | None = Field(None, max_length=500)


class LineWrite(StrictModel):
    unit: MoneyUnit = UnitField
    org_unit_id: str = Field(max_length=64)
    activity_code: str = Field(max_length=20)
    account_group: str = Field(max_length=40)
    amount: Amount = Field(
        description="Result sign: revenue positive, cost negative. In an `original` version "
        "the line's amount; in a later version the change to the line."
    )


class VersionCreate(StrictModel):
    unit: MoneyUnit = UnitField
    kind: VersionKind
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="e.g. `M&B 2024`, `Omfördelning mars`."
    )
    reason: str | None = Field(
        None, max_length=2000, description="Why (required for reallocations and revisions)."
    )
    frame_amount: Amount | None = Field(
        None,
        gt=0,
        description="Revisions only: the new frame as a positive allowance (like the frame).",
    )
    lines: list[LineWrite] = Field(min_length=1, max_length=20000)
    adopt: bool = Field(
        False,
        description="Adopt at once. Adoption requires the budget to add up to the frame; a "
        "draft may be unbalanced and shows its gap.",
    )

    @model_validator(mode="before")
    @classmethod
    def _inherit_unit(cls, data: Any) -> Any:
        return inherit_unit(data, "lines")


class VersionRead(ResponseModel):
    number: int
    kind: VersionKind
    label: str
    reason: str | None
    status: VersionStatus
    frame_net_amount: Decimal = Field(description="The frame after this version (net, signed).")
    lines_net_amount: Decimal = Field(description="Sum of this version's lines (or changes).")
    created_by: str
    created_at: datetime
    adopted_by: str | None
    adopted_at: datetime | None


class BudgetStatus(StrictModel):
    committee_id: str
    year: int
    frame_amount: Decimal = Field(description="The frame as printed: positive allowance (kr).")
    frame_net_amount: Decimal = Field(description="The frame as a net budget (negative).")
    original_frame_net_amount: Decimal
    original_total: Decimal | None = Field(description="Net of the adopted original budget.")
    revised_total: Decimal = Field(description="Net of every adopted version.")
    draft_total: Decimal | None = Field(description="Net including the open draft, if any.")
    gap: Decimal = Field(
        description="Budget (including a draft) minus frame; 0 when it adds up. Enforced when a "
        "version is adopted."
    )
    versions: list[VersionRead]


class LineRead(StrictModel):
    org_unit_id: str
    activity_code: str
    account_group: str
    amount: Decimal


class BudgetLines(StrictModel):
    committee_id: str
    year: int
    version: int = Field(description="The lines include every adopted version up to this one.")
    total: Decimal
    lines: list[LineRead]
