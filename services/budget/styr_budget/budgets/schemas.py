"""API contracts for frames and budget versions. Amounts: see :mod:`styr_budget.amounts`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

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


LINE_EXAMPLE: dict[str, Any] = {
    "unit": "tkr",
    "org_unit_id": "oxelosund-ao",
    "activity_code": "55",
    "account_group": "personalkostnader",
    "amount": "-112 450",
    "periodisation": "linear",
}
"""A budget line as the papers print it: elderly care's staff costs, in tkr."""


class LineWrite(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [LINE_EXAMPLE]})

    unit: MoneyUnit = UnitField
    org_unit_id: str = Field(max_length=64)
    activity_code: str = Field(max_length=20)
    account_group: str = Field(max_length=40)
    amount: Amount = Field(
        description="Result sign: revenue positive, cost negative. In an `original` version "
        "the line's amount; in a later version the change to the line."
    )
    periodisation: str | None = Field(
        None,
        max_length=40,
        description="Periodisation key for the months not given: `linear`, "
        "`previous_year_outcome` or a named key. None: the account group's default key, "
        "else linear.",
    )
    months: list[Amount] | None = Field(
        None,
        min_length=1,
        max_length=12,
        description="Monthly amounts from January, in `unit`. Twelve must add up to `amount` "
        "exactly; fewer (e.g. January–November as a report prints them) are fixed as given "
        "and the rest of `amount` is spread over the remaining months by the key.",
    )
    ytd_through: int | None = Field(
        None,
        ge=1,
        le=12,
        description="With `ytd_amount`: the last month of a printed "
        "year-to-date budget (11 = January–November).",
    )
    ytd_amount: Amount | None = Field(
        None,
        validate_default=True,
        description="The year-to-date budget through `ytd_through` as printed: spread over "
        "those months by the key; the rest of `amount` over the months after.",
    )

    @field_validator("months")
    @classmethod
    def _months_add_up(cls, months: list[Decimal] | None, info: ValidationInfo) -> Any:
        amount = info.data.get("amount")
        if months is not None and len(months) == 12 and amount is not None:
            total = sum(months, Decimal(0))
            if total != amount:
                raise ValueError(f"the twelve months add up to {total}, not to amount {amount}")
        return months

    @field_validator("ytd_amount")
    @classmethod
    def _ytd(cls, ytd_amount: Decimal | None, info: ValidationInfo) -> Any:
        through = info.data.get("ytd_through")
        if (ytd_amount is None) != (through is None) and "ytd_through" in info.data:
            raise ValueError("give ytd_through and ytd_amount together")
        if ytd_amount is not None and info.data.get("months") is not None:
            raise ValueError("give months or a year-to-date amount, not both")
        amount = info.data.get("amount")
        if through == 12 and amount is not None and ytd_amount != amount:
            raise ValueError(f"a year-to-date amount through December must equal {amount}")
        return ytd_amount


class VersionCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit": "tkr",
                    "kind": "reallocation",
                    "label": "Egen personal i stället för köpt verksamhet",
                    "reason": "Nattbemanningen tas hem från maj.",
                    "from_month": 5,
                    "lines": [
                        {**LINE_EXAMPLE, "amount": "-1 200"},
                        {**LINE_EXAMPLE, "account_group": "kop_av_verksamhet", "amount": "1 200"},
                    ],
                }
            ]
        }
    )

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
    from_month: int | None = Field(
        None,
        ge=1,
        le=12,
        description="Reallocations and revisions: changes without months of their own are "
        "spread by their key from this month on (earlier months keep their budget). Default: "
        "the current month during the budget year, else January. An original starts in "
        "January.",
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
    from_month: int = Field(description="Changes without months are spread from this month.")
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
    months: list[Decimal] = Field(
        description="January–December; they add up to `amount` (summed over the versions)."
    )


class BudgetLines(StrictModel):
    committee_id: str
    year: int
    version: int = Field(description="The lines include every adopted version up to this one.")
    total: Decimal
    lines: list[LineRead]


class RejectedRow(StrictModel):
    line: int = Field(description="Line of the file (1 = the header).")
    field: str = Field(description="The column at fault; empty for the row as a whole.")
    message: str


class MonthlyImportRead(StrictModel):
    version: VersionRead
    rows: int = Field(description="Rows imported.")
    lines: int = Field(description="Budget lines of the new version.")
    rejected: list[RejectedRow] = Field(description="Every row left out, with the reason.")
