"""Cases of an org unit (a connection over the deviations service's pages) with history,
actions and deadlines, and the case and forecast mutations: thin calls whose 409/422 answers
come back as BAD_USER_INPUT naming the GraphQL arguments. Against the deviations and budget
stand-ins (``conftest.py``), whose answers are validated by the services' own schemas."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

GraphQL = Callable[..., Awaitable[httpx.Response]]

CASES = """
query Cases($id: ID!, $after: String) {
  orgUnit(id: $id) {
    cases(first: 2, after: $after, state: "registered") {
      edges { node { id referenceNumber state deadline { milestone dueDate overdue }
                     actions { id description owner dueDate status } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def test_cases_page_forwards_and_resumes(
    post: GraphQL, full_gateway: Any, reader: dict[str, str]
) -> None:
    full_gateway.deviations.requests.clear()
    body = (await post(full_gateway.url, CASES, {"id": "oxelosund-ao"}, reader)).json()
    cases = body["data"]["orgUnit"]["cases"]
    assert [edge["node"]["referenceNumber"] for edge in cases["edges"]] == [
        "AVV-2025-0001",
        "AVV-2025-0002",
    ]
    first = cases["edges"][0]["node"]
    assert first["deadline"] == {"milestone": "received", "dueDate": "2025-03-11", "overdue": True}
    assert first["actions"] == [
        {"id": "7", "description": "Halkmatta", "owner": "Enhetschef", "dueDate": "2025-04-01",
         "status": "planned"}
    ]  # fmt: skip
    assert cases["pageInfo"]["hasNextPage"] is True
    after = cases["pageInfo"]["endCursor"]
    body = (
        await post(full_gateway.url, CASES, {"id": "oxelosund-ao", "after": after}, reader)
    ).json()
    rest = body["data"]["orgUnit"]["cases"]
    assert [edge["node"]["id"] for edge in rest["edges"]] == ["3"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert full_gateway.deviations.requests == [
        ("GET", "/api/v1/cases", "org_unit_id=oxelosund-ao&state=registered&limit=2"),
        ("GET", "/api/v1/cases", "org_unit_id=oxelosund-ao&state=registered&cursor=2&limit=2"),
    ]


async def test_cases_of_a_unit_the_caller_may_not_see_are_forbidden_there(
    post: GraphQL, full_gateway: Any, reader: dict[str, str]
) -> None:
    query = '{ orgUnit(id: "oxelosund-ks") { code cases { nodes { id } } } }'
    body = (await post(full_gateway.url, query, None, reader)).json()
    assert body["data"] == {"orgUnit": {"code": "KS", "cases": None}}
    (error,) = body["errors"]
    assert error["path"] == ["orgUnit", "cases"]
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_case_history(post: GraphQL, full_gateway: Any, reader: dict[str, str]) -> None:
    query = """{ orgUnit(id: "oxelosund-sabo") { cases(first: 1) { nodes {
        history { actor event field before after } } } } }"""
    body = (await post(full_gateway.url, query, None, reader)).json()
    (case,) = body["data"]["orgUnit"]["cases"]["nodes"]
    assert case["history"] == [
        {"actor": "staff-1", "event": "registered", "field": None, "before": None, "after": None},
        {"actor": "chef-1", "event": "field_changed", "field": "category", "before": None,
         "after": "fall"},
    ]  # fmt: skip


REGISTER = """mutation($input: CaseInput!) {
  registerCase(input: $input) { id referenceNumber state orgUnitId description }
}"""
TRANSITION = """mutation($id: ID!, $input: CaseTransitionInput!) {
  transitionCase(caseId: $id, input: $input) { id state assignedTo }
}"""
ACTION = """mutation($id: ID!, $input: CaseActionInput!) {
  addCaseAction(caseId: $id, input: $input) { id description owner dueDate status }
}"""


async def test_case_mutations(post: GraphQL, full_gateway: Any, reader: dict[str, str]) -> None:
    async def run(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        full_gateway.deviations.requests.clear()
        return dict((await post(full_gateway.url, query, variables, reader)).json())

    case = {
        "kind": "deviation",
        "orgUnitId": "oxelosund-sabo",
        "description": "Fall",
        "lawArea": "SoL",
    }
    body = await run(REGISTER, {"input": case})
    assert body["data"]["registerCase"] == {
        "id": "4", "referenceNumber": "AVV-2025-0004", "state": "registered",
        "orgUnitId": "oxelosund-sabo", "description": "Fall",
    }  # fmt: skip
    assert full_gateway.deviations.requests == [("POST", "/api/v1/cases", "")]

    body = await run(REGISTER, {"input": {**case, "lawArea": None}})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"] == [
        {"field": "input.lawArea", "message": "law_area is required for deviations",
         "type": "invalid"}
    ]  # fmt: skip

    body = await run(TRANSITION, {"id": "4", "input": {"to": "received", "assignedTo": "chef-1"}})
    assert body["data"]["transitionCase"] == {
        "id": "4",
        "state": "received",
        "assignedTo": "chef-1",
    }
    body = await run(TRANSITION, {"id": "4", "input": {"to": "closed"}})
    (error,) = body["errors"]
    assert error["message"] == "Every action needs an effect follow-up first."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["status"] == 409

    action = {"description": "Halkmatta", "owner": "Enhetschef", "dueDate": "2025-05-01"}
    body = await run(ACTION, {"id": "4", "input": action})
    assert body["data"]["addCaseAction"] == {"id": "8", "status": "planned", **action}
    body = await run(ACTION, {"id": "4", "input": {**action, "dueDate": "2024-01-01"}})
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "input.dueDate"
    body = await run(ACTION, {"id": "../4", "input": action})
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "caseId"
    assert full_gateway.deviations.requests == []


FORECAST = """mutation($year: Int!, $month: Int!, $input: ForecastInput!) {
  recordForecast(year: $year, month: $month, input: $input) {
    year month orgUnitId activityCode accountGroupKey amount comment
  }
}"""


async def test_record_forecast(post: GraphQL, full_gateway: Any, reader: dict[str, str]) -> None:
    line = {"orgUnitId": "oxelosund-sabo", "activityCode": "510", "amount": "-61250000.50"}
    variables = {"year": 2025, "month": 8, "input": line}
    body = (await post(full_gateway.url, FORECAST, variables, reader)).json()
    assert body["data"]["recordForecast"] == [
        {"year": 2025, "month": 8, "orgUnitId": "oxelosund-sabo", "activityCode": "510",
         "accountGroupKey": None, "amount": "-61250000.50", "comment": None}
    ]  # fmt: skip
    body = (await post(full_gateway.url, FORECAST, {**variables, "month": 5}, reader)).json()
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "month"
    bad_line = {**line, "activityCode": "x"}
    body = (await post(full_gateway.url, FORECAST, {**variables, "input": bad_line}, reader)).json()
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "input.activityCode"
