"""Plans, goal trees and measures over the real goals service: the tree and flat views, target
and value filters (period, segment, gender), plans of many units in one call, and NOT_FOUND."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pypdf

GraphQL = Callable[..., Awaitable[httpx.Response]]


async def _segmented_measure(goals_url: str, admin: dict[str, str], unit: str) -> None:
    """Measure ``{unit}-seg`` on goal 0: segments SÄBO/HT, gender split, targets 2025 and 2026."""
    measure = {
        "id": f"{unit}-seg", "code": "S-01", "org_unit_id": unit, "name": "Nöjdhet",
        "unit_kind": "percent", "direction": "increase", "segments": ["SÄBO", "HT"],
        "gender_split": True, "periodicity": "tertial", "goal_ids": [f"{unit}-g00"],
        "series": [
            {"segment": "SÄBO", "targets": {"2025": {"op": ">=", "value": 80},
                                            "2026": {"op": ">=", "value": 85}}},
            {"segment": "HT", "targets": {"2025": {"op": ">=", "value": 70}}},
        ],
    }  # fmt: skip
    values = [("2025-T1", "SÄBO", "T", 78), ("2025-T2", "SÄBO", "T", 82),
              ("2025-T2", "SÄBO", "K", 84), ("2025-T2", "HT", "T", 69)]  # fmt: skip
    async with httpx.AsyncClient(base_url=goals_url, headers=admin) as client:
        response = await client.post("/api/v1/measures", json=measure)
        assert response.status_code == 201, response.text
        for period, segment, gender, value in values:
            body = {"org_unit_id": unit, "period": period, "segment": segment,
                    "gender": gender, "value": value}  # fmt: skip
            response = await client.put(f"/api/v1/measures/{unit}-seg/values", json=body)
            assert response.status_code == 201, response.text


async def test_tree_targets_and_value_filters(
    gql: GraphQL, seed_plan: Any, goals: Any, admin: dict[str, str]
) -> None:
    await seed_plan("goals-tree", 2)
    await _segmented_measure(goals.url, admin, "goals-tree")
    query = """{ plan(id: "goals-tree-plan") {
        name startYear endYear orgUnitId
        goalTree(year: 2025) { code levelLabel children { code measures { code
            targets { year segment target { value } }
            allTargets: targets(allYears: true, segment: "SÄBO") { year target { value } }
            saboT2: values(period: "2025-T2", segment: "SÄBO") { period segment gender value
                status trend }
            women: values(gender: K) { period value }
            latest(period: "helar") { segment value period status trend }
        } } }
    } }"""
    body = (await gql(query)).json()
    assert "errors" not in body, body
    plan = body["data"]["plan"]
    assert (plan["name"], plan["startYear"], plan["endYear"], plan["orgUnitId"]) == (
        "Plan goals-tree",
        2025,
        2027,
        "goals-tree",
    )
    (area,) = plan["goalTree"]
    assert (area["code"], area["levelLabel"]) == ("A", "Målområde")
    assert [goal["code"] for goal in area["children"]] == ["NM-00", "NM-01"]
    measures = area["children"][0]["measures"]
    assert [m["code"] for m in measures] == ["M-00", "S-01"]
    segmented = measures[1]
    assert segmented["targets"] == [
        {"year": 2025, "segment": "SÄBO", "target": {"value": 80.0}},
        {"year": 2025, "segment": "HT", "target": {"value": 70.0}},
    ]
    assert segmented["allTargets"] == [
        {"year": 2025, "target": {"value": 80.0}},
        {"year": 2026, "target": {"value": 85.0}},
    ]
    assert segmented["saboT2"] == [
        {"period": "2025-T2", "segment": "SÄBO", "gender": "K", "value": 84.0,
         "status": "MET", "trend": None},
        {"period": "2025-T2", "segment": "SÄBO", "gender": "T", "value": 82.0,
         "status": "MET", "trend": "IMPROVING"},
    ]  # fmt: skip
    assert segmented["women"] == [{"period": "2025-T2", "value": 84.0}]
    assert segmented["latest"] == [
        {"segment": "SÄBO", "value": 82.0, "period": "2025-T2", "status": "MET",
         "trend": "IMPROVING"},
        {"segment": "HT", "value": 69.0, "period": "2025-T2", "status": "NOT_MET", "trend": None},
    ]  # fmt: skip


async def test_plans_of_many_units_cost_one_call(gql: GraphQL, seed_plan: Any, goals: Any) -> None:
    await seed_plan("goals-many-a", 1)
    await seed_plan("goals-many-b", 1)
    goals.recorder.requests.clear()
    query = (
        """{ orgUnit(id: "gw-kommun") { children { nodes { id plans(year: 2025) { id } } } } }"""
    )
    body = (await gql(query)).json()
    children = {c["id"]: c["plans"] for c in body["data"]["orgUnit"]["children"]["nodes"]}
    assert children["goals-many-a"] == [{"id": "goals-many-a-plan"}]
    assert children["goals-many-b"] == [{"id": "goals-many-b-plan"}]
    plan_calls = [call for call in goals.recorder.api_calls() if call[1] == "/api/v1/plans"]
    assert plan_calls == [("GET", "/api/v1/plans", "year=2025&limit=500")]


async def test_unknown_plan_and_period(gql: GraphQL, seed_plan: Any) -> None:
    body = (await gql('{ plan(id: "no-such-plan") { name } }')).json()
    assert body["data"] == {"plan": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    await seed_plan("goals-period", 1)
    query = """{ plan(id: "goals-period-plan") { name
        followUp(year: 2025, period: "kvartal") { periodLabel } } }"""
    body = (await gql(query)).json()
    assert body["data"] == {"plan": {"name": "Plan goals-period", "followUp": None}}
    (error,) = body["errors"]
    assert error["path"] == ["plan", "followUp"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # The service's `query.period` is the GraphQL argument `period`.
    assert error["extensions"]["fieldErrors"] == [
        {"field": "period", "message": "unknown follow-up period 'kvartal'; one of: delar, helar",
         "type": "invalid"}
    ]  # fmt: skip


async def test_follow_up_links_to_its_documents(
    gql: GraphQL, seed_plan: Any, goals: Any, reader: dict[str, str]
) -> None:
    await seed_plan("goals-docs", 2)
    query = """{ plan(id: "goals-docs-plan") {
        followUp(year: 2025, period: "helar") {
            total { goals fulfilled }
            pdf: documentUrl(format: PDF) docx: documentUrl(format: DOCX) }
        ofTheUnit: followUp(year: 2025, period: "helar", orgUnitId: "goals-docs") {
            documentUrl(format: PDF) } } }"""
    body = (await gql(query)).json()
    assert "errors" not in body, body
    plan = body["data"]["plan"]
    report = f"{goals.url}/api/v1/plans/goals-docs-plan/follow-up?year=2025&period=helar"
    assert plan["followUp"]["pdf"] == f"{report}&format=pdf"
    assert plan["followUp"]["docx"] == f"{report}&format=docx"
    assert plan["ofTheUnit"]["documentUrl"] == f"{report}&format=pdf"  # the plan's own unit
    # The link serves the document to the same caller, with the figures the graph gave.
    async with httpx.AsyncClient(headers=reader, timeout=30) as client:
        pdf = await client.get(plan["followUp"]["pdf"])
        docx = await client.get(plan["followUp"]["docx"])
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    text = " ".join(page.extract_text() for page in pages).replace("\u00a0", " ")
    assert plan["followUp"]["total"] == {"goals": 2, "fulfilled": 1}
    assert "1 av 2 nämndmål uppfyllda (50 %)" in text
    assert docx.status_code == 200
    assert docx.content.startswith(b"PK")  # a DOCX is a zip package
