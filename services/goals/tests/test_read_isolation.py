"""Reads across municipalities in the goals service: a reader scoped to Trosa reads none of
Oxelösund's org units, plans, goals, measures, values, assessments, activities or follow-ups
(403 for a read about one of them, lists without Oxelösund's rows), while a reader scoped to one
unit of Oxelösund reads all of them; a token without org units reads every municipality."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_goals.demo.plans import PLAN_2024
from styr_shared.testing import (
    Read,
    TokenFactory,
    assert_isolated,
    unlisted_reads,
)

# Deployment-wide, or covered where they are built (import runs: test_imports; the
# municipalities list: test_tenancy).
EXEMPT = {
    "/api/v1/org-levels",
    "/api/v1/import-runs",
    "/api/v1/import-runs/{run_id}",
    "/api/v1/import-runs/{run_id}/errors",
    "/api/v1/municipalities",
}


@pytest.fixture
def insider(tokens: TokenFactory) -> dict[str, str]:
    """A reader scoped to one unit of Oxelösund: reads its municipality's plans and figures."""
    return tokens.headers("reader", org_units=["oxelosund-sabo"], subject="ox-reader")


@pytest.fixture
def outsider(tokens: TokenFactory) -> dict[str, str]:
    """Trosa's admin: every role, but over another municipality."""
    return tokens.headers("admin", org_units=["trosa"], subject="trosa-admin")


async def _json(client: AsyncClient, url: str, headers: dict[str, str], **params: Any) -> Any:
    response = (
        await client.post(url, json=params, headers=headers)
        if params.pop("_post", False)
        else await client.get(url, params=params, headers=headers)
    )
    assert response.status_code in {200, 201}, response.text
    return response.json()


@pytest.fixture(scope="module")
async def oxelosund(demo_client: AsyncClient, tokens: TokenFactory) -> dict[str, Any]:
    """Ids of Oxelösund's things (a goal, a measure, a publication) and who owns what."""
    operator = tokens.headers("admin", subject="operator")
    client = demo_client
    units = await _json(client, "/api/v1/org-units", operator, limit=500)
    municipality_of = {unit["id"]: unit["municipality_id"] for unit in units["items"]}
    plans = await _json(client, "/api/v1/plans", operator, limit=500)
    plan_owner = {plan["id"]: municipality_of[plan["org_unit_id"]] for plan in plans["items"]}
    goal_owner = {}
    for plan in plans["items"]:
        for year in range(plan["start_year"], plan["end_year"] + 1):
            url = f"/api/v1/plans/{plan['id']}/goals"
            stack = await _json(client, url, operator, year=year)
            owner = plan_owner[plan["id"]]
            while stack:
                goal = stack.pop()
                goal_owner[goal["id"]] = owner
                stack.extend(goal["children"])
    measures = await _json(client, "/api/v1/measures", operator, limit=500)
    measure_owner = {m["id"]: municipality_of[m["org_unit_id"]] for m in measures["items"]}
    control_plans = await _json(client, "/api/v1/internal-control-plans", operator, limit=500)
    control_plan = next(
        plan["id"]
        for plan in control_plans["items"]
        if municipality_of[plan["org_unit_id"]] == "oxelosund"
    )
    goal = next(g for g, owner in goal_owner.items() if owner == "oxelosund")
    measure = next(m for m, owner in measure_owner.items() if owner == "oxelosund")
    publication = await _json(
        client,
        f"/api/v1/plans/{PLAN_2024}/follow-up/publications",
        tokens.headers("planner", org_units=["oxelosund-von"]),
        _post=True,
        year=2024,
        period="helar",
    )
    await client.put(
        "/api/v1/value-locks/oxelosund-von",
        json={"closed_through": "2023-12-31"},
        headers=tokens.headers("controller", org_units=["oxelosund-von"]),
    )
    return {
        "goal": goal,
        "measure": measure,
        "publication": publication["id"],
        "control_plan": control_plan,
        "control_plan_owner": {
            plan["id"]: municipality_of[plan["org_unit_id"]] for plan in control_plans["items"]
        },
        "unit": municipality_of,
        "plan": plan_owner,
        "goal_owner": goal_owner,
        "measure_owner": measure_owner,
    }


def _owner(table: str, key: str) -> Callable[[dict[str, Any], dict[str, Any]], str | None]:
    return lambda ids, row: ids[table].get(row[key])


