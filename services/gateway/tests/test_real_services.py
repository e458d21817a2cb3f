"""The committee dashboard over the real budget and deviations services with their demo data,
beside the real goals service: what a front end gets end to end, over real HTTP, with the org
replicas filled from the goals service's own change feed.

Budget and deviations run as their own processes (as in production; their org replicas and the
goals service's org tree are different tables of the same name, so they cannot share one
process). The figures the gateway shows must be the figures the services answer over REST for
the same caller, and the demo's budget must show the papers' 2024 result (3,6 mkr better than
budget).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from styr_gateway.dashboard import DASHBOARD_QUERY

from .conftest import SUMMARY, RealServices, gateway_server

GraphQL = Callable[..., Awaitable[httpx.Response]]
UNIT, YEAR = "oxelosund-von", 2024
STATISTICS = {"org_unit_id": UNIT, "from_year": YEAR, "to_year": YEAR}


def amount(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def _rest(url: str, path: str, params: dict[str, Any], headers: dict[str, str]) -> Any:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_dashboard_shows_what_the_services_answer(
    post: GraphQL, real_services: RealServices, reader: dict[str, str]
) -> None:
    response = await post(
        real_services.gateway,
        DASHBOARD_QUERY,
        {"unit": UNIT, "year": YEAR, "period": "helar"},
        reader,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    unit = body["data"]["orgUnit"]

    summary = await _rest(real_services.budget, "/api/v1/summaries", SUMMARY, reader)
    budget = unit["budget"]
    for shown, answered in (
        ("budget", "budget"),
        ("outcome", "outcome"),
        ("deviation", "deviation"),
    ):
        assert Decimal(budget["total"][shown]) == Decimal(str(summary["total"][answered])), shown
    # The papers: VON's 2024 result, 3,6 mkr better than the revised budget.
    assert Decimal(budget["total"]["deviation"]) == Decimal("3576000")
    shown_rows = {row["key"]: amount(row["budget"]) for row in budget["byActivity"]}
    assert shown_rows == {row["key"]: amount(row["budget"]) for row in summary["rows"]}
    assert len(shown_rows) > 1

    statistics = await _rest(real_services.deviations, "/api/v1/statistics", STATISTICS, reader)
    shown_statistics = unit["deviationStatistics"]
    assert shown_statistics["total"]["count"] == statistics["total"] > 0
    assert shown_statistics["suppressed"] is statistics["suppressed"] is True
    shown_kinds = {row["group"]["kind"]: row["text"] for row in shown_statistics["byKind"]}
    answered_kinds = {row["kind"]: str(row["count"]) for row in statistics["by_kind"]}
    assert shown_kinds == answered_kinds


async def test_upstream_stats_trace_every_service_call(
    post: GraphQL, goals: Any, real_services: RealServices, reader: dict[str, str]
) -> None:
    with gateway_server(
        goals_url=goals.url,
        budget_url=real_services.budget,
        deviations_url=real_services.deviations,
        upstream_stats=True,
    ) as url:
        response = await post(
            url, DASHBOARD_QUERY, {"unit": UNIT, "year": YEAR, "period": "helar"}, reader
        )
    body = response.json()
    assert "errors" not in body, body["errors"]
    upstream = body["extensions"]["upstream"]
    trace = upstream["trace"]
    # The goals service here holds the organisation and no plans: the unit, its (no) plans,
    # the budget summary and deficits, the statistics.
    assert upstream["calls"] == len(trace) == 5
    assert [call["start"] for call in trace] == sorted(call["start"] for call in trace)
    assert {call["service"] for call in trace} == {"goals", "budget", "deviations"}
    assert all(call["status"] == 200 and call["seconds"] > 0 for call in trace)
    assert {
        "path": "/api/v1/summaries?org_unit=oxelosund-von&year=2024&period=12&group_by=activity",
        "service": "budget",
    }.items() <= next(call for call in trace if "summaries" in call["path"]).items()
