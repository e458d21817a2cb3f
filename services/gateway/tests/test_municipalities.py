"""A new municipality in a running deployment: all four services as their own processes with the
demo data (Oxelösund and Trosa), over real HTTP.

The deployment's operator creates Gnesta with a committee coded ``VON`` (as Oxelösund's); its
admin and controller set up its fiscal year months, an activity code Oxelösund also has, a case
category of its own and its own reference series, and work in it through REST and GraphQL. Its
units are usable in budget and deviations at once (the replicas pull the feed on a miss), its
series starts at 1, and nothing it does, nor anything it tries on Oxelösund, changes what
Oxelösund sees in any service, over REST or GraphQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from styr_gateway.dashboard import DASHBOARD_QUERY
from styr_shared.testing import TokenFactory, create_test_database, drop_test_database

from .conftest import gateway_server
from .processes import service_process, wait_for

GraphQL = Callable[..., Awaitable[httpx.Response]]
OXD, GNESTA = "oxelosund", "gnesta"
THIS_YEAR = datetime.now(ZoneInfo("Europe/Stockholm")).year
SUMMARY = {"org_unit": "oxelosund-von", "year": 2024, "period": 12, "group_by": "activity"}
STATISTICS = {"org_unit_id": "oxelosund-von", "from_year": 2024, "to_year": 2024}
MUNICIPALITY_QUERY = """
query Municipality($id: ID!, $year: Int) {
  municipality(id: $id) {
    id code name
    fiscalYears { year followUpMonths closed }
    deviationCategories(year: $year) { code label source }
    caseSettings { referenceFormat seriesScope intakeUnitId suppressionThreshold stored }
    orgUnit { id code municipalityId }
  }
}
"""


@dataclass
class Deployment:
    goals: str
    budget: str
    deviations: str
    gateway: str


@pytest.fixture(scope="module")
async def deployment(
    db_backend: str, tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory
) -> AsyncIterator[Deployment]:
    names = ("goals", "budget", "deviations")
    urls = [
        await create_test_database(db_backend, tmp_path_factory.mktemp(name), label=name)
        for name in names
    ]
    reader = tokens.headers("reader", org_units=[OXD])
    try:
        with service_process("goals", urls[0], "") as goals:
            wait_for(goals, "/api/v1/org-units/oxelosund-von", {}, reader)
            with (
                service_process("budget", urls[1], goals) as budget,
                service_process("deviations", urls[2], goals) as deviations,
            ):
                wait_for(budget, "/api/v1/summaries", SUMMARY, reader)
                wait_for(deviations, "/api/v1/statistics", STATISTICS, reader)
                with gateway_server(
                    goals_url=goals, budget_url=budget, deviations_url=deviations
                ) as gateway:
                    yield Deployment(goals, budget, deviations, gateway)
    finally:
        for url in urls:
            await drop_test_database(url)


async def call(
    base: str, method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await client.request(method, f"/api/v1{path}", headers=headers, **kwargs)


async def ok(base: str, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
    response = await call(base, method, path, headers, **kwargs)
    assert response.status_code in (200, 201), (method, path, response.text)
    return response.json()


async def oxelosund_as_seen(
    deployment: Deployment, post: GraphQL, headers: dict[str, str]
) -> dict[str, Any]:
    """Everything of Oxelösund a second municipality could touch, over REST and GraphQL."""
    d = deployment
    seen: dict[str, Any] = {}
    for service, paths in (
        (d.goals, ["steering-config"]),
        (
            d.budget,
            [
                "fiscal-years",
                "activity-codes",
                "account-groups",
                "periodisation-keys",
                "account-mappings",
                "object-mappings",
            ],
        ),
        (d.deviations, ["categories", "case-settings"]),
    ):
        for tail in paths:
            seen[tail] = await ok(service, "GET", f"/municipalities/{OXD}/{tail}", headers)
    seen["units"] = await ok(
        d.goals, "GET", "/org-units", headers, params={"limit": 500, "municipality": OXD}
    )
    seen["summary"] = await ok(d.budget, "GET", "/summaries", headers, params=SUMMARY)
    seen["statistics"] = await ok(d.deviations, "GET", "/statistics", headers, params=STATISTICS)
    seen["cases"] = await ok(
        d.deviations, "GET", "/cases", headers, params={"org_unit_id": "oxelosund", "limit": 1}
    )
    for name, query, variables in (
        ("graph municipality", MUNICIPALITY_QUERY, {"id": OXD, "year": 2024}),
        (
            "graph dashboard",
            DASHBOARD_QUERY,
            {"unit": "oxelosund-von", "year": 2024, "period": "helar"},
        ),
    ):
        body = (await post(d.gateway, query, variables, headers)).json()
        assert "errors" not in body, body["errors"]
        seen[name] = body["data"]
    return seen


async def test_a_new_municipality_changes_nothing_of_oxelosund(
    deployment: Deployment, post: GraphQL, tokens: TokenFactory
) -> None:
    d = deployment
    operator = tokens.headers("admin", subject="operator")
    oxd_admin = tokens.headers("admin", org_units=[OXD], subject="oxd-admin")
    gnesta_admin = tokens.headers("admin", org_units=[GNESTA], subject="gnesta-admin")
    gnesta_controller = tokens.headers("controller", org_units=[GNESTA], subject="gnesta-ctl")
    before = await oxelosund_as_seen(d, post, oxd_admin)

    # The operator creates Gnesta; its committee has Oxelösund's code.
    for unit in (
        {"id": GNESTA, "code": "GNE", "name": "Gnesta kommun", "level": "municipality"},
        {
            "id": "gnesta-von",
            "code": "VON",
            "name": "Vård- och omsorgsnämnden",
            "level": "committee",
            "parent_id": GNESTA,
        },
        {
            "id": "gnesta-hemtjanst",
            "code": "HT",
            "name": "Hemtjänst",
            "level": "unit",
            "parent_id": "gnesta-von",
        },
    ):
        await ok(d.goals, "POST", "/org-units", operator, json=unit)
    # Only the operator creates municipalities; Gnesta's admin cannot add units to Oxelösund.
    refused = await call(
        d.goals,
        "POST",
        "/org-units",
        gnesta_admin,
        json={"code": "X", "name": "X", "level": "unit", "parent_id": "oxelosund-von"},
    )
    assert refused.status_code == 403

    # Gnesta's settings, by its own admin and controller, at once in every service.
    steering = await ok(d.goals, "GET", f"/municipalities/{OXD}/steering-config", operator)
    await ok(
        d.goals,
        "PUT",
        f"/municipalities/{GNESTA}/steering-config",
        gnesta_admin,
        json=steering["document"],
    )
    await ok(
        d.budget,
        "PUT",
        f"/municipalities/{GNESTA}/fiscal-years/{THIS_YEAR}",
        gnesta_controller,
        json={"follow_up_months": [4, 8, 12]},
    )
    await ok(
        d.budget,
        "PUT",
        f"/municipalities/{GNESTA}/activity-codes/55",
        gnesta_controller,
        json={"name": "Äldreomsorg i Gnesta"},
    )
    await ok(
        d.budget,
        "PUT",
        f"/municipalities/{GNESTA}/account-groups/personal",
        gnesta_controller,
        json={"name": "Personal Gnesta", "kind": "cost"},
    )
    await ok(
        d.deviations,
        "PUT",
        f"/municipalities/{GNESTA}/categories/nattfasta",
        gnesta_admin,
        json={"label": "Nattfasta", "group": "deviation"},
    )
    await ok(
        d.deviations,
        "PUT",
        f"/municipalities/{GNESTA}/case-settings",
        gnesta_admin,
        json={"reference_format": "SN {year}/{n}", "intake_unit_id": "gnesta-hemtjanst"},
    )

    # Its own series starts at 1, over REST and through the gateway.
    case = await ok(
        d.deviations,
        "POST",
        "/cases",
        gnesta_admin,
        json={
            "kind": "deviation",
            "org_unit_id": "gnesta-hemtjanst",
            "law_area": "SoL",
            "category": "nattfasta",
            "description": "Nattfastan blev för lång.",
        },
    )
    assert case["reference_number"] == f"SN {THIS_YEAR}/1"
    registered = (
        await post(
            d.gateway,
            """
        mutation { registerCase(input: {kind: "deviation", orgUnitId: "gnesta-hemtjanst",
          lawArea: "SoL", category: "nattfasta", description: "Larmet gick inte fram."})
        { referenceNumber } }""",
            None,
            gnesta_admin,
        )
    ).json()
    assert registered["data"]["registerCase"]["referenceNumber"] == f"SN {THIS_YEAR}/2"
    forecast = (
        await post(
            d.gateway,
            """
        mutation($year: Int!) { recordForecast(year: $year, month: 4, input: {
          orgUnitId: "gnesta-von", activityCode: "55", amount: "-250000"}) { amount } }""",
            {"year": THIS_YEAR},
            gnesta_controller,
        )
    ).json()
    assert "errors" not in forecast, forecast

    # What Gnesta's people try on Oxelösund is refused, in every service and in the graph.
    for service, method, path, headers, body in (
        (
            d.budget,
            "PUT",
            f"/municipalities/{OXD}/fiscal-years/{THIS_YEAR}",
            gnesta_controller,
            {"follow_up_months": [6]},
        ),
        (
            d.budget,
            "PUT",
            f"/municipalities/{OXD}/activity-codes/55",
            gnesta_admin,
            {"name": "Omdöpt"},
        ),
        (
            d.deviations,
            "PUT",
            f"/municipalities/{OXD}/categories/fall",
            gnesta_admin,
            {"label": "Omdöpt"},
        ),
        (
            d.deviations,
            "PUT",
            f"/municipalities/{OXD}/case-settings",
            gnesta_admin,
            {"reference_format": "X {year}/{n}"},
        ),
        (
            d.goals,
            "PUT",
            f"/municipalities/{OXD}/steering-config",
            gnesta_admin,
            steering["document"],
        ),
        (d.goals, "PATCH", "/org-units/oxelosund-von", gnesta_admin, {"name": "Omdöpt"}),
        (
            d.deviations,
            "POST",
            "/cases",
            gnesta_admin,
            {
                "kind": "deviation",
                "org_unit_id": "oxelosund-hemtjanst",
                "law_area": "SoL",
                "description": "Fel kommun.",
            },
        ),
    ):
        response = await call(service, method, path, headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
    foreign = (
        await post(
            d.gateway,
            """
        mutation { recordForecast(year: 2024, month: 4, input: {
          orgUnitId: "oxelosund-von", activityCode: "55", amount: "1"}) { amount } }""",
            None,
            gnesta_controller,
        )
    ).json()
    assert foreign["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Gnesta sees its own settings in the graph; Oxelösund sees exactly what it saw before.
    gnesta = (
        await post(d.gateway, MUNICIPALITY_QUERY, {"id": GNESTA, "year": THIS_YEAR}, gnesta_admin)
    ).json()["data"]["municipality"]
    assert gnesta["fiscalYears"] == [
        {"year": THIS_YEAR, "followUpMonths": [4, 8, 12], "closed": False}
    ]
    assert {"code": "nattfasta", "label": "Nattfasta", "source": "own"} in gnesta[
        "deviationCategories"
    ]
    assert gnesta["caseSettings"]["referenceFormat"] == "SN {year}/{n}"
    assert gnesta["orgUnit"] == {"id": GNESTA, "code": "GNE", "municipalityId": GNESTA}
    # Gnesta names its committee level its own way; Oxelösund's units keep the default label.
    await ok(
        d.goals,
        "PUT",
        f"/municipalities/{GNESTA}/org-levels/committee",
        gnesta_admin,
        json={"label": "Utskott", "rank": 1},
    )
    labels = (
        await post(
            d.gateway,
            """{ gnesta: orgUnit(id: "gnesta-von") { level { key label } }
                 oxd: orgUnit(id: "oxelosund-von") { level { key label } } }""",
            None,
            operator,
        )
    ).json()["data"]
    assert labels["gnesta"]["level"] == {"key": "committee", "label": "Utskott"}
    assert labels["oxd"]["level"] == {"key": "committee", "label": "Nämnd"}

    # Gnesta's admin reads nothing of Oxelösund: not its summary, nor its dashboard.
    summary = await call(d.budget, "GET", "/summaries", gnesta_admin, params=SUMMARY)
    assert summary.status_code == 403, summary.text
    dashboard = (
        await post(
            d.gateway,
            DASHBOARD_QUERY,
            {"unit": "oxelosund-von", "year": 2024, "period": "helar"},
            gnesta_admin,
        )
    ).json()
    assert dashboard["errors"][0]["extensions"]["code"] == "FORBIDDEN", dashboard

    after = await oxelosund_as_seen(d, post, oxd_admin)
    assert [key for key in before if before[key] != after[key]] == []
    # ... and the history of each service lists Gnesta's writes under Gnesta only.
    for service in (d.goals, d.budget, d.deviations):
        oxd_history = await ok(service, "GET", f"/municipalities/{OXD}/settings/history", oxd_admin)
        assert not any("gnesta" in item["changed_by"] for item in oxd_history["items"])
        gnesta_history = await ok(
            service, "GET", f"/municipalities/{GNESTA}/settings/history", gnesta_admin
        )
        assert gnesta_history["items"]