# (template, concrete path with {goal}, {measure}, {publication} filled in, params)
ONE_THING = [
    ("/api/v1/org-units/{unit_id}", "/api/v1/org-units/oxelosund-von", {}),
    ("/api/v1/org-units/{unit_id}/history", "/api/v1/org-units/oxelosund-von/history", {}),
    ("/api/v1/org-units/{unit_id}/subtree", "/api/v1/org-units/oxelosund-von/subtree", {}),
    ("/api/v1/plans/{plan_id}", f"/api/v1/plans/{PLAN_2024}", {}),
    ("/api/v1/plans/{plan_id}/goals", f"/api/v1/plans/{PLAN_2024}/goals", {"year": 2024}),
    (
        "/api/v1/plans/{plan_id}/follow-up",
        f"/api/v1/plans/{PLAN_2024}/follow-up",
        {"year": 2024, "period": "helar"},
    ),
    (
        "/api/v1/plans/{plan_id}/follow-up/publications",
        f"/api/v1/plans/{PLAN_2024}/follow-up/publications",
        {},
    ),
    (
        "/api/v1/follow-up-publications/{publication_id}",
        "/api/v1/follow-up-publications/{publication}",
        {},
    ),
    ("/api/v1/goals/{goal_id}", "/api/v1/goals/{goal}", {}),
    ("/api/v1/goals/{goal_id}/assessments", "/api/v1/goals/{goal}/assessments", {}),
    ("/api/v1/goals/{goal_id}/activities", "/api/v1/goals/{goal}/activities", {}),
    ("/api/v1/measures/{measure_id}", "/api/v1/measures/{measure}", {}),
    (
        "/api/v1/internal-control-plans/{plan_id}",
        "/api/v1/internal-control-plans/{control_plan}",
        {},
    ),
    (
        "/api/v1/internal-control-plans/{plan_id}/report",
        "/api/v1/internal-control-plans/{control_plan}/report",
        {},
    ),
    ("/api/v1/measures/{measure_id}/values", "/api/v1/measures/{measure}/values", {}),
    ("/api/v1/measures/{measure_id}/audit", "/api/v1/measures/{measure}/audit", {}),
    *(
        (
            f"/api/v1/municipalities/{{municipality_id}}/{tail}",
            f"/api/v1/municipalities/oxelosund/{tail}",
            {},
        )
        for tail in ["steering-config", "org-levels", "settings/history"]
    ),
    ("/api/v1/municipalities/{municipality_id}", "/api/v1/municipalities/oxelosund", {}),
]
LISTS: list[tuple[str, dict[str, Any], Callable[[dict[str, Any], dict[str, Any]], str | None]]] = [
    ("/api/v1/org-units", {"limit": 500}, lambda ids, row: row["municipality_id"]),
    ("/api/v1/org-units/changes", {"limit": 1000}, _owner("unit", "unit_id")),
    ("/api/v1/plans", {"limit": 500}, _owner("unit", "org_unit_id")),
    ("/api/v1/goals", {"limit": 500}, _owner("goal_owner", "id")),
    ("/api/v1/measures", {"limit": 500}, _owner("unit", "org_unit_id")),
    ("/api/v1/measure-values", {"limit": 500}, _owner("measure_owner", "measure_id")),
    ("/api/v1/assessments", {"limit": 500}, _owner("goal_owner", "goal_id")),
    ("/api/v1/activities", {"limit": 500}, _owner("unit", "org_unit_id")),
    ("/api/v1/value-locks", {}, _owner("unit", "org_unit_id")),
    ("/api/v1/internal-control-plans", {"limit": 500}, _owner("unit", "org_unit_id")),
    (
        "/api/v1/internal-control-reports",
        {"limit": 500},
        lambda ids, row: ids["unit"].get(row["plan"]["org_unit_id"]),
    ),
    (
        "/api/v1/internal-control-processes",
        {"limit": 500},
        _owner("control_plan_owner", "plan_id"),
    ),
    # lists naming another municipality's plan leave its rows out
    ("/api/v1/assessments", {"plan_id": PLAN_2024, "limit": 500}, _owner("goal_owner", "goal_id")),
    (
        "/api/v1/measure-values",
        {"plan_id": PLAN_2024, "limit": 500},
        _owner("measure_owner", "measure_id"),
    ),
]


def test_every_read_endpoint_is_in_the_table(app: FastAPI) -> None:
    reads = [Read(template, path) for template, path, _ in ONE_THING]
    reads += [Read(path, path) for path, _, _ in LISTS]
    assert unlisted_reads(app, reads, EXEMPT) == set()


@pytest.mark.parametrize(
    ("template", "path", "params"), ONE_THING, ids=[t for t, _, _ in ONE_THING]
)
async def test_a_read_about_another_municipality_is_refused(
    demo_client: AsyncClient,
    oxelosund: dict[str, Any],
    insider: dict[str, str],
    outsider: dict[str, str],
    template: str,
    path: str,
    params: dict[str, Any],
) -> None:
    concrete = path.format(
        **{k: oxelosund[k] for k in ("goal", "measure", "publication", "control_plan")}
    )
    await assert_isolated(
        demo_client,
        Read(template, concrete, params),
        municipality="oxelosund",
        insider=insider,
        outsider=outsider,
    )


@pytest.mark.parametrize(("path", "params", "owner"), LISTS, ids=[f"{p}{q}" for p, q, _ in LISTS])
async def test_lists_leave_out_another_municipality(
    demo_client: AsyncClient,
    oxelosund: dict[str, Any],
    insider: dict[str, str],
    outsider: dict[str, str],
    path: str,
    params: dict[str, Any],
    owner: Callable[[dict[str, Any], dict[str, Any]], str | None],
) -> None:
    read = Read(path, path, params, owner=lambda row: owner(oxelosund, row))
    await assert_isolated(
        demo_client, read, municipality="oxelosund", insider=insider, outsider=outsider
    )


async def test_a_token_without_org_units_reads_every_municipality(
    demo_client: AsyncClient, oxelosund: dict[str, Any], tokens: TokenFactory
) -> None:
    statistician = tokens.headers("reader", subject="statistics-export")
    plans = await _json(demo_client, "/api/v1/plans", statistician, limit=500)
    owners = {oxelosund["unit"][plan["org_unit_id"]] for plan in plans["items"]}
    assert owners == {"oxelosund", "trosa"}
