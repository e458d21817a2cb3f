"""Budget follow-up of an org subtree (budget service): summaries, investments, deficits.

``OrgUnit.budget(year, period)`` is the entry; each part is its own nullable field, so a front
end asks only for what it shows and a failing part errors alone. Amounts are kronor as decimals
(strings in JSON: money is never a float).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.inputs import body_of, field_names
from styr_gateway.loaders import parse
from styr_gateway.records import (
    DeficitRecord,
    ForecastList,
    SummaryFiguresRecord,
    SummaryRowRecord,
)
from styr_gateway.upstream import Service

COSTS = {
    # Weights (service calls per resolution) and list sizes of the query cost (see cost.py).
    "BudgetOverview.total": FieldCost(),
    "BudgetOverview.byActivity": FieldCost(size=30),
    "BudgetOverview.byAccountGroup": FieldCost(size=30),
    "BudgetOverview.investments": FieldCost(),
    "BudgetOverview.deficits": FieldCost(size=20),
    "Mutation.recordForecast": FieldCost(size=1),
}


@strawberry.type(description="Budget, outcome and forecast figures of one row or the total.")
class BudgetFigures:
    budget: Decimal | None = strawberry.field(description="Annual budget (revised).")
    outcome: Decimal | None = strawberry.field(description="Outcome of months 1…period.")
    forecast: Decimal | None = strawberry.field(description="Year-end forecast.")
    forecast_deviation: Decimal | None = strawberry.field(description="forecast − budget.")
    deviation: Decimal | None = strawberry.field(
        description="Positive = favourable: budget − outcome at year end, else of the forecast."
    )
    budget_ytd: Decimal | None = strawberry.field(
        description="Budget of months 1…period, from the budget lines' months (their "
        "periodisation: given months, a named key such as a holiday-pay profile, last year's "
        "outcome profile, or linear)."
    )
    ytd_deviation: Decimal | None = strawberry.field(description="outcome − budgetYtd.")

    @staticmethod
    def values(record: SummaryFiguresRecord) -> dict[str, Decimal | None]:
        return {
            "budget": record.budget,
            "outcome": record.outcome,
            "forecast": record.forecast,
            "forecast_deviation": record.forecast_deviation,
            "deviation": record.deviation,
            "budget_ytd": record.budget_ytd,
            "ytd_deviation": record.ytd_deviation,
        }


@strawberry.type(description="One row of a budget summary: an activity or an account group.")
class BudgetRow(BudgetFigures):
    key: str | None = strawberry.field(description="Activity code or account group key.")
    name: str | None = strawberry.field(description="Name of the activity or account group.")
    kind: str | None = strawberry.field(description="Account group kind (revenue, cost, …).")

    @classmethod
    def of(cls, record: SummaryRowRecord) -> BudgetRow:
        return cls(key=record.key, name=record.name, kind=record.kind, **cls.values(record))


@strawberry.type(description="Investment budget, carry-over, outcome and forecast of the year.")
class InvestmentTotals:
    objects: int = strawberry.field(description="Number of investment objects.")
    budget: Decimal = strawberry.field(description="Investment budget of the year.")
    carried_in: Decimal = strawberry.field(description="Budget carried over from earlier years.")
    available: Decimal = strawberry.field(description="budget + carried in.")
    outcome: Decimal | None = strawberry.field(description="Outcome so far.")
    forecast: Decimal | None = strawberry.field(description="Year-end forecast.")


@strawberry.enum(description="What a deficit is of.")
class DeficitLevel(Enum):
    COMMITTEE = strawberry.enum_value("committee", description="The committee as a whole.")
    ACTIVITY = strawberry.enum_value(
        "activity", description="One activity code across the committee."
    )
    ORG_UNIT = strawberry.enum_value("org_unit", description="One org unit below the committee.")


@strawberry.type(description="A forecast deficit and the measures recorded to answer it.")
class Deficit:
    month: int = strawberry.field(description="Follow-up month.")
    level: DeficitLevel = strawberry.field(
        description="The committee as a whole, an activity code across it, or an org unit "
        "below it (with its whole subtree)."
    )
    activity_code: str | None = strawberry.field(description="The activity (level ACTIVITY).")
    activity_name: str | None = strawberry.field(
        description="Name of the activity (level ACTIVITY)."
    )
    org_unit_id: strawberry.ID | None = strawberry.field(
        description="The org unit (level ORG_UNIT)."
    )
    org_unit_name: str | None = strawberry.field(
        description="Name of the org unit (level ORG_UNIT)."
    )
    forecast_deviation: Decimal = strawberry.field(description="forecast − budget (negative).")
    measures: int = strawberry.field(description="Recorded measures that are not cancelled.")
    measures_amount: Decimal = strawberry.field(
        description="Kronor the recorded measures are expected to bring."
    )
    has_measures: bool = strawberry.field(
        description="Whether any measure that is not cancelled answers the deficit."
    )

    @classmethod
    def of(cls, record: DeficitRecord) -> Deficit:
        return cls(
            month=record.month,
            level=DeficitLevel(record.level),
            activity_code=record.activity_code,
            activity_name=record.activity_name,
            org_unit_id=strawberry.ID(record.org_unit_id) if record.org_unit_id else None,
            org_unit_name=record.org_unit_name,
            forecast_deviation=record.forecast_deviation,
            measures=record.measures,
            measures_amount=record.measures_amount,
            has_measures=record.has_measures,
        )


class GroupBy(Enum):
    ACTIVITY = "activity"
    ACCOUNT_GROUP = "account_group"


@strawberry.type(description="The budget follow-up of an org unit and everything below it.")
class BudgetOverview:
    org_unit_id: strawberry.ID = strawberry.field(
        description="The org unit whose subtree is summed."
    )
    year: int = strawberry.field(description="The fiscal year.")
    period: int = strawberry.field(description="Last month included (12: the whole year).")

    async def _summary(
        self, info: Info, group_by: GroupBy
    ) -> tuple[BudgetFigures, list[BudgetRow]]:
        record = await info.context.loaders.budget.summary.load(
            (str(self.org_unit_id), self.year, self.period, group_by.value)
        )
        return BudgetFigures(**BudgetFigures.values(record.total)), [
            BudgetRow.of(row) for row in record.rows
        ]

    @strawberry.field(description="Totals of the subtree.")
    async def total(self, info: Info) -> BudgetFigures | None:
        return (await self._summary(info, GroupBy.ACTIVITY))[0]

    @strawberry.field(description="Rows per activity (verksamhet).")
    async def by_activity(self, info: Info) -> list[BudgetRow] | None:
        return (await self._summary(info, GroupBy.ACTIVITY))[1]

    @strawberry.field(description="Rows per account group (revenue and cost groups).")
    async def by_account_group(self, info: Info) -> list[BudgetRow] | None:
        return (await self._summary(info, GroupBy.ACCOUNT_GROUP))[1]

    @strawberry.field(description="Investments of the subtree and year.")
    async def investments(self, info: Info) -> InvestmentTotals | None:
        record = await info.context.loaders.budget.investments.load(
            (str(self.org_unit_id), self.year)
        )
        return InvestmentTotals(
            objects=record.objects,
            budget=record.budget,
            carried_in=record.carried_in,
            available=record.available,
            outcome=record.outcome,
            forecast=record.forecast,
        )

    @strawberry.field(
        description="Forecast deficits of a committee, its activities and the org units below "
        "it at a follow-up month; `withoutMeasures` lists only those still lacking measures."
    )
    async def deficits(
        self,
        info: Info,
        without_measures: Annotated[
            bool,
            strawberry.argument(description="Only deficits that no recorded measure answers yet."),
        ] = False,
        month: Annotated[
            int | None,
            strawberry.argument(description="Follow-up month; default: the latest recorded."),
        ] = None,
    ) -> list[Deficit] | None:
        records = await info.context.loaders.budget.deficits.load(
            (str(self.org_unit_id), self.year, month)
        )
        return [Deficit.of(r) for r in records if not (without_measures and r.has_measures)]


# --- mutations ---------------------------------------------------------------------------------


@strawberry.type(description="A recorded year-end forecast (årsprognos).")
class Forecast:
    year: int = strawberry.field(description="The fiscal year.")
    month: int = strawberry.field(description="The follow-up month the forecast was made at.")
    org_unit_id: strawberry.ID = strawberry.field(description="The org unit forecast.")
    activity_code: str = strawberry.field(description="The activity (verksamhet) forecast.")
    account_group_key: str | None = strawberry.field(
        description="The account group, or null for the whole activity."
    )
    amount: Decimal = strawberry.field(description="Kronor, result sign (net cost negative).")
    comment: str | None = strawberry.field(description="Comment on the forecast.")
    created_by: str = strawberry.field(description="Subject of the token that recorded it.")
    created_at: datetime = strawberry.field(description="When it was recorded.")


@strawberry.input(description="A year-end forecast of an activity (or one account group of it).")
class ForecastInput:
    org_unit_id: strawberry.ID = strawberry.field(description="The org unit forecast.")
    activity_code: str = strawberry.field(description="The activity (verksamhet) forecast.")
    amount: Decimal = strawberry.field(description="Kronor, result sign (net cost negative).")
    account_group: str | None = strawberry.field(
        default=strawberry.UNSET, description="Omit to forecast the whole activity."
    )
    comment: str | None = strawberry.field(
        default=strawberry.UNSET, description="Comment on the forecast."
    )


# The service takes a list of lines; the gateway sends one, so `body.lines.0.x` is `input.x`.
FORECAST_FIELDS = {
    **field_names(ForecastInput, prefix="body.lines.0"),
    "path.year": "year",
    "path.month": "month",
    "body.lines": "input",
}


@strawberry.type
class BudgetMutations:
    @strawberry.mutation(
        description="Record (or replace) a year-end forecast at a follow-up month "
        "(PUT /forecasts/{year}/{month}); the budget service checks the month and the role."
    )
    async def record_forecast(
        self,
        info: Info,
        year: Annotated[int, strawberry.argument(description="The fiscal year.")],
        month: Annotated[int, strawberry.argument(description="The follow-up month, 1-12.")],
        input: Annotated[ForecastInput, strawberry.argument(description="The forecast.")],
    ) -> list[Forecast] | None:
        data = await info.context.upstream.request(
            "PUT",
            Service.BUDGET,
            f"/api/v1/forecasts/{year}/{month}",
            json={"unit": "kr", "lines": [body_of(input)]},
            field_names=FORECAST_FIELDS,
        )
        return [
            Forecast(
                year=r.year,
                month=r.month,
                org_unit_id=strawberry.ID(r.org_unit_id),
                activity_code=r.activity_code,
                account_group_key=r.account_group_key,
                amount=r.amount,
                comment=r.comment,
                created_by=r.created_by,
                created_at=r.created_at,
            )
            for r in parse(ForecastList, Service.BUDGET, data).root
        ]
