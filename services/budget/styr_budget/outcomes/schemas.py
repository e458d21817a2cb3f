"""API contracts for outcome imports and monthly outcome rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from styr_shared.schemas import ResponseModel, StrictModel


class ImportRead(ResponseModel):
    id: int
    source: str
    filename: str | None
    sha256: str
    periods: list[str] = Field(description="Months replaced by this import, `YYYY-MM`.")
    transactions: int = Field(description="Ledger rows read (SIE #TRANS or CSV rows).")
    rows: int = Field(description="Outcome rows stored (summed per unit × activity × group).")
    replaced_rows: int = Field(description="Earlier outcome rows of those months removed.")
    created_by: str
    created_at: datetime


class OutcomeRead(StrictModel):
    year: int
    month: int
    org_unit_id: str
    activity_code: str | None
    account_group: str
    amount: Decimal = Field(description="Kronor, result sign (revenue +, cost −).")
