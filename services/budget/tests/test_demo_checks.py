"""The Oxelösund demo data reproduces the fixture's `checks` through the API.

Each test names the check ids it proves. Figures are asserted exactly (Decimal), against
literal totals from the papers and against every row of the copied fixture.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient

from styr_budget.demo.loader import load_fixture

pytestmark = pytest.mark.usefixtures("demo")
FIXTURE = load_fixture()
IB25 = FIXTURE["internal_budget_2025"]
IB24 = FIXTURE["internal_budget_2024"]
AG = FIXTURE["outcome_2024_by_account_group"]
INV = FIXTURE["investment_budget_2025_2027"]


def d(value: Any) -> Decimal:
    assert value is not None
    return Decimal(str(value))


async def summary(client: AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    query = {"org_unit": "oxelosund-von", "unit": "tkr", **params}
    response = await client.get("/api/v1/summaries", params=query, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def by_key(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in result["rows"]}


async def test_frame_2025_equals_net_budget(client: AsyncClient, reader: dict[str, str]) -> None:
    # ib2025_frame_equals_net_budget, ib2025_total_budget_2025
    status = (await client.get("/api/v1/budgets/oxelosund-von/2025", headers=reader)).json()
    assert d(status["frame_amount"]) == Decimal("370697000.00")
    assert d(status["frame_net_amount"]) == d(status["revised_total"]) == Decimal("-370697000.00")
    assert d(status["gap"]) == 0
    result = await summary(client, reader, year=2025)
    assert d(result["total"]["budget"]) == Decimal(-370697)
    rows = by_key(result)
    for line in IB25["lines"]:
        assert d(rows[line["code"]]["budget"]) == d(line["budget_2025"]), line["code"]


async def test_budget_2025_against_revised_2024(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    # ib2025_total_budget_2024, ib2025_total_change, ib2025_rows_budget2024_plus_change,
    # ib2025_total_budget2024_plus_change
    result = await summary(client, reader, year=2025)
    total = result["total"]["previous_year"]
    assert d(total["budget"]) == Decimal(-356976)
    assert d(total["budget_change"]) == Decimal(-13721)
    rows = by_key(result)
    for line in IB25["lines"]:
        row = rows[line["code"]]
        assert d(row["previous_year"]["budget"]) == d(line["budget_2024"]), line["code"]
        assert d(row["previous_year"]["budget_change"]) == d(line["change"]), line["code"]


async def test_october_2024_forecast_deviation(client: AsyncClient, reader: dict[str, str]) -> None:
    # ib2025_total_forecast_2024_oct, ib2025_total_forecast_deviation_2024,
    # ib2025_forecast_deviation_total_3337 (the revised 2024 budget is the basis)
    result = await summary(client, reader, year=2024, period=10)
    assert result["forecast_month"] == 10
    assert result["deviation_basis"] == "forecast"
    assert d(result["total"]["forecast"]) == Decimal(-353639)
    assert d(result["total"]["budget"]) == Decimal(-356976)
    assert d(result["total"]["deviation"]) == Decimal(3337)
    rows = by_key(result)
    for line in IB25["lines"]:
        row = rows[line["code"]]
        assert d(row["forecast"]) == d(line["forecast_2024_oct"]), line["code"]
        assert d(row["deviation"]) == d(line["forecast_deviation_2024"]), line["code"]
    assert d(rows["62"]["forecast"]) == Decimal(1707)  # Integration: a net surplus


async def test_mb_2024_original_vs_revised(client: AsyncClient, reader: dict[str, str]) -> None:
    # ib2024_net_total_budget_2024, ib2024_frame_equals_net_budget, ib2024_net_total_change,
    # ib2024_net_rows_budget2023_plus_change, ib2024_net_total_budget_2023
    status = (await client.get("/api/v1/budgets/oxelosund-von/2024", headers=reader)).json()
    assert d(status["original_frame_net_amount"]) == Decimal("-348937000.00")
    assert d(status["original_total"]) == Decimal("-348937000.00")
    assert d(status["revised_total"]) == d(status["frame_net_amount"]) == Decimal("-356976000.00")
    assert [v["kind"] for v in status["versions"]] == ["original", "revision"]
    assert status["versions"][1]["reason"]

    original = await summary(client, reader, year=2024, budget="original")
    assert d(original["total"]["budget"]) == Decimal(-348937)
    assert d(original["total"]["previous_year"]["budget"]) == Decimal(-333088)
    assert d(original["total"]["previous_year"]["budget_change"]) == Decimal(-15849)
    rows = by_key(original)
    for line in IB24["lines"]:
        row = rows[line["code"]]
        assert d(row["budget"]) == d(line["net"]["budget_2024"]), line["code"]
        assert d(row["previous_year"]["budget"]) == d(line["net"]["budget_2023"]), line["code"]
        assert d(row["previous_year"]["budget_change"]) == d(line["net"]["change"]), line["code"]
    revised = await summary(client, reader, year=2024)
    assert d(revised["total"]["budget"]) == Decimal(-356976)


@pytest.mark.parametrize(("kind", "part"), [("revenue", "revenue"), ("cost", "cost")])
async def test_mb_2024_revenue_and_cost(
    client: AsyncClient, reader: dict[str, str], kind: str, part: str
) -> None:
    # ib2024_{revenue,cost}_total_{budget_2023,change,budget_2024},
    # ib2024_{revenue,cost}_rows_budget2023_plus_change, ib2024_*_net_eq_rev_plus_cost_*
    result = await summary(client, reader, year=2024, budget="original", kind=kind)
    totals = IB24["totals"][part]
    assert d(result["total"]["budget"]) == d(totals["budget_2024"])
    assert d(result["total"]["previous_year"]["budget"]) == d(totals["budget_2023"])
    assert d(result["total"]["previous_year"]["budget_change"]) == d(totals["change"])
    rows = by_key(result)
    for line in IB24["lines"]:
        expected = d(line[part]["budget_2024"])
        row = rows.get(line["code"])
        assert (d(row["budget"]) if row else Decimal(0)) == expected, line["code"]


async def test_october_2023_forecast_deviation(client: AsyncClient, reader: dict[str, str]) -> None:
    # ib2024_forecast_deviation_total_-3596, ib2024_LSS_forecast_deviation_-6801,
    # ib2024_forecast_deviation_rows, ib2024_net_total_forecast_2023_oct,
    # ib2024_forecast_deviation_total_matches_totals
    result = await summary(client, reader, year=2023, period=10)
    assert d(result["total"]["forecast"]) == Decimal(-336684)
    assert d(result["total"]["budget"]) == Decimal(-333088)
    assert d(result["total"]["deviation"]) == Decimal(-3596)
    rows = by_key(result)
    assert d(rows["56"]["deviation"]) == Decimal(-6801)
    for line in IB24["lines"]:
        assert d(rows[line["code"]]["deviation"]) == d(line["net"]["forecast_deviation_2023"])
        assert d(rows[line["code"]]["forecast"]) == d(line["net"]["forecast_2023_oct"])
    for kind, part in (("revenue", "revenue"), ("cost", "cost")):
        split = await summary(client, reader, year=2023, period=10, kind=kind)
        assert d(split["total"]["forecast"]) == d(IB24["totals"][part]["forecast_2023_oct"])


async def test_outcome_2024_by_account_group(client: AsyncClient, reader: dict[str, str]) -> None:
    # ag_result_2024, ag_result_2023 (tolerance 0,1), ag_change_percent,
    # ag_deviations_sum_to_result, outcome_result_matches_account_groups
    result = await summary(client, reader, year=2024, group_by="account_group", unit="mkr")
    rows = by_key(result)
    for row in AG["rows"]:
        got = rows[row["key"]]
        assert d(got["papers"]["outcome"]) == d(row["outcome_2024"]), row["key"]
        assert d(got["papers"]["previous_year_outcome"]) == d(row["outcome_2023"]), row["key"]
        assert d(got["previous_year"]["outcome_change_percent"]) == d(row["change_percent"])
    assert d(rows["personalkostnader"]["outcome"]) == Decimal("-270.3")  # stored sign
    total = result["total"]
    assert d(total["result_outcome"]) == Decimal("3.6")
    assert d(total["allocation_outcome"]) == Decimal("357")
    assert d(total["outcome"]) == Decimal("-353.4")
    prev_result = d(total["previous_year_result_outcome"])
    assert prev_result == Decimal("5.3")  # rounded inputs; the paper prints 5,2
    assert abs(prev_result - d(AG["result"]["outcome_2023"])) <= Decimal("0.1")
    # Year end: deviation = outcome − revised budget = −353,4 − (−356,976) ≈ the 3,6 result.
    assert result["deviation_basis"] == "outcome"
    assert d(total["budget"]) == Decimal("-356.976")
    assert d(total["deviation"]) == Decimal("3.576")
    assert d(total["deviation"]).quantize(Decimal("0.1")) == d(AG["result"]["outcome_2024"])
    # ag_derived_budget_balances: revenues including the allocation cover the costs, i.e. the
    # net budget uses exactly the allocation (frame), so the budgeted result is 0 ...
    assert d(total["allocation_budget"]) == Decimal("356.976")
    assert d(total["result_budget"]) == 0
    # ... and the result against the allocation is the printed 3,6 mkr.
    assert d(total["result_deviation"]) == Decimal("3.6")


@pytest.mark.parametrize(
    ("org_unit", "totals"),
    [
        ("oxelosund-von", {2025: 3310, 2026: 3910, 2027: 3610}),
        ("oxelosund-so", {2025: 1200, 2026: 1800, 2027: 1200}),
        ("oxelosund-ao", {2025: 2110, 2026: 2110, 2027: 2410}),
    ],
)
async def test_investment_totals(
    client: AsyncClient, reader: dict[str, str], org_unit: str, totals: dict[int, int]
) -> None:
    # inv_total_*, inv_sections_*, inv_SO_subtotal_*
    for year, expected in totals.items():
        response = await client.get(
            "/api/v1/investments/totals",
            params={"org_unit": org_unit, "year": year, "unit": "tkr"},
            headers=reader,
        )
        assert response.status_code == 200, response.text
        assert d(response.json()["budget"]) == Decimal(expected)
    assert d(INV["total"]["2025"]) == Decimal(3310)


async def test_investment_objects_keep_duplicate_names(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    first = (await client.get("/api/v1/investments", params={"limit": 10}, headers=reader)).json()
    rest = await client.get(
        "/api/v1/investments", params={"cursor": first["next_cursor"]}, headers=reader
    )
    objects = first["items"] + rest.json()["items"]
    assert len(objects) == 18
    assert rest.json()["next_cursor"] is None
    names = [o["name"] for o in objects]
    assert names.count("Inventarier äldreomsorg") == 2
    b = next(o for o in objects if o["id"] == "INV-SO-05")
    assert [(y["year"], d(y["budget"])) for y in b["years"]] == [(2026, Decimal("600000.00"))]


async def test_section_results_2024(client: AsyncClient, reader: dict[str, str]) -> None:
    # section_results_sum, section_SO_larger_deviations_sum,
    # section_AO_larger_deviations_partial, outcome_result_matches_account_groups
    response = await client.get(
        "/api/v1/result-reports",
        params={"org_unit": "oxelosund-von", "year": 2024, "unit": "mkr"},
        headers=reader,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    reports = {r["org_unit_id"]: r for r in body["reports"]}
    so, ao = reports["oxelosund-so"], reports["oxelosund-ao"]
    assert (d(so["result"]), d(so["explained"]), d(so["unexplained"])) == (
        Decimal("5.6"),
        Decimal("5.6"),
        Decimal(0),
    )
    assert len(so["explanations"]) == 9
    # only the larger ÄO deviations are listed: −2,4 against the result −2,0
    assert (d(ao["result"]), d(ao["explained"]), d(ao["unexplained"])) == (
        Decimal("-2"),
        Decimal("-2.4"),
        Decimal("0.4"),
    )
    assert d(body["reported_total"]) == Decimal("3.6")
    # the reported section results reconcile with the ledger's result by account group
    assert d(body["ledger_result"]) == d(body["reported_total"]) == d(AG["result"]["outcome_2024"])
    lss = next(e for e in so["explanations"] if e["label"] == "Insatser enligt LSS")
    assert (lss["activity_code"], d(lss["amount"])) == ("56", Decimal("4.4"))
