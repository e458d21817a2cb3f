"""API contracts for summaries. Amounts are in the requested unit, result sign (see app docs)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from styr_budget.amounts import MoneyUnit


class GroupBy(StrEnum):
    ACTIVITY = "activity"
    ACCOUNT_GROUP = "account_group"
    ORG_UNIT = "org_unit"
    NONE = "none"


class BudgetBasis(StrEnum):
    REVISED = "revised"
    ORIGINAL = "original"


class PaperFigures(BaseModel):
    """The outcome tables' convention: revenues and costs as positive magnitudes."""

    budget: Decimal | None
    outcome: Decimal | None
    forecast: Decimal | None
    previous_year_outcome: Decimal | None


class PreviousYear(BaseModel):
    budget: Decimal | None = Field(description="Revised budget of the previous year.")
    outcome: Decimal | None = Field(description="Outcome of the previous year, same months.")
    budget_change: Decimal | None = Field(description="budget − previous budget.")
    outcome_change_percent: Decimal | None = Field(
        description="(outcome / previous outcome − 1) × 100, one decimal, half up."
    )


class SummaryFigures(BaseModel):
    budget: Decimal | None = Field(description="Annual budget (revised or original).")
    budget_ytd_linear: Decimal | None = Field(description="budget × period / 12.")
    budget_ytd_seasonal: Decimal | None = Field(
        description="budget × the previous year's share of its outcome in the same months."
    )
    outcome: Decimal | None = Field(description="Outcome of months 1…period.")
    forecast: Decimal | None = Field(
        description="Year-end forecast at `forecast_month`. In the total, rows without a "
        "forecast count at their budget."
    )
    forecast_deviation: Decimal | None = Field(description="forecast − budget.")
    outcome_deviation: Decimal | None = Field(
        description="outcome − budget; only for period 12 (year end)."
    )
    deviation: Decimal | None = Field(
        description="outcome_deviation at year end when there is outcome, else "
        "forecast_deviation. Positive = favourable."
    )
    ytd_deviation_linear: Decimal | None = Field(description="outcome − budget_ytd_linear.")
    ytd_deviation_seasonal: Decimal | None = Field(description="outcome − budget_ytd_seasonal.")
    budget_ytd: Decimal | None = Field(
        description="Budget of months 1…period from the budget lines' months (entered, or "
        "spread by their periodisation key).",
    )
    ytd_deviation: Decimal | None = Field(
        description="outcome − budget_ytd (positive = favourable)."
    )
    previous_year: PreviousYear


class SummaryRow(SummaryFigures):
    key: str | None = Field(description="Activity code, account group key or org unit id.")
    name: str | None
    kind: str | None = Field(None, description="Account group kind (account_group grouping).")
    papers: PaperFigures | None = Field(
        None, description="Positive magnitudes as in the papers' outcome tables."
    )


class SummaryTotal(SummaryFigures):
    allocation_outcome: Decimal | None = Field(
        description="Outcome of allocation groups (anslag), outside the net."
    )
    result_outcome: Decimal | None = Field(description="Net outcome + allocation (the result).")
    allocation_budget: Decimal | None = Field(
        description="The frames of the committees in the subtree (their allocation), positive."
    )
    result_budget: Decimal | None = Field(
        description="budget + allocation_budget: 0 when the budget uses exactly its frame."
    )
    result_deviation: Decimal | None = Field(
        description="result_outcome − result_budget at year end: the committee's result "
        "against its allocation (surplus positive)."
    )
    previous_year_allocation_outcome: Decimal | None
    previous_year_result_outcome: Decimal | None


class Summary(BaseModel):
    org_unit_id: str
    year: int
    period: int
    unit: MoneyUnit
    group_by: GroupBy
    budget_basis: BudgetBasis
    forecast_month: int | None = Field(description="Follow-up month of the forecasts used.")
    deviation_basis: str | None = Field(description="`outcome` (year end) or `forecast`.")
    rows: list[SummaryRow]
    total: SummaryTotal
