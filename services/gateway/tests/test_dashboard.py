"""The committee dashboard (``styr_gateway.dashboard``) over plans, goals, measures and the
follow-up: its figures, and the service calls it costs, which follow the query's shape: the
same for 5 goals and for 50."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from styr_gateway.dashboard import DASHBOARD_QUERY

GraphQL = Callable[..., Awaitable[httpx.Response]]


async def _dashboard(
    post: GraphQL, gateway: Any, goals: Any, reader: dict[str, str], unit: str
) -> tuple[dict[str, Any], list[Any]]:
    recorders = [goals.recorder, gateway.budget, gateway.deviations]
    for recorder in recorders:
        recorder.requests.clear()
    response = await post(
        gateway.url, DASHBOARD_QUERY, {"unit": unit, "year": 2025, "period": "helar"}, reader
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    calls = sorted(
        (method, path.replace(unit, "{unit}"), query.replace(unit, "{unit}"))
        for recorder in recorders
        for method, path, query in recorder.requests
        if path.startswith("/api/")
    )
    return body["data"], calls


EXPECTED_CALLS = [
    ("GET", "/api/v1/deficits", "committee_id={unit}&year=2025"),
    ("GET", "/api/v1/measures", "plan_id={unit}-plan&limit=500"),
    ("GET", "/api/v1/org-units/{unit}", ""),
    ("GET", "/api/v1/plans", "org_unit_id={unit}&year=2025&limit=500"),
    ("GET", "/api/v1/plans/{unit}-plan/follow-up", "year=2025&period=helar"),
    ("GET", "/api/v1/plans/{unit}-plan/goals", "year=2025"),
    ("GET", "/api/v1/statistics", "org_unit_id={unit}&from_year=2025&to_year=2025"),
    ("GET", "/api/v1/summaries", "org_unit={unit}&year=2025&period=12&group_by=activity"),
]


async def test_dashboard_costs_the_same_calls_for_5_or_50_goals(
    post: GraphQL, full_gateway: Any, goals: Any, reader: dict[str, str], seed_plan: Any
) -> None:
    await seed_plan("dash-small", 5)
    await seed_plan("dash-big", 50)

    small, small_calls = await _dashboard(post, full_gateway, goals, reader, "dash-small")
    big, big_calls = await _dashboard(post, full_gateway, goals, reader, "dash-big")
    assert small_calls == EXPECTED_CALLS
    assert big_calls == EXPECTED_CALLS

    (plan,) = big["orgUnit"]["plans"]
    assert len(plan["goals"]) == 51  # the area and its 50 goals
    assert sum(len(goal["measures"]) for goal in plan["goals"]) == 50
    assert len(small["orgUnit"]["plans"][0]["goals"]) == 6


async def test_dashboard_figures(
    post: GraphQL, full_gateway: Any, goals: Any, reader: dict[str, str], seed_plan: Any
) -> None:
    await seed_plan("dash-figures", 12)
    data, _ = await _dashboard(post, full_gateway, goals, reader, "dash-figures")
    unit = data["orgUnit"]
    assert unit["name"] == "Nämnd dash-figures"
    (plan,) = unit["plans"]
    assert plan["followUp"]["periodLabel"] == "Helår 2025"
    # 12 committee goals, the 6 even ones answered Ja: 50 % → "Låg" (Mycket god starts at 70).
    assert plan["followUp"]["total"] == {
        "goals": 12, "fulfilled": 6, "percent": 50, "resultLevel": "Låg"
    }  # fmt: skip
    area, *committee_goals = plan["goals"]
    assert (area["code"], area["levelLabel"], area["measures"]) == ("A", "Målområde", [])
    assert [goal["code"] for goal in committee_goals] == [f"NM-{i:02d}" for i in range(12)]
    first, eleventh = committee_goals[0], committee_goals[11]
    assert first["parentId"] == "dash-figures-area"
    assert first["periodStatus"] == {
        "reported": True,
        "fulfilled": True,
        "assessment": {"kind": "final", "answer": "Ja", "colour": None},
        "activities": {"total": 0},
    }
    assert eleventh["periodStatus"]["fulfilled"] is False
    (measure,) = first["measures"]
    assert measure["code"] == "M-00"
    assert measure["targets"] == [
        {"segment": None, "target": {"op": ">=", "value": 50.0, "benchmark": None}}
    ]
    # 40 against >= 50: not met; down from 50 in 2024: worsening.
    assert measure["latest"] == [
        {"segment": None, "value": 40.0, "period": "2025", "status": "NOT_MET",
         "trend": "WORSENING", "target": {"op": ">=", "value": 50.0}}
    ]  # fmt: skip
    assert eleventh["measures"][0]["latest"][0]["value"] == 51.0
    assert eleventh["measures"][0]["latest"][0]["status"] == "MET"
    assert eleventh["measures"][0]["latest"][0]["trend"] == "IMPROVING"
    # Budget and deviations of the committee's subtree, from their services.
    budget = unit["budget"]
    assert budget["total"] == {
        "budget": "100000000", "outcome": "67000000", "forecast": "101500000",
        "forecastDeviation": "1500000", "deviation": "-1500000",
    }  # fmt: skip
    assert [row["key"] for row in budget["byActivity"]] == ["510", "520"]
    assert budget["deficits"] == [
        {"level": "COMMITTEE", "activityCode": None, "activityName": None, "orgUnitName": None,
         "forecastDeviation": "-1500000.00"},
        {"level": "ORG_UNIT", "activityCode": None, "activityName": None,
         "orgUnitName": "LSS-verksamhet", "forecastDeviation": "-700000.00"},
    ]  # fmt: skip
    statistics = unit["deviationStatistics"]
    assert statistics["suppressed"] is True  # a reader: small counts hidden
    assert statistics["total"] == {"count": 12, "text": "12"}
    assert statistics["overdue"] == {"count": None, "text": "<5"}
    assert statistics["byKind"] == [
        {"group": {"kind": "complaint"}, "count": None, "text": "<5"},
        {"group": {"kind": "deviation"}, "count": 9, "text": "9"},
    ]
