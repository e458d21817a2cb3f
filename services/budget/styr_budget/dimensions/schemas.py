"""API contracts for the code lists and the ledger mappings."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from styr_shared.schemas import ResponseModel, StrictModel

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class GroupKind(StrEnum):
    REVENUE = "revenue"
    COST = "cost"
    NET = "net"
    ALLOCATION = "allocation"


class FiscalYearWrite(StrictModel):
    follow_up_months: list[int] = Field(
        default_factory=lambda: [3, 4, 8, 10],
        description="Months with a forecast follow-up (1–12), e.g. March, April, August "
        "(delårsrapport) and October.",
    )
    closed: bool = False

    @model_validator(mode="after")
    def _months(self) -> Self:
        if any(not 1 <= month <= 12 for month in self.follow_up_months):
            raise ValueError("follow_up_months must be months 1–12")
        self.follow_up_months = sorted(set(self.follow_up_months))
        return self


class FiscalYearRead(ResponseModel):
    year: int
    follow_up_months: list[int]
    closed: bool


class ActivityCodeWrite(StrictModel):
    name: Name


class ActivityCodeRead(ResponseModel):
    code: str
    name: str


class AccountGroupWrite(StrictModel):
    name: Name
    kind: GroupKind = Field(
        description="`revenue`, `cost`, `net` (a budget known only as a net) or "
        "`allocation` (*anslag*, the council's funding: outside the net, inside the result)."
    )
    sort_order: int = 0
    periodisation: str | None = Field(
        None,
        max_length=40,
        description="Default periodisation key of the group's budget lines (`linear`, "
        "`previous_year_outcome` or a named key); none = linear.",
    )


class AccountGroupRead(ResponseModel):
    key: str
    name: str
    kind: GroupKind
    sort_order: int
    periodisation: str | None


Weight = Annotated[Decimal, Field(ge=0, le=10**6, decimal_places=4)]


class PeriodisationKeyWrite(StrictModel):
    name: Name
    weights: list[Weight] = Field(
        min_length=12,
        max_length=12,
        description="Twelve weights, January first (≥ 0, at most four decimals, not all "
        "zero), e.g. a holiday-pay profile with a low July. Only their proportions matter.",
    )

    @field_validator("weights")
    @classmethod
    def _not_all_zero(cls, weights: list[Decimal]) -> list[Decimal]:
        if not any(weights):
            raise ValueError("at least one weight must be above zero")
        return weights


class PeriodisationKeyRead(ResponseModel):
    key: str
    name: str
    builtin: bool = Field(description="`linear` and `previous_year_outcome` are built in.")
    weights: list[Decimal] | None = Field(
        description="Twelve weights; none for `previous_year_outcome` (each line's own "
        "outcome of the year before, linear where there is none)."
    )


class AccountMappingCreate(StrictModel):
    account_from: int = Field(ge=1000, le=99999, description="First ledger account (BAS).")
    account_to: int = Field(ge=1000, le=99999, description="Last ledger account, inclusive.")
    account_group: str = Field(max_length=40, description="Key of an account group.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.account_to < self.account_from:
            raise ValueError("account_to must not be below account_from")
        return self


class AccountMappingRead(ResponseModel):
    id: int
    account_from: int
    account_to: int
    account_group_key: str


class ObjectMappingWrite(StrictModel):
    org_unit_id: str | None = Field(None, description="Org unit the object stands for.")
    activity_code: str | None = Field(None, description="Activity code the object stands for.")

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.org_unit_id is None and self.activity_code is None:
            raise ValueError("give org_unit_id, activity_code or both")
        return self


class ObjectMappingRead(ResponseModel):
    dimension: int
    object_code: str
    org_unit_id: str | None
    activity_code: str | None
