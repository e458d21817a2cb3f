"""API contracts for outcome imports and monthly outcome rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field, computed_field

from styr_shared.schemas import ResponseModel, StrictModel


class ImportRead(ResponseModel):
    id: int
    municipality_id: str = Field(description="The municipality the import acted in.")
    source: str = Field(
        description="Whose rows these are: `?source=`, else the file's `#PROGRAM` name, `csv` "
        "or `demo`. An import replaces only earlier rows of the same source."
    )
    format: str = Field(description="`sie`, `csv` or `demo`.")
    filename: str | None
    sha256: str
    periods: list[str] = Field(description="Months replaced by this import, `YYYY-MM`.")
    transactions: int = Field(
        description="Ledger rows read (SIE #TRANS, #PSALDO of a type 2/3 file, or CSV rows)."
    )
    rows: int = Field(description="Outcome rows stored (summed per unit × activity × group).")
    replaced_rows: int = Field(
        description="Earlier outcome rows of the same source, those months and the importer's "
        "org scope, removed."
    )
    rows_defaulted: int = Field(
        description="Ledger rows booked on `?default_org_unit` (no object naming an org unit)."
    )
    accounts_skipped: int = Field(
        description="Result accounts without an account mapping, skipped "
        "(`?unmapped_accounts=skip`)."
    )
    vouchers_skipped: int = Field(description="Vouchers without #TRANS rows, skipped.")
    warnings: list[str] = Field(
        description="What was read but not used, or read leniently (line and reason)."
    )
    created_by: str
    created_at: datetime

    @computed_field(description="Number of months replaced.")  # type: ignore[prop-decorator]
    @property
    def months_replaced(self) -> int:
        return len(self.periods)


class OutcomeRead(StrictModel):
    year: int
    month: int
    org_unit_id: str
    activity_code: str | None
    account_group: str
    source: str
    amount: Decimal = Field(description="Kronor, result sign (revenue +, cost −).")
