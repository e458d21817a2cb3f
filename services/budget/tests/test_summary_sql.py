"""The summaries' SQL sums against a plain computation over the rows (property-based).

Random budgets (an adopted original, an adopted reallocation and a draft, with months of
their own), monthly outcome of this year and the last (the rollup rows), and forecasts at
mixed levels, on units inside and outside the committee's subtree. For every ``group_by`` and
period:

- each row's budget, year-to-date budget, outcome, previous-year budget and outcome, and
  forecast deviation is what summing the generated rows in Python gives (the computation the
  SQL replaced);
- the rows add up to the total, and the total is the same for every grouping;
- ``GET /deficits`` is the summaries' forecast deviations: the committee's total, each
  activity's row, and each org unit's row summed over its subtree, where negative.
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
from styr_budget.outcomes.models import MONTH_COLUMNS, OutcomeYear
from styr_shared.testing.orgs import OXELOSUND

pytestmark = pytest.mark.usefixtures("demo")

YEAR, MONTH = 2033, 8
COMMITTEE = "oxelosund-von"
PARENTS = {unit: parent for unit, _, _, _, parent in OXELOSUND}
INSIDE = ["oxelosund-von", "oxelosund-vof", "oxelosund-so", "oxelosund-ao", "oxelosund-lss"]
OUTSIDE = ["oxelosund-ks"]  # another committee: never in VON's figures
ACTIVITIES = ["54", "55"]
GROUPS = {
    "personalkostnader": "cost",
    "avgiftsintakter": "revenue",
    "anslagsintakter": "allocation",
}
GROUPINGS = ("none", "activity", "org_unit", "account_group")
FIGURES = ("budget", "budget_ytd", "outcome", "forecast", "forecast_deviation")

ore = st.integers(min_value=-900_000_00, max_value=900_000_00).map(lambda n: Decimal(n) / 100)
months = st.lists(ore, min_size=12, max_size=12)
cells = st.tuples(
    st.sampled_from(INSIDE + OUTSIDE), st.sampled_from(ACTIVITIES), st.sampled_from(list(GROUPS))
)
Cell = tuple[str, str, str]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    versions = {  # number: (status, year, lines)
        1: ("adopted", YEAR, draw(st.dictionaries(cells, months, max_size=8))),
        2: ("adopted", YEAR, draw(st.dictionaries(cells, months, max_size=4))),
        3: ("draft", YEAR, draw(st.dictionaries(cells, months, max_size=3))),
        4: ("adopted", YEAR - 1, draw(st.dictionaries(cells, months, max_size=4))),
    }
    outcome = {year: draw(st.dictionaries(cells, months, max_size=6)) for year in (YEAR, YEAR - 1)}
    pairs = sorted(
        {(unit, activity) for unit, activity, _ in versions[1][2]}
        | set(
            draw(
                st.lists(
                    st.tuples(st.sampled_from(INSIDE + OUTSIDE), st.sampled_from(ACTIVITIES)),
                    max_size=3,
                )
            )
        )
    )
    forecasts: dict[tuple[str, str, str | None], Decimal] = {}
    for unit, activity in pairs:
        level = draw(st.sampled_from(["none", "activity", "lines"]))
        if level == "activity":
            forecasts[(unit, activity, None)] = draw(ore)
        elif level == "lines":
            for group in draw(st.lists(st.sampled_from(list(GROUPS)), min_size=1, unique=True)):
                forecasts[(unit, activity, group)] = draw(ore)
    return {
        "versions": versions,
        "outcome": outcome,
        "forecasts": forecasts,
        "period": draw(st.integers(min_value=1, max_value=12)),
    }


async def store(app: FastAPI, scenario: dict[str, Any]) -> None:
    years = [YEAR, YEAR - 1]
    async with app.state.database.session() as session:
        await session.exec(delete(BudgetEntry).where(col(BudgetEntry.year).in_(years)))
        await session.exec(delete(BudgetVersion).where(col(BudgetVersion.year).in_(years)))
        await session.exec(delete(Forecast).where(col(Forecast.year).in_(years)))
        await session.exec(delete(OutcomeYear).where(col(OutcomeYear.year).in_(years)))
        for number, (status, year, lines) in scenario["versions"].items():
            version = BudgetVersion(
                committee_id=COMMITTEE,
                year=year,
                number=1 if year != YEAR else number,
                kind="original" if number in (1, 4) else "reallocation",
                label="generated",
                status=status,
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
                    year=year,
                    org_unit_id=unit,
                    activity_code=activity,
                    account_group_key=group,
                    amount=sum(values, Decimal(0)),
                    **dict(zip(MONTH_COLUMNS, values, strict=True)),
                )
                for (unit, activity, group), values in lines.items()
            )
        session.add_all(
            OutcomeYear(
                municipality_id="oxelosund",
                year=year,
                org_unit_id=unit,
                activity_code=activity,
                account_group_key=group,
                **dict(zip(MONTH_COLUMNS, values, strict=True)),
            )
            for year, rows in scenario["outcome"].items()
            for (unit, activity, group), values in rows.items()
        )
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
            for (unit, activity, group), amount in scenario["forecasts"].items()
        )
        await session.commit()


def row_key(cell: Cell, group_by: str) -> str:
    unit, activity, group = cell
    return {"none": "total", "activity": activity, "org_unit": unit, "account_group": group}[
        group_by
    ]


def plain(scenario: dict[str, Any], group_by: str) -> dict[str | None, dict[str, Decimal]]:
    """The figures of each row, summed over the generated rows in Python (net rows only)."""
    period = scenario["period"]
    rows: dict[str | None, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    line_budget: dict[Cell, Decimal] = defaultdict(Decimal)

    def add(cell: Cell, figure: str, amount: Decimal, *, unspecified: bool = False) -> None:
        if cell[0] in INSIDE and GROUPS[cell[2]] != "allocation":
            rows[None if unspecified else row_key(cell, group_by)][figure] += amount

    for status, year, lines in scenario["versions"].values():
        if status != "adopted":
            continue
        for cell, values in lines.items():
            amount = sum(values, Decimal(0))
            if year == YEAR:
                add(cell, "budget", amount)
                add(cell, "budget_ytd", sum(values[:period], Decimal(0)))
                line_budget[cell] += amount
            else:
                add(cell, "prev_budget", amount)
    for year, outcome in scenario["outcome"].items():
        for cell, values in outcome.items():
            add(
                cell,
                "outcome" if year == YEAR else "prev_outcome",
                sum(values[:period], Decimal(0)),
            )
    if period >= MONTH:
        for (unit, activity, group), amount in scenario["forecasts"].items():
            if group is not None:
                add(
                    (unit, activity, group),
                    "deviation",
                    amount - line_budget[(unit, activity, group)],
                )
                continue
            budget = sum(
                (
                    value
                    for (u, a, g), value in line_budget.items()
                    if (u, a) == (unit, activity) and GROUPS[g] != "allocation"
                ),
                Decimal(0),
            )
            # by account group an activity forecast has no group: the row without a key
            cell = (unit, activity, "personalkostnader")  # any net group: the same row
            add(cell, "deviation", amount - budget, unspecified=group_by == "account_group")
    return rows


def number(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


async def get(client: AsyncClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
async def test_summaries_are_the_sums_of_the_rows(
    client: AsyncClient, app: FastAPI, reader: dict[str, str], scenario: dict[str, Any]
) -> None:
    await store(app, scenario)
    period = scenario["period"]
    has_forecast = period >= MONTH and any(unit in INSIDE for unit, _, _ in scenario["forecasts"])
    totals = {}
    for group_by in GROUPINGS:
        body = await get(
            client,
            reader,
            "/api/v1/summaries",
            org_unit=COMMITTEE,
            year=YEAR,
            period=period,
            group_by=group_by,
        )
        expected = plain(scenario, group_by)
        rows = [row for row in body["rows"] if row["kind"] != "allocation"]
        for row in rows:
            want = expected.get(row["key"], {})
            assert number(row["budget"]) == want.get("budget", 0), (group_by, row)
            assert number(row["budget_ytd"]) == want.get("budget_ytd", 0), (group_by, row)
            assert number(row["outcome"]) == want.get("outcome", 0), (group_by, row)
            previous = row["previous_year"]
            assert number(previous["budget"]) == want.get("prev_budget", 0), (group_by, row)
            assert number(previous["outcome"]) == want.get("prev_outcome", 0), (group_by, row)
            if has_forecast:
                assert number(row["forecast_deviation"]) == want.get("deviation", 0), (
                    group_by,
                    row,
                )
        # every key with a figure is a row
        assert {k for k, figures in expected.items() if any(figures.values())} <= {
            row["key"] for row in rows
        }, group_by
        total = body["total"]
        for figure in FIGURES:
            assert sum(number(row[figure]) for row in rows) == number(total[figure]), (
                group_by,
                figure,
            )
        totals[group_by] = {figure: total[figure] for figure in FIGURES}
    assert all(figures == totals["none"] for figures in totals.values()), totals

    deficits = await get(
        client, reader, "/api/v1/deficits", committee_id=COMMITTEE, year=YEAR, month=MONTH
    )
    listed = {
        (item["level"], item["activity_code"] or item["org_unit_id"]): number(
            item["forecast_deviation"]
        )
        for item in deficits
    }
    # the deficits are the summaries' forecast deviations at the follow-up month
    at_month = {
        group_by: await get(
            client,
            reader,
            "/api/v1/summaries",
            org_unit=COMMITTEE,
            year=YEAR,
            period=12,
            group_by=group_by,
            forecast_month=MONTH,
        )
        for group_by in ("activity", "org_unit")
    }
    expected_listed: dict[tuple[str, str | None], Decimal] = {}
    committee = number(at_month["activity"]["total"]["forecast_deviation"])
    if committee < 0:
        expected_listed[("committee", None)] = committee
    for row in at_month["activity"]["rows"]:
        if row["key"] is not None and number(row["forecast_deviation"]) < 0:
            expected_listed[("activity", row["key"])] = number(row["forecast_deviation"])
    below: dict[str, Decimal] = defaultdict(Decimal)
    for row in at_month["org_unit"]["rows"]:
        unit: str | None = row["key"]
        while unit is not None and unit != COMMITTEE:
            below[unit] += number(row["forecast_deviation"])
            unit = PARENTS[unit]
    expected_listed |= {("org_unit", u): d for u, d in below.items() if d < 0}
    assert listed == expected_listed
