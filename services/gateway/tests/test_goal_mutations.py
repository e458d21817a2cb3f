"""Goal steering mutations against the real goals service: report a value, assess a goal,
update an activity; the service's 422 field errors come back under the GraphQL argument names,
and its 403 as FORBIDDEN."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from styr_shared.testing import TokenFactory

GraphQL = Callable[..., Awaitable[httpx.Response]]

REPORT = """
mutation Report($measure: ID!, $input: MeasureValueInput!) {
  reportMeasureValue(measureId: $measure, input: $input) {
    orgUnitId period value state status trend target { op value } recordedBy
  }
}
"""


async def test_report_a_value_then_read_it_back(
    gql: GraphQL, seed_plan: Any, tokens: TokenFactory
) -> None:
    await seed_plan("mut-values", 1)
    planner = tokens.headers("planner", subject="planner-1", org_units=["mut-values"])
    variables = {
        "measure": "mut-values-m00",
        "input": {
            "orgUnitId": "mut-values",
            "period": "2026",
            "value": 55.5,
            "state": "preliminary",
        },
    }
    body = (await gql(REPORT, variables, planner)).json()
    assert "errors" not in body, body
    # No 2026 target: no_target; up from 40 in 2025: improving.
    assert body["data"]["reportMeasureValue"] == {
        "orgUnitId": "mut-values", "period": "2026", "value": 55.5, "state": "preliminary",
        "status": "NO_TARGET", "trend": "IMPROVING", "target": None, "recordedBy": "planner-1",
    }  # fmt: skip

    read = """{ plan(id: "mut-values-plan") { goals(year: 2026, level: "namndmal") {
        measures { values(period: "2026") { value status } } } } }"""
    data = (await gql(read)).json()["data"]
    assert data["plan"]["goals"] == [
        {"measures": [{"values": [{"value": 55.5, "status": "NO_TARGET"}]}]}
    ]


async def test_value_errors_name_the_graphql_arguments(
    gql: GraphQL, seed_plan: Any, tokens: TokenFactory
) -> None:
    await seed_plan("mut-errors", 1)
    planner = tokens.headers("planner", org_units=["mut-errors"])
    variables: dict[str, Any] = {
        "measure": "mut-errors-m00",
        "input": {"orgUnitId": "mut-errors", "period": "2026", "value": 1, "denominator": 0},
    }
    body = (await gql(REPORT, variables, planner)).json()
    assert body["data"] == {"reportMeasureValue": None}
    (error,) = body["errors"]
    assert error["path"] == ["reportMeasureValue"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["status"] == 422
    # The service's model-level rule names the whole body: the input argument.
    assert [e["field"] for e in error["extensions"]["fieldErrors"]] == ["input"]

    variables["input"] = {"orgUnitId": "mut-errors", "period": "2026", "value": 1, "state": "maybe"}
    (error,) = (await gql(REPORT, variables, planner)).json()["errors"]
    assert [e["field"] for e in error["extensions"]["fieldErrors"]] == ["input.state"]

    # A reader may not write values: the service says 403.
    (error,) = (await gql(REPORT, variables)).json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"

    variables["measure"] = "no-such-measure"
    variables["input"]["state"] = "final"
    (error,) = (await gql(REPORT, variables, planner)).json()["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_assess_a_goal_and_update_an_activity(
    gql: GraphQL, seed_plan: Any, goals: Any, tokens: TokenFactory
) -> None:
    await seed_plan("mut-assess", 1)
    planner = tokens.headers("planner", org_units=["mut-assess"])
    assess = """mutation($goal: ID!, $input: AssessmentInput!) {
        assessGoal(goalId: $goal, input: $input) { goalId year period kind answer colour comment }
    }"""
    input_ = {"year": 2025, "period": "helar", "kind": "final", "answer": "Delvis",
              "colour": "yellow", "comment": "Halvvägs."}  # fmt: skip
    body = (await gql(assess, {"goal": "mut-assess-g00", "input": input_}, planner)).json()
    assert body["data"]["assessGoal"] == {"goalId": "mut-assess-g00", **input_}
    status = """{ plan(id: "mut-assess-plan") { goals(year: 2025, level: "namndmal") {
        periodStatus(period: "helar") { assessment { answer } fulfilled }
        assessments(period: "helar") { answer } } } }"""
    goal = (await gql(status)).json()["data"]["plan"]["goals"][0]
    assert goal["periodStatus"] == {"assessment": {"answer": "Delvis"}, "fulfilled": False}
    assert [a["answer"] for a in goal["assessments"]] == ["Ja", "Delvis"]

    bad = {**input_, "period": "nope"}
    (error,) = (await gql(assess, {"goal": "mut-assess-g00", "input": bad}, planner)).json()[
        "errors"
    ]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"

    async with httpx.AsyncClient(base_url=goals.url, headers=planner) as client:
        created = await client.post(
            "/api/v1/goals/mut-assess-g00/activities",
            json={
                "org_unit_id": "mut-assess",
                "year": 2025,
                "title": "Utbilda",
                "status": "pagaende",
                "progress": 10,
            },
        )
        assert created.status_code == 201, created.text
        activity_id = created.json()["id"]
    update = """mutation($id: ID!, $input: ActivityUpdateInput!) {
        updateActivity(activityId: $id, input: $input) { title status progress } }"""
    body = (
        await gql(
            update, {"id": str(activity_id), "input": {"status": "klar", "progress": 100}}, planner
        )
    ).json()
    assert body["data"]["updateActivity"] == {"title": "Utbilda", "status": "klar", "progress": 100}
    activities = """{ plan(id: "mut-assess-plan") { goals(year: 2025, level: "namndmal") {
        activities { title status } periodStatus(period: "helar") { activities { total
        byStatus { status count } } } } } }"""
    goal = (await gql(activities)).json()["data"]["plan"]["goals"][0]
    assert goal["activities"] == [{"title": "Utbilda", "status": "klar"}]
    assert goal["periodStatus"]["activities"]["total"] == 1
    body = (await gql(update, {"id": "x1", "input": {"progress": 101}}, planner)).json()
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "activityId"
    body = (await gql(update, {"id": str(activity_id), "input": {"progress": 101}}, planner)).json()
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "input.progress"


async def test_a_value_before_a_later_target_shows_the_interim_target_and_its_operator(
    gql: GraphQL, seed_plan: Any, goals: Any, admin: dict[str, str], tokens: TokenFactory
) -> None:
    await seed_plan("mut-interim", 0)
    measure = {"id": "mut-interim-m", "code": "M-I", "org_unit_id": "mut-interim",
               "name": "Heltid", "unit_kind": "percent", "direction": "increase",
               "series": [{"baseline": {"value": 50, "period": "2023"},
                           "targets": {"2027": {"op": ">=", "value": 70}}}]}  # fmt: skip
    async with httpx.AsyncClient(base_url=goals.url, headers=admin) as client:
        created = await client.post("/api/v1/measures", json=measure)
        assert created.status_code == 201, created.text
    query = """mutation($input: MeasureValueInput!) {
        reportMeasureValue(measureId: "mut-interim-m", input: $input) {
            status targetBasis interimTarget interimOp target { op } } }"""
    planner = tokens.headers("planner", org_units=["mut-interim"])
    variables = {"input": {"orgUnitId": "mut-interim", "period": "2025", "value": 61}}
    body = (await gql(query, variables, planner)).json()
    assert body["data"]["reportMeasureValue"] == {
        "status": "MET", "targetBasis": "INTERIM", "interimTarget": 60.0, "interimOp": ">=",
        "target": None,
    }  # fmt: skip
