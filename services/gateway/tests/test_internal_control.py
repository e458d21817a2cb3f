"""The internal control plan under the org unit, over the real goals service: the plan, its
processes, risks, controls and results, and the report's distribution of risk values."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

GraphQL = Callable[..., Awaitable[httpx.Response]]


def _created(response: httpx.Response) -> Any:
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_org_units_internal_control_plan_and_report(
    gql: GraphQL, seed_plan: Any, goals: Any, admin: dict[str, str]
) -> None:
    await seed_plan("gw-ik", 0)
    async with httpx.AsyncClient(base_url=goals.url, headers=admin) as client:
        plans = "/api/v1/internal-control-plans"
        plan = {"id": "gw-ik-2025", "org_unit_id": "gw-ik", "year": 2025, "name": "IK 2025"}
        _created(await client.post(plans, json=plan))
        process = _created(
            await client.post(f"{plans}/gw-ik-2025/processes", json={"name": "Inköp"})
        )
        risks = []
        for title, probability, consequence in (("A", 3, 3), ("B", 3, 3), ("C", 1, 2)):
            body = {"process_id": process["id"], "title": title, "probability": probability,
                    "consequence": consequence, "financial": title == "A"}  # fmt: skip
            risks.append(_created(await client.post(f"{plans}/gw-ik-2025/risks", json=body)))
        control = _created(
            await client.post(
                f"/api/v1/internal-control-risks/{risks[0]['id']}/controls",
                json={
                    "method": "Stickprov",
                    "frequency": "Årligen",
                    "responsible": "Controller",
                    "timing": "Oktober",
                },
            )
        )
        _created(
            await client.post(
                f"/api/v1/internal-control-controls/{control['id']}/results",
                json={"outcome": "remark", "actions": "Utbildning"},
            )
        )
    query = """{ orgUnit(id: "gw-ik") { internalControlPlans(year: 2025) {
        id name riskThreshold
        processes { name risks { title riskValue needsControl
            controls { method result { outcome actions } } } }
        report { risks distribution { riskValue count } risksNeedingControl
            risksWithoutControl totals { controls remark notReported }
            financial { controls remark } controls { risk outcome } }
    } } }"""
    body = (await gql(query)).json()
    assert "errors" not in body, body
    (found,) = body["data"]["orgUnit"]["internalControlPlans"]
    assert (found["id"], found["riskThreshold"]) == ("gw-ik-2025", 9)
    (process_node,) = found["processes"]
    assert [(r["title"], r["riskValue"], r["needsControl"]) for r in process_node["risks"]] == [
        ("A", 9, True),
        ("B", 9, True),
        ("C", 2, False),
    ]
    assert process_node["risks"][0]["controls"] == [
        {"method": "Stickprov", "result": {"outcome": "REMARK", "actions": "Utbildning"}}
    ]
    report = found["report"]
    counts = {row["riskValue"]: row["count"] for row in report["distribution"]}
    assert (counts[9], counts[2], sum(counts.values()), report["risks"]) == (2, 1, 3, 3)
    assert report["risksWithoutControl"] == [str(risks[1]["id"])]
    assert report["totals"] == {"controls": 1, "remark": 1, "notReported": 0}
    assert report["financial"] == {"controls": 1, "remark": 1}
    assert report["controls"] == [{"risk": "A", "outcome": "REMARK"}]
    empty = await gql('{ orgUnit(id: "gw-ik") { internalControlPlans(year: 2024) { id } } }')
    assert empty.json()["data"]["orgUnit"]["internalControlPlans"] == []
