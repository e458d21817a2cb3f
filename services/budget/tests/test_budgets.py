"""Code lists, frames and budget versions through the API: the frame rule, reallocations with
reason/author/time, original vs revised budget, validation and org scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient

from styr_shared.orgreplica.sync import apply_feed_page
from styr_shared.testing import TokenFactory

pytestmark = pytest.mark.usefixtures("org")
BASE = "/api/v1/budgets/oxelosund-von/2026"
SETTINGS = "/api/v1/municipalities/oxelosund"


def d(value: Any) -> Decimal:
    return Decimal(str(value))


@pytest.fixture
async def dims(client: AsyncClient, settings_writer: dict[str, str]) -> None:
    calls = [
        ("/fiscal-years/2026", {"follow_up_months": [10, 3, 4, 8]}),
        ("/activity-codes/55", {"name": "Vård och omsorg, SoL och HSL"}),
        ("/activity-codes/56", {"name": "Insatser enl LSS"}),
        ("/account-groups/personal", {"name": "Personalkostnader", "kind": "cost"}),
        ("/account-groups/avgifter", {"name": "Avgiftsintäkter", "kind": "revenue"}),
        ("/account-groups/anslag", {"name": "Anslag", "kind": "allocation"}),
    ]
    for path, body in calls:
        response = await client.put(SETTINGS + path, json=body, headers=settings_writer)
        assert response.status_code == 200, response.text


def line(org_unit: str, code: str, group: str, amount: Any, **extra: Any) -> dict[str, Any]:
    return {
        "org_unit_id": org_unit,
        "activity_code": code,
        "account_group": group,
        "amount": amount,
        **extra,
    }


ORIGINAL = [
    line("oxelosund-sabo", "55", "personal", "-80 000", unit="tkr"),
    line("oxelosund-hemtjanst", "55", "avgifter", "1,5 mkr"),
    line("oxelosund-lss", "56", "personal", -21500000),
]  # net −100 000 tkr


async def test_dimensions_are_data(
    client: AsyncClient,
    settings_writer: dict[str, str],
    controller: dict[str, str],
    reader: dict[str, str],
    dims: None,
) -> None:
    years = (await client.get(f"{SETTINGS}/fiscal-years", headers=reader)).json()
    assert years == [{"year": 2026, "follow_up_months": [3, 4, 8, 10], "closed": False}]
    groups = (await client.get(f"{SETTINGS}/account-groups", headers=reader)).json()
    assert {g["key"]: g["kind"] for g in groups}["anslag"] == "allocation"
    mapping = await client.post(
        f"{SETTINGS}/account-mappings",
        json={"account_from": 5000, "account_to": 5999, "account_group": "personal"},
        headers=settings_writer,
    )
    assert mapping.status_code == 201
    overlap = await client.post(
        f"{SETTINGS}/account-mappings",
        json={"account_from": 5500, "account_to": 6000, "account_group": "personal"},
        headers=settings_writer,
    )
    assert overlap.status_code == 409
    unknown_unit = await client.put(
        f"{SETTINGS}/object-mappings/1/7999",
        json={"org_unit_id": "nowhere"},
        headers=settings_writer,
    )
    assert unknown_unit.status_code == 422
    assert unknown_unit.json()["errors"][0]["field"] == "body.org_unit_id"
    bad_kind = await client.put(
        f"{SETTINGS}/account-groups/x", json={"name": "X", "kind": "other"}, headers=settings_writer
    )
    assert bad_kind.status_code == 422
    assert (
        await client.put(f"{SETTINGS}/activity-codes/99", json={"name": "X"}, headers=reader)
    ).status_code == 403
    # the committee's controller shares the settings with every unit: it may not change them
    assert (
        await client.put(f"{SETTINGS}/activity-codes/99", json={"name": "X"}, headers=controller)
    ).status_code == 403
    unknown_municipality = await client.get(
        "/api/v1/municipalities/nowhere/fiscal-years", headers=reader
    )
    assert unknown_municipality.status_code == 404


async def test_frame_and_original_budget(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    frame = await client.put(f"{BASE}/frame", json={"amount": "100,000 tkr"}, headers=controller)
    assert frame.status_code == 200, frame.text
    assert d(frame.json()["frame_net_amount"]) == Decimal("-100000000.00")

    short = [*ORIGINAL[:2], line("oxelosund-lss", "56", "personal", -21000000)]
    refused = await client.post(
        f"{BASE}/versions",
        json={"kind": "original", "label": "Internbudget 2026", "lines": short, "adopt": True},
        headers=controller,
    )
    assert refused.status_code == 422
    assert "gap 500000.00" in refused.json()["detail"]
    assert (await client.get(BASE, headers=reader)).json()["versions"] == []

    draft = await client.post(
        f"{BASE}/versions",
        json={"kind": "original", "label": "Internbudget 2026", "lines": short},
        headers=controller,
    )
    assert draft.status_code == 201, draft.text
    status = (await client.get(BASE, headers=reader)).json()
    assert d(status["gap"]) == Decimal("500000.00")
    assert status["original_total"] is None
    assert (await client.post(f"{BASE}/versions/1/adopt", headers=controller)).status_code == 422
    # the frame may still change while nothing is adopted; the draft is then checked against it
    reframed = await client.put(f"{BASE}/frame", json={"amount": "99,500 tkr"}, headers=controller)
    assert d(reframed.json()["gap"]) == 0
    adopted = await client.post(f"{BASE}/versions/1/adopt", headers=controller)
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["status"] == "adopted"
    status = (await client.get(BASE, headers=reader)).json()
    assert d(status["original_total"]) == d(status["frame_net_amount"]) == Decimal("-99500000.00")


async def test_reallocation_keeps_original_and_revised(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    await client.put(f"{BASE}/frame", json={"amount": 100000, "unit": "tkr"}, headers=controller)
    adopted = await client.post(
        f"{BASE}/versions",
        json={"kind": "original", "label": "Internbudget 2026", "lines": ORIGINAL, "adopt": True},
        headers=controller,
    )
    assert adopted.status_code == 201, adopted.text
    assert adopted.json()["status"] == "adopted"

    moves = [
        line("oxelosund-sabo", "55", "personal", "2 000 tkr"),
        line("oxelosund-lss", "56", "personal", "-2 000 tkr"),
    ]
    no_reason = await client.post(
        f"{BASE}/versions",
        json={"kind": "reallocation", "label": "Omfördelning", "lines": moves, "adopt": True},
        headers=controller,
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "body.reason"
    unbalanced = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "reallocation",
            "label": "Omfördelning",
            "reason": "Fler platser på SÄBO",
            "lines": moves[:1],
            "adopt": True,
        },
        headers=controller,
    )
    assert unbalanced.status_code == 422
    moved = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "reallocation",
            "label": "Omfördelning mars",
            "reason": "LSS-kostnader flyttas till SÄBO",
            "lines": moves,
            "adopt": True,
        },
        headers=controller,
    )
    assert moved.status_code == 201, moved.text
    version = moved.json()
    assert (version["number"], version["created_by"], version["reason"]) == (
        2,
        "controller",
        "LSS-kostnader flyttas till SÄBO",
    )
    assert version["adopted_at"]

    original = (await client.get(f"{BASE}/lines", params={"version": 1}, headers=reader)).json()
    revised = (await client.get(f"{BASE}/lines", headers=reader)).json()
    amounts = {item["org_unit_id"]: d(item["amount"]) for item in revised["lines"]}
    assert amounts["oxelosund-sabo"] == Decimal("-78000000.00")
    assert amounts["oxelosund-lss"] == Decimal("-23500000.00")
    assert {i["org_unit_id"]: d(i["amount"]) for i in original["lines"]}["oxelosund-sabo"] == (
        Decimal("-80000000.00")
    )
    assert d(original["total"]) == d(revised["total"]) == Decimal("-100000000.00")

    summary = await client.get(
        "/api/v1/summaries",
        params={"org_unit": "oxelosund-so", "year": 2026, "budget": "original", "unit": "tkr"},
        headers=reader,
    )
    assert d(summary.json()["total"]["budget"]) == Decimal(-21500)
    frame_change = await client.put(f"{BASE}/frame", json={"amount": 1}, headers=controller)
    assert frame_change.status_code == 409

    revision = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "revision",
            "label": "Tilläggsanslag",
            "reason": "KF beslut om tilläggsanslag",
            "frame_amount": "100 001 tkr",
            "unit": "tkr",
            "lines": [line("oxelosund-sabo", "55", "personal", -1, unit="tkr")],
            "adopt": True,
        },
        headers=controller,
    )
    assert revision.status_code == 201, revision.text
    status = (await client.get(BASE, headers=reader)).json()
    assert d(status["frame_net_amount"]) == Decimal("-100001000.00")
    assert d(status["original_frame_net_amount"]) == Decimal("-100000000.00")


async def test_line_validation_and_scope(
    client: AsyncClient, controller: dict[str, str], tokens: TokenFactory, dims: None
) -> None:
    await client.put(f"{BASE}/frame", json={"amount": "100 mkr"}, headers=controller)
    bad = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "original",
            "label": "X",
            "lines": [
                line("nowhere", "55", "personal", 1),
                line("oxelosund-sabo", "99", "anslag", 1),
                line("oxelosund-ks", "55", "personal", "12,345,6"),
            ],
        },
        headers=controller,
    )
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.json()["errors"]}
    assert fields == {"body.lines.2.amount"}
    bad = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "original",
            "label": "X",
            "lines": [
                line("nowhere", "55", "personal", 1),
                line("oxelosund-sabo", "99", "anslag", 1),
                line("oxelosund-ks", "55", "personal", 1),
            ],
        },
        headers=controller,
    )
    fields = {error["field"] for error in bad.json()["errors"]}
    assert fields == {
        "body.lines.0.org_unit_id",
        "body.lines.1.activity_code",
        "body.lines.1.account_group",
        "body.lines.2.org_unit_id",
    }
    so_controller = tokens.headers("controller", org_units=["oxelosund-so"])
    forbidden = await client.post(
        f"{BASE}/versions",
        json={"kind": "original", "label": "X", "lines": ORIGINAL},
        headers=so_controller,
    )
    assert forbidden.status_code == 403
    unknown = await client.put(
        "/api/v1/budgets/nowhere/2026/frame", json={"amount": 1}, headers=controller
    )
    assert unknown.status_code == 422
    no_year = await client.put(
        "/api/v1/budgets/oxelosund-von/2030/frame", json={"amount": 1}, headers=controller
    )
    assert no_year.status_code == 422
    extra = await client.put(f"{BASE}/frame", json={"amount": 1, "x": 1}, headers=controller)
    assert extra.status_code == 422
    assert (await client.get(BASE)).status_code == 401


async def test_summary_input_errors(client: AsyncClient, reader: dict[str, str]) -> None:
    url = "/api/v1/summaries"
    # no figures for a unit the service does not know: 404, not zeros
    unknown = await client.get(url, params={"org_unit": "nowhere", "year": 2026}, headers=reader)
    assert unknown.status_code == 404
    bad_period = await client.get(
        url, params={"org_unit": "oxelosund-von", "year": 2026, "period": 13}, headers=reader
    )
    assert bad_period.status_code == 422
    assert bad_period.json()["errors"][0]["field"] == "query.period"
    bad_group = await client.get(
        url, params={"org_unit": "oxelosund-von", "year": 2026, "group_by": "x"}, headers=reader
    )
    assert bad_group.status_code == 422
    assert (
        await client.get(url, params={"org_unit": "oxelosund-von", "year": 2026})
    ).status_code == 401
    empty = await client.get(
        url, params={"org_unit": "oxelosund-von", "year": 2026}, headers=reader
    )
    assert empty.status_code == 200
    assert empty.json()["rows"] == []
    assert empty.json()["total"]["budget"] is None


async def test_closed_units_get_no_budget(
    client: AsyncClient, app: Any, controller: dict[str, str], dims: None
) -> None:
    # SOF was merged into VOF at the end of 2022; the replica carries its validity.
    async with app.state.database.session() as session:
        await apply_feed_page(
            session,
            {
                "items": [
                    {
                        "seq": 100,
                        "unit_id": "oxelosund-sof",
                        "kind": "created",
                        "after": {
                            "id": "oxelosund-sof",
                            "code": "SOF",
                            "name": "Socialförvaltningen",
                            "level": "administration",
                            "parent_id": "oxelosund-von",
                            "valid_to": "2022-12-31",
                        },
                    }
                ],
                "cursor": "100",
                "has_more": False,
            },
        )
    await client.put(f"{BASE}/frame", json={"amount": "1 kr"}, headers=controller)
    response = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "original",
            "label": "X",
            "lines": [line("oxelosund-sof", "55", "personal", -1)],
        },
        headers=controller,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "body.lines.0.org_unit_id",
        "message": "the unit is not valid in 2026",
        "type": "invalid",
    }
