"""Forecast figures do not depend on how they are grouped (property-based).

Rules, checked over random budgets, outcomes and forecasts at mixed levels (per budget line
or per activity at a unit, on units at every level of the committee's tree):
- every total is the same for every ``group_by``;
- the rows of every grouping add up to its total;
- the total forecast deviation is what a plain model says: each forecast minus the budget it
  forecasts (its line, or its activity's lines at that unit), anslag excluded;
- ``GET /deficits`` lists exactly the committee, activities and org units (with their
  subtrees) whose deviation is negative, so a forecast worse than its budget with everything
  else on budget is a deficit at its level and every level above.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import col

from styr_budget.budgets.models import BudgetEntry, BudgetVersion
from styr_budget.forecasts.models import Forecast
from styr_budget.outcomes.models import OutcomeYear
from styr_shared.testing.orgs import OXELOSUND

pytestmark = pytest.mark.usefixtures("demo")

YEAR, MONTH = 2031, 10
COMMITTEE = "oxelosund-von"
PARENTS = {unit: parent for unit, _, _, _, parent in OXELOSUND}
UNITS = [
    "oxelosund-von",
    "oxelosund-vof",
    "oxelosund-so",
    "oxelosund-ao",
    "oxelosund-sabo",
    "oxelosund-lss",
    "oxelosund-ifo",
]
ACTIVITIES = ["54", "55", "56"]
GROUPS = {
    "personalkostnader": "cost",
    "lokalkostnader": "cost",
    "avgiftsintakter": "revenue",
    "anslagsintakter": "allocation",
}
FIGURES = ("budget", "forecast", "forecast_deviation", "outcome")
GROUPINGS = ("none", "activity", "org_unit", "account_group")

amounts = st.integers(min_value=-5_000_000, max_value=5_000_000).map(Decimal)
cells = st.tuples(
    st.sampled_from(UNITS), st.sampled_from(ACTIVITIES), st.sampled_from(list(GROUPS))
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    budget = draw(st.dictionaries(cells, amounts, max_size=14))
    outcome = draw(st.dictionaries(cells, amounts, max_size=6))
    pairs = sorted(
        {(unit, activity) for unit, activity, _ in budget}
        | set(
            draw(
                st.lists(st.tuples(st.sampled_from(UNITS), st.sampled_from(ACTIVITIES)), max_size=3)
            )
        )
    )
    activity_forecasts: dict[tuple[str, str], Decimal] = {}
    line_forecasts: dict[tuple[str, str, str], Decimal] = {}
    for unit, activity in pairs:
        level = draw(st.sampled_from(["none", "activity", "lines"]))
        if level == "activity":
            activity_forecasts[(unit, activity)] = draw(amounts)
        elif level == "lines":
            for group in draw(st.lists(st.sampled_from(list(GROUPS)), min_size=1, unique=True)):
                line_forecasts[(unit, activity, group)] = draw(amounts)
    return {
        "budget": budget,
        "outcome": outcome,
        "activity_forecasts": activity_forecasts,
        "line_forecasts": line_forecasts,
    }


async def store(app: FastAPI, scenario: dict[str, Any]) -> None:
    async with app.state.database.session() as session:
        await session.exec(delete(BudgetEntry).where(col(BudgetEntry.year) == YEAR))
        await session.exec(delete(Forecast).where(col(Forecast.year) == YEAR))
        await session.exec(delete(OutcomeYear).where(col(OutcomeYear.year) == YEAR))
        await session.exec(delete(BudgetVersion).where(col(BudgetVersion.year) == YEAR))
        version = BudgetVersion(
            committee_id=COMMITTEE,
            year=YEAR,
            number=1,
            kind="original",
            label="generated",
            status="adopted",
            frame_net_amount=Decimal(0),
            created_by="test",
        )
        session.add(version)
        await session.flush()
        assert version.id is not None
        session.add_all(
            BudgetEntry(
                version_id=version.id,
                municipality_id="oxelosund",
                year=YEAR,
                org_unit_id=unit,
                activity_code=activity,
                account_group_key=group,
                amount=amount,
            )
            for (unit, activity, group), amount in scenario["budget"].items()
        )
        session.add_all(
            OutcomeYear(
                municipality_id="oxelosund",
                year=YEAR,
                org_unit_id=unit,
                activity_code=activity,
                account_group_key=group,
                m03=amount,
            )
            for (unit, activity, group), amount in scenario["outcome"].items()
        )
        forecasts = [
            *(
                ((unit, activity, None), amount)
                for (unit, activity), amount in scenario["activity_forecasts"].items()
            ),
            *scenario["line_forecasts"].items(),
        ]
        session.add_all(
            Forecast(
                municipality_id="oxelosund",
                year=YEAR,
                month=MONTH,
                org_unit_id=unit,
                activity_code=activity,
                account_group_key=group,
                amount=amount,
                created_by="test",
            )
            for (unit, activity, group), amount in forecasts
        )
        await session.commit()


def expected_deviations(scenario: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    """(unit, activity, forecast − budget) of every forecast, the plain way."""
    budget: dict[tuple[str, str, str], Decimal] = scenario["budget"]
    found = []
    for (unit, activity), amount in scenario["activity_forecasts"].items():
        forecast_budget = sum(
            (
                value
                for (u, a, group), value in budget.items()
                if (u, a) == (unit, activity) and GROUPS[group] != "allocation"
            ),
            Decimal(0),
        )
        found.append((unit, activity, amount - forecast_budget))
    for (unit, activity, group), amount in scenario["line_forecasts"].items():
        if GROUPS[group] != "allocation":
            found.append((unit, activity, amount - budget.get((unit, activity, group), Decimal(0))))
    return found


def number(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


async def summary(client: AsyncClient, headers: dict[str, str], group_by: str) -> Any:
    response = await client.get(
        "/api/v1/summaries",
        params={
            "org_unit": COMMITTEE,
            "year": YEAR,
            "period": MONTH,
            "group_by": group_by,
            "forecast_month": MONTH,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
async def test_forecast_figures_do_not_depend_on_grouping(
    client: AsyncClient, app: FastAPI, reader: dict[str, str], scenario: dict[str, Any]
) -> None:
    await store(app, scenario)
    has_forecast = bool(scenario["activity_forecasts"] or scenario["line_forecasts"])
    deviations = expected_deviations(scenario)
    budget_total = sum(
        (v for (_, _, g), v in scenario["budget"].items() if GROUPS[g] != "allocation"),
        Decimal(0),
    )
    totals = {}
    for group_by in GROUPINGS:
        body = await summary(client, reader, group_by)
        total = body["total"]
        totals[group_by] = {figure: total[figure] for figure in FIGURES}
        rows = [row for row in body["rows"] if row["kind"] != "allocation"]
        for figure in FIGURES:
            assert sum(number(row[figure]) for row in rows) == number(total[figure]), (
                group_by,
                figure,
            )
        if has_forecast:
            expected = sum((d for _, _, d in deviations), Decimal(0))
            assert number(total["forecast_deviation"]) == expected, group_by
            assert number(total["forecast"]) == budget_total + expected, group_by
        else:
            assert total["forecast"] is None
    assert all(figures == totals["none"] for figures in totals.values()), totals

    response = await client.get(
        "/api/v1/deficits",
        params={"committee_id": COMMITTEE, "year": YEAR, "month": MONTH},
        headers=reader,
    )
    assert response.status_code == 200, response.text
    listed = {
        (item["level"], item["activity_code"] or item["org_unit_id"]): Decimal(
            str(item["forecast_deviation"])
        )
        for item in response.json()
    }
    expected_listed: dict[tuple[str, str | None], Decimal] = {}
    if has_forecast:
        committee = sum((d for _, _, d in deviations), Decimal(0))
        per_activity: dict[str, Decimal] = defaultdict(Decimal)
        per_unit: dict[str, Decimal] = defaultdict(Decimal)
        for unit, activity, deviation in deviations:
            per_activity[activity] += deviation
            ancestor: str | None = unit
            while ancestor is not None and ancestor != COMMITTEE:
                per_unit[ancestor] += deviation
                ancestor = PARENTS[ancestor]
        expected_listed = {
            **({("committee", None): committee} if committee < 0 else {}),
            **{("activity", a): d for a, d in per_activity.items() if d < 0},
            **{("org_unit", u): d for u, d in per_unit.items() if d < 0},
        }
    assert listed == expected_listed
