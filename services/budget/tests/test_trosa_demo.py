"""Trosa's demo data (invented figures, see ``styr_budget.demo.trosa``) holds together through
the API: budgets equal their frames, its own follow-up months, outcome January–April 2025 as
the module describes it, the April forecast and its deficits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_budget.demo.loader import load_demo
from styr_shared.testing import TokenFactory, seed_org_replica
from styr_shared.testing.orgs import BOTH_MUNICIPALITIES


@pytest.fixture
async def both(client: AsyncClient, app: FastAPI) -> None:
    await seed_org_replica(app.state.database, BOTH_MUNICIPALITIES)
    assert await load_demo(app.state.database)
    # loading again adds nothing: each municipality is loaded once
    assert not await load_demo(app.state.database)


@pytest.fixture
def trosa_reader(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("reader", org_units=["trosa"], subject="trosa-reader")


def d(value: Any) -> Decimal:
    return Decimal(str(value))


async def get(client: AsyncClient, headers: dict[str, str], url: str, **params: Any) -> Any:
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.usefixtures("both")
async def test_trosa_budgets_equal_their_frames(
    client: AsyncClient, trosa_reader: dict[str, str]
) -> None:
    for year, frame in ((2024, "248950000.00"), (2025, "259980000.00")):
        status = await get(client, trosa_reader, f"/api/v1/budgets/trosa-von/{year}")
        assert d(status["frame_amount"]) == Decimal(frame)
        assert d(status["revised_total"]) == -Decimal(frame)
        assert d(status["gap"]) == 0
    years = await get(client, trosa_reader, "/api/v1/municipalities/trosa/fiscal-years")
    assert {y["year"]: (y["follow_up_months"], y["closed"]) for y in years} == {
        2024: ([4, 8, 12], True),
        2025: ([4, 8, 12], False),
        2026: ([4, 8, 12], False),
    }
    # personnel is spread by Trosa's holiday-pay key: a low July, the rest linear
    lines = await get(client, trosa_reader, "/api/v1/budgets/trosa-von/2025/lines")
    by_line = {
        (i["org_unit_id"], i["activity_code"], i["account_group"]): i for i in lines["lines"]
    }
    staff = [d(m) for m in by_line[("trosa-sabo", "55", "personalkostnader")]["months"]]
    assert abs(staff[6]) < abs(staff[0]) < abs(staff[5])  # July < January < June
    assert sum(staff, Decimal(0)) == Decimal(-102_800_000)
    premises = [d(m) for m in by_line[("trosa-sabo", "55", "lokaler")]["months"]]
    assert max(premises) - min(premises) <= 1


@pytest.mark.usefixtures("both")
async def test_trosa_outcome_forecast_and_deficits(
    client: AsyncClient, trosa_reader: dict[str, str]
) -> None:
    summary = await get(
        client,
        trosa_reader,
        "/api/v1/summaries",
        org_unit="trosa-von",
        year=2025,
        period=4,
        group_by="org_unit",
    )
    rows = await get(
        client, trosa_reader, "/api/v1/outcomes", year=2025, org_unit="trosa", limit=500
    )
    stored = sum((d(row["amount"]) for row in rows["items"]), Decimal(0))
    assert {row["month"] for row in rows["items"]} == {1, 2, 3, 4}
    assert d(summary["total"]["outcome"]) == stored
    # a third of the year's budget, a little worse (home care's staff, LSS purchases)
    assert Decimal(-90_000_000) < stored < d(summary["total"]["budget_ytd"]) < 0
    assert summary["forecast_month"] == 4
    # the forecasts add up to 263,98 mkr against a budget of 259,98 mkr
    assert d(summary["total"]["forecast"]) == Decimal(-263_980_000)
    assert d(summary["total"]["forecast_deviation"]) == Decimal(-4_000_000)

    staff = await get(
        client,
        trosa_reader,
        "/api/v1/summaries",
        org_unit="trosa-hemtjanst",
        year=2025,
        period=4,
        group_by="account_group",
    )
    personnel = {row["key"]: row for row in staff["rows"]}["personalkostnader"]
    assert personnel["name"] == "Personal"  # Trosa's name for the key Oxelösund calls otherwise
    ratio = d(personnel["outcome"]) / d(personnel["budget_ytd"])
    assert abs(ratio - Decimal("1.035")) < Decimal("0.0001")

    deficits = await get(
        client, trosa_reader, "/api/v1/deficits", committee_id="trosa-von", year=2025
    )
    found = {(item["level"], item["activity_code"]): item for item in deficits}
    assert d(found[("committee", None)]["forecast_deviation"]) == Decimal(-4_000_000)
    lss = found[("activity", "56")]
    assert (lss["activity_name"], d(lss["forecast_deviation"])) == (
        "Stöd enligt LSS",
        Decimal(-2_500_000),
    )
    assert lss["has_measures"]
    elderly = found[("activity", "55")]
    assert d(elderly["forecast_deviation"]) == Decimal(-1_800_000)
    assert not elderly["has_measures"]
