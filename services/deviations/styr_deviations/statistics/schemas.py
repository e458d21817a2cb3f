"""API contracts for statistics."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from styr_deviations.config import DateBasis

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


class Breakdown(BaseModel):
    """One breakdown with its totals, computed by the service: each totals row is the sum of
    the rows with its keys, and ``total`` the sum of the totals rows. Read totals from here, never
    by adding up rows (hidden counts would be missing)."""

    keys: list[str] = Field(description='The keys of each row, e.g. `["year", "state"]`.')
    totals_by: list[str] = Field(description='The keys of each totals row, e.g. `["year"]`.')
    rows: list[CountRow]
    totals: list[CountRow]
    total: Count


class Statistics(BaseModel):
    suppressed: bool = Field(
        description="True when small counts are hidden for your role: `<5` is 1 to 4, `x` is "
        "a count hidden because others with it would give a `<5` away (at least 5)."
    )
    suppression_threshold: int
    date_basis: DateBasis = Field(
        DateBasis.REGISTRATION,
        description="Which date puts a case in a year and month (and in `from_year`…`to_year`): "
        "`registration` (reported_at) or `event` (event_time, else reported_at).",
    )
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
    breakdowns: dict[str, Breakdown] = Field(
        default_factory=dict,
        description="`by_month` (totals: years), `by_category_year` (years), `by_state` (years), "
        "`by_channel` (per year and kind; `web_form` is the e-service, `patientnamnden` the "
        "patient board), `by_external_direction` (external deviations per year: `outgoing` = "
        "sent, `incoming` = received), `by_investigation_outcome` (cases investigated by "
        'MAS/MAR or the Lex Sarah investigator per year; `""` = no outcome recorded). A '
        '`""` key is unknown. Cases withdrawn as wrongly imported are not counted.',
    )
