"""Forecasts per follow-up month, the deficit rule and measures; investments and carry-over."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient

from styr_shared.testing import TokenFactory

pytestmark = pytest.mark.usefixtures("demo")


def d(value: Any) -> Decimal:
    return Decimal(str(value))


async def deficits(client: AsyncClient, headers: dict[str, str], **params: Any) -> list[Any]:
    query = {"committee_id": "oxelosund-von", "year": 2023, **params}
    response = await client.get("/api/v1/deficits", params=query, headers=headers)
    assert response.status_code == 200, response.text
    result: list[Any] = response.json()
    return result


def measure(activity: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "committee_id": "oxelosund-von",
        "year": 2023,
        "month": 10,
        "activity_code": activity,
        "description": "Översyn av externa placeringar och bemanning",
        "amount": "2,5 mkr",
        "responsible": "Sektionschef SO",
        **extra,
    }


async def test_deficits_without_measures_until_measures_are_recorded(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    everything = await deficits(client, reader)
    found = [f for f in everything if f["level"] != "org_unit"]
    assert [(f["activity_code"], d(f["forecast_deviation"])) for f in found] == [
        (None, Decimal("-3596000.00")),
        ("11", Decimal("-12000.00")),
        ("54", Decimal("-497000.00")),
        ("56", Decimal("-6801000.00")),
        ("58", Decimal("-7000.00")),
    ]
    # the units below the committee, each with its subtree (11 Nämndverksamhet sits at the
    # committee itself, so the administration shows 12 000 kr less than the committee)
    assert [
        (f["org_unit_id"], d(f["forecast_deviation"]))
        for f in everything
        if f["level"] == "org_unit"
    ] == [
        ("oxelosund-ifo", Decimal("-497000.00")),
        ("oxelosund-lss", Decimal("-6801000.00")),
        ("oxelosund-so", Decimal("-6421000.00")),
        ("oxelosund-vof", Decimal("-3584000.00")),
    ]
    assert all(f["month"] == 10 and not f["has_measures"] for f in everything)

    created = await client.post("/api/v1/balance-measures", json=measure("56"), headers=controller)
    assert created.status_code == 201, created.text
    assert d(created.json()["amount"]) == Decimal("2500000.00")
    open_ones = await deficits(client, reader, without_measures=True)
    assert [f["activity_code"] for f in open_ones if f["level"] != "org_unit"] == [
        None,
        "11",
        "54",
        "58",
    ]
    lss = next(f for f in await deficits(client, reader) if f["activity_code"] == "56")
    assert (lss["measures"], d(lss["measures_amount"])) == (1, Decimal("2500000.00"))

    await client.post("/api/v1/balance-measures", json=measure(None), headers=controller)
    still_open = await deficits(client, reader, without_measures=True)
    assert [f["activity_code"] for f in still_open if f["level"] != "org_unit"] == [
        "11",
        "54",
        "58",
    ]
    # a cancelled measure no longer answers the deficit
    cancelled = await client.patch(
        f"/api/v1/balance-measures/{created.json()['id']}",
        json={"status": "cancelled"},
        headers=controller,
    )
    assert cancelled.status_code == 200
    assert "56" in [
        f["activity_code"] for f in await deficits(client, reader, without_measures=True)
    ]


async def test_measure_validation_and_scope(
    client: AsyncClient, tokens: TokenFactory, reader: dict[str, str]
) -> None:
    so = tokens.headers("controller", org_units=["oxelosund-so"])
    assert (
        await client.post("/api/v1/balance-measures", json=measure("56"), headers=so)
    ).status_code == 403
    assert (
        await client.post("/api/v1/balance-measures", json=measure("56"), headers=reader)
    ).status_code == 403
    admin = tokens.headers("admin")
    bad = await client.post(
        "/api/v1/balance-measures", json=measure("99", status="maybe"), headers=admin
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.status"
    unknown = await client.post("/api/v1/balance-measures", json=measure("99"), headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.activity_code"


async def test_forecasts_per_follow_up_month(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    lines = [
        {"org_unit_id": "oxelosund-lss", "activity_code": "56", "amount": "-67 000 tkr"},
        {"org_unit_id": "oxelosund-ao", "activity_code": "55", "amount": "-218,5 mkr"},
    ]
    not_follow_up = await client.put(
        "/api/v1/forecasts/2025/5", json={"lines": lines}, headers=controller
    )
    assert not_follow_up.status_code == 422
    assert not_follow_up.json()["errors"][0]["field"] == "path.month"
    saved = await client.put("/api/v1/forecasts/2025/4", json={"lines": lines}, headers=controller)
    assert saved.status_code == 200, saved.text
    mixed = await client.put(
        "/api/v1/forecasts/2025/4",
        json={
            "lines": [
                {
                    "org_unit_id": "oxelosund-lss",
                    "activity_code": "56",
                    "account_group": "netto",
                    "amount": -1,
                }
            ]
        },
        headers=controller,
    )
    assert mixed.status_code == 422

    summary = await client.get(
        "/api/v1/summaries",
        params={"org_unit": "oxelosund-von", "year": 2025, "period": 6, "unit": "tkr"},
        headers=reader,
    )
    body = summary.json()
    assert body["forecast_month"] == 4
    rows = {row["key"]: row for row in body["rows"]}
    assert d(rows["56"]["forecast_deviation"]) == Decimal(-844)  # −67 000 − (−66 156)
    assert d(rows["55"]["forecast_deviation"]) == Decimal(208)  # −218 500 − (−218 708)
    # activities nobody forecast count at budget: −370 697 + (−844 + 208)
    assert d(body["total"]["forecast"]) == Decimal(-371333)
    assert d(body["total"]["forecast_deviation"]) == Decimal(-636)

    found = await deficits(client, reader, year=2025)
    assert [(f["level"], f["activity_code"] or f["org_unit_id"], f["month"]) for f in found] == [
        ("committee", None, 4),
        ("activity", "56", 4),
        ("org_unit", "oxelosund-lss", 4),
        ("org_unit", "oxelosund-so", 4),
        ("org_unit", "oxelosund-vof", 4),  # −844 at LSS, +208 at ÄO
    ]
    assert (await deficits(client, reader, year=2025, month=3)) == []


async def test_investment_outcome_and_carry_over(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], tokens: TokenFactory
) -> None:
    url = "/api/v1/investments/INV-AO-03"
    early = await client.post(
        f"{url}/carry-overs",
        json={"from_year": 2025, "reason": "Leveransförsening"},
        headers=controller,
    )
    assert early.status_code == 422
    year = await client.put(
        f"{url}/years/2025", json={"outcome": "90 tkr", "forecast": 90000}, headers=controller
    )
    assert year.status_code == 200, year.text
    too_much = await client.post(
        f"{url}/carry-overs",
        json={"from_year": 2025, "amount": "61 tkr", "reason": "Leveransförsening"},
        headers=controller,
    )
    assert too_much.status_code == 422
    carried = await client.post(
        f"{url}/carry-overs",
        json={"from_year": 2025, "reason": "Leveransförsening"},
        headers=controller,
    )
    assert carried.status_code == 201, carried.text
    assert (d(carried.json()["amount"]), carried.json()["to_year"]) == (Decimal("60000.00"), 2026)
    again = await client.post(
        f"{url}/carry-overs", json={"from_year": 2025, "reason": "Igen"}, headers=controller
    )
    assert again.status_code == 409
    totals = (
        await client.get(
            "/api/v1/investments/totals",
            params={"org_unit": "oxelosund-ao", "year": 2026, "unit": "tkr"},
            headers=reader,
        )
    ).json()
    assert (d(totals["budget"]), d(totals["carried_in"]), d(totals["available"])) == (
        Decimal(2110),
        Decimal(60),
        Decimal(2170),
    )
    so = tokens.headers("controller", org_units=["oxelosund-so"])
    assert (
        await client.put(f"{url}/years/2025", json={"outcome": 1}, headers=so)
    ).status_code == 403
    new = await client.put(
        "/api/v1/investments/INV-NEW-1",
        json={"name": "Larm", "category": "ÄO, Utrustning", "org_unit_id": "nowhere"},
        headers=controller,
    )
    assert new.status_code == 422


async def test_result_report_replaces_and_explains(
    client: AsyncClient, tokens: TokenFactory, reader: dict[str, str]
) -> None:
    so = tokens.headers("controller", org_units=["oxelosund-so"], subject="so-controller")
    body = {
        "unit": "tkr",
        "result": "-1 200",
        "explanations": [
            {"label": "Insatser enligt LSS", "activity_code": "56", "amount": -1500},
            {"label": "Integration", "amount": "0,2 mkr", "cause": "Statsbidrag"},
        ],
    }
    saved = await client.put("/api/v1/result-reports/oxelosund-so/2025/8", json=body, headers=so)
    assert saved.status_code == 200, saved.text
    report = saved.json()["reports"][0]
    assert (d(report["result"]), d(report["explained"]), d(report["unexplained"])) == (
        Decimal("-1200000.00"),
        Decimal("-1300000.00"),
        Decimal("100000.00"),
    )
    assert report["created_by"] == "so-controller"
    again = await client.put(
        "/api/v1/result-reports/oxelosund-so/2025/8",
        json={"result": 0, "explanations": []},
        headers=so,
    )
    assert again.json()["reports"][0]["explanations"] == []
    forbidden = await client.put(
        "/api/v1/result-reports/oxelosund-ao/2025/8", json=body, headers=so
    )
    assert forbidden.status_code == 403
    bad = {**body, "explanations": [{"label": "X", "activity_code": "99", "amount": 1}]}
    invalid = await client.put("/api/v1/result-reports/oxelosund-so/2025/8", json=bad, headers=so)
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "body.explanations.0.activity_code"
    listed = await client.get(
        "/api/v1/result-reports",
        params={"org_unit": "oxelosund-von", "year": 2025, "month": 8},
        headers=reader,
    )
    assert [r["org_unit_id"] for r in listed.json()["reports"]] == ["oxelosund-so"]


async def test_demo_forecast_deviation_is_the_same_for_every_grouping(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    # the regression: by account group the activity forecasts were counted twice
    # (−353 639 tkr instead of +3 337 tkr)
    for group_by in ("none", "activity", "org_unit", "account_group"):
        response = await client.get(
            "/api/v1/summaries",
            params={
                "org_unit": "oxelosund-von",
                "year": 2024,
                "period": 12,
                "unit": "tkr",
                "group_by": group_by,
            },
            headers=reader,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert d(body["total"]["forecast_deviation"]) == Decimal(3337), group_by
        assert d(body["total"]["forecast"]) == Decimal(-353639), group_by
    # the activity forecasts are not split by account group: their deviation is one row
    unspecified = next(row for row in body["rows"] if row["key"] is None)
    assert d(unspecified["forecast_deviation"]) == Decimal(3337)


async def test_one_line_forecast_worse_than_budget_is_a_deficit_at_every_level(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    # 2025 has a budget and no forecasts: forecast one personnel line at LSS 1 000 tkr worse
    lines = await client.get("/api/v1/budgets/oxelosund-von/2025/lines", headers=reader)
    assert lines.status_code == 200, lines.text
    line = next(
        item
        for item in lines.json()["lines"]
        if item["org_unit_id"] == "oxelosund-lss" and item["activity_code"] == "56"
    )
    worse = d(line["amount"]) - 1_000_000
    saved = await client.put(
        "/api/v1/forecasts/2025/4",
        json={
            "lines": [
                {
                    "org_unit_id": "oxelosund-lss",
                    "activity_code": "56",
                    "account_group": line["account_group"],
                    "amount": str(worse),
                }
            ]
        },
        headers=controller,
    )
    assert saved.status_code == 200, saved.text
    summary = await client.get(
        "/api/v1/summaries",
        params={"org_unit": "oxelosund-von", "year": 2025, "period": 4, "group_by": "none"},
        headers=reader,
    )
    assert d(summary.json()["total"]["forecast_deviation"]) == Decimal(-1_000_000)
    found = await deficits(client, reader, year=2025)
    assert [
        (f["level"], f["activity_code"] or f["org_unit_id"], d(f["forecast_deviation"]))
        for f in found
    ] == [
        ("committee", None, Decimal(-1_000_000)),
        ("activity", "56", Decimal(-1_000_000)),
        ("org_unit", "oxelosund-lss", Decimal(-1_000_000)),
        ("org_unit", "oxelosund-so", Decimal(-1_000_000)),
        ("org_unit", "oxelosund-vof", Decimal(-1_000_000)),
    ]
    # a measure for the unit answers the unit's deficit only
    created = await client.post(
        "/api/v1/balance-measures",
        json=measure(None, year=2025, month=4, org_unit_id="oxelosund-lss"),
        headers=controller,
    )
    assert created.status_code == 201, created.text
    open_ones = await deficits(client, reader, year=2025, without_measures=True)
    assert [f["org_unit_id"] for f in open_ones if f["level"] == "org_unit"] == [
        "oxelosund-so",
        "oxelosund-vof",
    ]
    both = await client.post(
        "/api/v1/balance-measures",
        json=measure("56", year=2025, month=4, org_unit_id="oxelosund-lss"),
        headers=controller,
    )
    assert both.status_code == 422
    assert both.json()["errors"][0]["field"] == "body.org_unit_id"
    outside = await client.post(
        "/api/v1/balance-measures",
        json=measure(None, year=2025, month=4, org_unit_id="oxelosund-ks"),
        headers=controller,
    )
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "body.org_unit_id"
