"""Upstream calls follow the query's shape, not the number of units it returns.

The same four-level org tree query is run over Oxelösund (13 units) and over a generated
municipality of 100 units; the goals service counts the requests it receives. Both cost the same
five calls: the root unit, its children, the levels, the whole organisation once (for every
deeper level, parent, successor and breadcrumb) and the change feed once (for every history).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from styr_shared.testing import metric_value

GraphQL = Callable[..., Awaitable[httpx.Response]]

TREE = """
query Tree($id: ID!) {
  orgUnit(id: $id) {
    name
    level { label }
    children {
      nodes {
        name parent { id } level { label } history { kind }
        children {
          nodes {
            name ancestors { id } level { label }
            children {
              nodes {
                name successor { id } history { kind }
                children { nodes { id name parent { id } level { label } } }
              }
            }
          }
        }
      }
    }
  }
}
"""

EXPECTED_CALLS = sorted(
    [
        ("GET", "/api/v1/org-units/{root}", ""),
        ("GET", "/api/v1/municipalities/{root}/org-levels", ""),
        ("GET", "/api/v1/org-units", "parent_id={root}&limit=500"),
        ("GET", "/api/v1/org-units", "limit=500"),
        ("GET", "/api/v1/org-units/changes", "after=0&limit=1000"),
    ]
)


async def _big_municipality(goals_url: str, admin: dict[str, str]) -> int:
    """storkommun: 3 committees x 2 administrations x 3 departments x 4 units (100 units)."""
    created = 0
    async with httpx.AsyncClient(base_url=goals_url, headers=admin) as client:

        async def unit(unit_id: str, level: str, parent: str | None) -> None:
            nonlocal created
            body = {
                "id": unit_id,
                "code": unit_id.upper(),
                "name": f"Enhet {unit_id}",
                "level": level,
                "parent_id": parent,
            }
            response = await client.post("/api/v1/org-units", json=body)
            assert response.status_code == 201, response.text
            created += 1

        await unit("stor", "municipality", None)
        for c in range(3):
            committee = f"stor-{c}"
            await unit(committee, "committee", "stor")
            for a in range(2):
                administration = f"{committee}-{a}"
                await unit(administration, "administration", committee)
                for d in range(3):
                    department = f"{administration}-{d}"
                    await unit(department, "department", administration)
                    for u in range(4):
                        await unit(f"{department}-{u}", "unit", department)
    return created


def _leaves(data: dict[str, Any]) -> list[str]:
    return [
        leaf["id"]
        for committee in data["orgUnit"]["children"]["nodes"]
        for administration in committee["children"]["nodes"]
        for department in administration["children"]["nodes"]
        for leaf in department["children"]["nodes"]
    ]


async def _calls_for_tree(gql: GraphQL, goals: Any, root: str) -> tuple[dict[str, Any], list[Any]]:
    goals.recorder.requests.clear()
    response = await gql(TREE, {"id": root})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    calls = sorted(
        (method, path, query.replace(root, "{root}"))
        for method, path, query in goals.recorder.api_calls()
    )
    return body["data"], [(m, p.replace(root, "{root}"), q) for m, p, q in calls]


async def test_tree_query_costs_the_same_calls_for_13_or_100_units(
    gql: GraphQL, goals: Any, admin: dict[str, str]
) -> None:
    small, small_calls = await _calls_for_tree(gql, goals, "oxelosund")
    assert _leaves(small) == [
        "oxelosund-hemtjanst",
        "oxelosund-hsl",
        "oxelosund-sabo",
        "oxelosund-ifo",
        "oxelosund-lss",
    ]
    assert small_calls == EXPECTED_CALLS

    assert await _big_municipality(goals.url, admin) == 100
    big, big_calls = await _calls_for_tree(gql, goals, "stor")
    leaves = _leaves(big)
    assert len(leaves) == 72
    assert leaves[0] == "stor-0-0-0-0"
    assert leaves[-1] == "stor-2-1-2-3"
    assert big_calls == EXPECTED_CALLS
    unit = big["orgUnit"]["children"]["nodes"][2]["children"]["nodes"][1]
    assert unit["ancestors"] == [{"id": "stor"}, {"id": "stor-2"}]
    assert unit["level"] == {"label": "Förvaltning"}


async def test_single_lookups_use_targeted_calls_with_the_callers_token(
    gql: GraphQL, goals: Any, reader: dict[str, str]
) -> None:
    goals.recorder.requests.clear()
    goals.recorder.headers.clear()
    response = await gql('{ orgUnit(id: "oxelosund-sof") { code history { kind } } }')
    assert response.json()["data"]["orgUnit"]["history"] == [
        {"kind": "CREATED"},
        {"kind": "CLOSED"},
    ]
    assert sorted(goals.recorder.api_calls()) == [
        ("GET", "/api/v1/org-units/oxelosund-sof", ""),
        ("GET", "/api/v1/org-units/oxelosund-sof/history", ""),
    ]
    for headers in goals.recorder.headers:
        assert headers["authorization"] == reader["Authorization"]
        assert headers["x-request-id"] == response.headers["x-request-id"]


GOALS_WITH_DETAILS = """
query Goals($unit: ID!) {
  orgUnit(id: $unit) {
    plans(year: 2025) {
      goals(year: 2025) {
        code
        assessments { answer period }
        activities { title }
        measures { code values { period value status } before: values(year: 2024) { value } }
      }
    }
  }
}
"""

EXPECTED_GOAL_CALLS = [
    ("GET", "/api/v1/activities", "plan_id={unit}-plan&year=2025&limit=500"),
    ("GET", "/api/v1/assessments", "plan_id={unit}-plan&year=2025&limit=500"),
    ("GET", "/api/v1/measure-values",
     "plan_id={unit}-plan&org_unit_id={unit}&year=2024&year=2025&limit=500"),
    ("GET", "/api/v1/measures", "plan_id={unit}-plan&limit=500"),
    ("GET", "/api/v1/org-units/{unit}", ""),
    ("GET", "/api/v1/plans", "org_unit_id={unit}&year=2025&limit=500"),
    ("GET", "/api/v1/plans/{unit}-plan/goals", "year=2025"),
]  # fmt: skip


async def _goal_details(gql: GraphQL, goals: Any, unit: str) -> tuple[list[Any], list[Any]]:
    goals.recorder.requests.clear()
    response = await gql(GOALS_WITH_DETAILS, {"unit": unit})
    body = response.json()
    assert "errors" not in body, body
    calls = sorted(
        (method, path.replace(unit, "{unit}"), query.replace(unit, "{unit}"))
        for method, path, query in goals.recorder.api_calls()
    )
    (plan,) = body["data"]["orgUnit"]["plans"]
    return plan["goals"], calls


async def test_goal_assessments_activities_and_values_cost_the_same_calls_for_5_or_50_goals(
    gql: GraphQL, goals: Any, admin: dict[str, str], seed_plan: Any
) -> None:
    await seed_plan("details-small", 5)
    await seed_plan("details-big", 50)
    async with httpx.AsyncClient(base_url=goals.url, headers=admin) as client:
        for goal in ("details-big-g01", "details-big-g49"):
            activity = {"org_unit_id": "details-big", "year": 2025, "title": f"Aktivitet {goal}",
                        "status": "pagaende"}  # fmt: skip
            response = await client.post(f"/api/v1/goals/{goal}/activities", json=activity)
            assert response.status_code == 201, response.text

    small, small_calls = await _goal_details(gql, goals, "details-small")
    big, big_calls = await _goal_details(gql, goals, "details-big")
    assert small_calls == EXPECTED_GOAL_CALLS
    assert big_calls == EXPECTED_GOAL_CALLS

    area, *committee_goals = big
    assert (area["assessments"], area["activities"], area["measures"]) == ([], [], [])
    assert len(committee_goals) == 50
    for i, goal in enumerate(committee_goals):
        assert goal["assessments"] == [{"answer": "Ja" if i % 2 == 0 else "Nej", "period": "helar"}]
        (measure,) = goal["measures"]
        assert measure["code"] == f"M-{i:02d}"
        assert measure["values"] == [
            {"period": "2025", "value": 40.0 + i, "status": "MET" if i >= 10 else "NOT_MET"}
        ]
        assert measure["before"] == [{"value": 50.0}]
    titled = {goal["code"]: goal["activities"] for goal in committee_goals if goal["activities"]}
    assert titled == {
        "NM-01": [{"title": "Aktivitet details-big-g01"}],
        "NM-49": [{"title": "Aktivitet details-big-g49"}],
    }
    assert len(small) == 6


async def test_a_bad_year_fails_only_its_own_field(
    gql: GraphQL, goals: Any, seed_plan: Any
) -> None:
    await seed_plan("bad-year", 2)
    query = """{ plan(id: "bad-year-plan") { goals(year: 2025, level: "namndmal") { measures {
        ok: values(year: 2025) { value } bad: values(year: 1800) { value } } } } }"""
    goals.recorder.requests.clear()
    body = (await gql(query)).json()
    measures = [goal["measures"][0] for goal in body["data"]["plan"]["goals"]]
    assert [m["ok"] for m in measures] == [[{"value": 40.0}], [{"value": 41.0}]]
    assert [m["bad"] for m in measures] == [None, None]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}
    assert body["errors"][0]["extensions"]["fieldErrors"] == [
        {"field": "year", "message": "must be between 1990 and 2100", "type": "invalid"}
    ]
    values_calls = [c for c in goals.recorder.api_calls() if c[1] == "/api/v1/measure-values"]
    assert values_calls == [
        ("GET", "/api/v1/measure-values",
         "plan_id=bad-year-plan&org_unit_id=bad-year&year=2025&limit=500"),
    ]  # fmt: skip


UPSTREAM = "styr_gateway_upstream_requests_total"


async def test_the_metrics_count_upstream_calls_per_service(
    gql: GraphQL, goals: Any, gateway: str
) -> None:
    async with httpx.AsyncClient(base_url=gateway.removesuffix("/graphql")) as client:
        before = await metric_value(client, UPSTREAM, service="goals", outcome="2xx")
        goals.recorder.requests.clear()
        response = await gql('{ orgUnit(id: "oxelosund-sof") { code history { kind } } }')
        assert "errors" not in response.json()
        after = await metric_value(client, UPSTREAM, service="goals", outcome="2xx")
    assert after - before == len(goals.recorder.api_calls()) == 2
