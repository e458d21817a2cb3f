"""API contracts for statistics."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Count = int | str


class CountRow(BaseModel):
    """One group's count; only the grouping keys that apply are present."""

    model_config = ConfigDict(extra="allow")
    count: Count = Field(description="A number, or `<5` when suppressed for your role.")


class Duration(BaseModel):
    count: Count
    mean_days: float | None
    median_days: float | None
    max_days: int | None
    within_deadline: Count | None = Field(
        None, description="How many were answered by their deadline."
    )


class WithheldBreakdown(BaseModel):
    """Rows of one breakdown left out of the answer: listing them would give a hidden count
    away. Within it, a missing row is not a zero."""

    breakdown: str = Field(description="The list the rows are missing from, e.g. `by_kind`.")
    of: str = Field(description="The count they break down, e.g. `by_year` or `total`.")
    key: dict[str, Any] = Field(description='That count\'s key, e.g. `{"year": 2024}`.')


class Statistics(BaseModel):
    suppressed: bool = Field(
        description="True when small counts are hidden for your role: `<5` is 1 to 4, `x` is "
        "a count hidden because others with it would give a `<5` away (at least 5)."
    )
    suppression_threshold: int
    withheld: list[WithheldBreakdown] = Field(
        default_factory=list,
        description="Breakdowns whose rows are left out for your role (see WithheldBreakdown).",
    )
    total: Count
    by_year: list[CountRow]
    by_category_month: list[CountRow] = Field(description="Swedish calendar months.")
    by_org_unit: list[CountRow] = Field(description="Per unit the cases are registered on.")
    by_org_subtree: list[CountRow] = Field(
        description="Per unit including everything below it (rolled up the org tree)."
    )
    by_kind: list[CountRow]
    by_law_area: list[CountRow]
    by_housing_type: list[CountRow]
    lex_maria_reported: list[CountRow] = Field(description="Lex Maria reports to IVO per year.")
    lex_sarah_reported: list[CountRow] = Field(description="Lex Sarah reports to IVO per year.")
    overdue: Count = Field(description="Open cases past their deadline today.")
    overdue_by_kind: list[CountRow]
    time_to_answer: dict[str, Duration] = Field(
        description="Per kind: calendar days from registration to answer."
    )
    time_to_close: dict[str, Duration] = Field(
        description="Per kind: calendar days from registration to closing."
    )
