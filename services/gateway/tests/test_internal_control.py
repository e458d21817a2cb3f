"""The internal control plan under the org unit, over the real goals service: the plan, its
processes, risks, controls and results, and the report's distribution of risk values."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from styr_shared.testing import TokenFactory

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


# --- writes through GraphQL --------------------------------------------------------------------

CREATE = """mutation($input: InternalControlPlanInput!) {
    createInternalControlPlan(input: $input) {
        id orgUnitId year name riskThreshold processes { id } }
}"""
ADD_PROCESS = """mutation($plan: ID!, $input: InternalControlProcessInput!) {
    addInternalControlProcess(planId: $plan, input: $input) { id name description }
}"""
ADD_RISK = """mutation($plan: ID!, $input: InternalControlRiskInput!) {
    addInternalControlRisk(planId: $plan, input: $input) {
        id title probability consequence riskValue needsControl financial controls { id }
    }
}"""
ASSESS = """mutation($risk: ID!, $input: InternalControlRiskUpdateInput!) {
    assessInternalControlRisk(riskId: $risk, input: $input) { id probability consequence riskValue
        needsControl }
}"""
ADD_CONTROL = """mutation($risk: ID!, $input: InternalControlInput!) {
    addInternalControl(riskId: $risk, input: $input) { id method frequency responsible timing
        result { outcome } }
}"""
RESULT = """mutation($control: ID!, $input: ControlResultInput!) {
    reportInternalControlResult(controlId: $control, input: $input) {
        outcome comment actions actionResponsible actionDue reportedBy }
}"""
UPDATE_PLAN = """mutation($plan: ID!, $input: InternalControlPlanUpdateInput!) {
    updateInternalControlPlan(planId: $plan, input: $input) { id adoptedOn decision summary }
}"""
CONTROL = {"method": "Stickprov på 10 signeringslistor", "frequency": "Varje tertial",
           "responsible": "MAS", "timing": "April, augusti, december"}  # fmt: skip


async def _data(gql: GraphQL, query: str, variables: dict[str, Any], headers: Any) -> Any:
    body = (await gql(query, variables, headers)).json()
    assert "errors" not in body, body
    return body["data"]


def _error(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    assert isinstance(error, dict)
    return error


async def test_a_plan_is_created_assessed_controlled_and_reported_through_graphql(
    gql: GraphQL, seed_plan: Any, tokens: TokenFactory
) -> None:
    await seed_plan("gw-ikflow", 0)
    planner = tokens.headers("planner", subject="ik-planner", org_units=["gw-ikflow"])
    plan_input = {"id": "gw-ikflow-2025", "orgUnitId": "gw-ikflow", "year": 2025,
                  "name": "Internkontrollplan 2025", "riskThreshold": 8}  # fmt: skip
    created = (await _data(gql, CREATE, {"input": plan_input}, planner))[
        "createInternalControlPlan"
    ]
    assert created == {**plan_input, "processes": []}
    plan = {"plan": "gw-ikflow-2025"}
    drugs = (await _data(gql, ADD_PROCESS, {**plan, "input": {"name": "Läkemedel"}}, planner))[
        "addInternalControlProcess"
    ]
    buying = (await _data(gql, ADD_PROCESS, {**plan, "input": {"name": "Inköp"}}, planner))[
        "addInternalControlProcess"
    ]
    renamed = await _data(
        gql,
        """mutation($id: ID!, $input: InternalControlProcessUpdateInput!) {
            updateInternalControlProcess(processId: $id, input: $input) { id name description }
        }""",
        {"id": drugs["id"], "input": {"name": "Läkemedelshantering", "description": "HSL"}},
        planner,
    )
    assert renamed["updateInternalControlProcess"] == {
        "id": drugs["id"], "name": "Läkemedelshantering", "description": "HSL"
    }  # fmt: skip
    risks = {}
    for process, title, probability, consequence, financial in (
        (drugs, "Fel dos", 2, 4, False),
        (drugs, "Signering saknas", 2, 2, False),
        (buying, "Inköp utanför avtal", 3, 3, True),
    ):
        risk_input = {"processId": process["id"], "title": title, "probability": probability,
                      "consequence": consequence, "financial": financial}  # fmt: skip
        risk = (await _data(gql, ADD_RISK, {**plan, "input": risk_input}, planner))[
            "addInternalControlRisk"
        ]
        assert (risk["riskValue"], risk["financial"]) == (probability * consequence, financial)
        risks[title] = risk
    # The second risk is re-assessed: 2 × 2 → 3 × 3, now above the threshold.
    assessed = (
        await _data(
            gql,
            ASSESS,
            {
                "risk": risks["Signering saknas"]["id"],
                "input": {"probability": 3, "consequence": 3},
            },
            planner,
        )
    )["assessInternalControlRisk"]
    assert (assessed["riskValue"], assessed["needsControl"]) == (9, True)
    controls = {}
    for title in ("Fel dos", "Inköp utanför avtal"):
        control = (
            await _data(gql, ADD_CONTROL, {"risk": risks[title]["id"], "input": CONTROL}, planner)
        )["addInternalControl"]
        assert control == {"id": control["id"], **CONTROL, "result": None}
        controls[title] = control["id"]
    remark = {"outcome": "REMARK", "comment": "3 av 10 osignerade", "actions": "Utbildning",
              "actionResponsible": "Enhetschef", "actionDue": "2025-12-31"}  # fmt: skip
    result = (await _data(gql, RESULT, {"control": controls["Fel dos"], "input": remark}, planner))[
        "reportInternalControlResult"
    ]
    assert result == {**remark, "reportedBy": "ik-planner"}
    clean = {"outcome": "NO_REMARK"}
    await _data(gql, RESULT, {"control": controls["Inköp utanför avtal"], "input": clean}, planner)
    adopted = {"adoptedOn": "2024-12-17", "decision": "VON 2024-12-17 § 112",
               "summary": "Kontrollerna är genomförda; en anmärkning."}  # fmt: skip
    updated = (await _data(gql, UPDATE_PLAN, {**plan, "input": adopted}, planner))[
        "updateInternalControlPlan"
    ]
    assert updated == {"id": "gw-ikflow-2025", **adopted}

    # The report, read back as any reader of the municipality reads it.
    report_query = """{ orgUnit(id: "gw-ikflow") { internalControlPlans(year: 2025) {
        summary adoptedOn processes { name risks { title riskValue controls { result {
        outcome } } } }
        report { processes risks distribution { riskValue count } risksNeedingControl
            risksWithoutControl totals { controls noRemark remark notReported }
            financial { controls noRemark remark notReported } controls { risk outcome actions } }
    } } }"""
    (found,) = (await _data(gql, report_query, {}, None))["orgUnit"]["internalControlPlans"]
    assert (found["summary"], found["adoptedOn"]) == (adopted["summary"], "2024-12-17")
    assert [p["name"] for p in found["processes"]] == ["Läkemedelshantering", "Inköp"]
    report = found["report"]
    counts = {row["riskValue"]: row["count"] for row in report["distribution"] if row["count"]}
    assert counts == {8: 1, 9: 2}
    assert (report["processes"], report["risks"], report["risksNeedingControl"]) == (2, 3, 3)
    assert report["risksWithoutControl"] == [risks["Signering saknas"]["id"]]
    assert report["totals"] == {"controls": 2, "noRemark": 1, "remark": 1, "notReported": 0}
    assert report["financial"] == {"controls": 1, "noRemark": 1, "remark": 0, "notReported": 0}
    assert report["controls"] == [
        {"risk": "Inköp utanför avtal", "outcome": "NO_REMARK", "actions": None},
        {"risk": "Fel dos", "outcome": "REMARK", "actions": "Utbildning"},
    ]


async def test_who_may_write_and_bad_input_names_the_field(
    gql: GraphQL, seed_plan: Any, tokens: TokenFactory
) -> None:
    await seed_plan("gw-ikperm", 0)
    planner = tokens.headers("planner", org_units=["gw-ikperm"])
    plan_input = {"id": "gw-ikperm-2025", "orgUnitId": "gw-ikperm", "year": 2025, "name": "IK"}
    process_input = {"plan": "gw-ikperm-2025", "input": {"name": "Avgifter"}}
    # A reader writes nothing; another municipality's admin neither.
    outsider = tokens.headers("admin", org_units=["oxelosund"])
    for headers in (None, outsider):
        error = _error((await gql(CREATE, {"input": plan_input}, headers)).json())
        assert error["extensions"]["code"] == "FORBIDDEN", error
    await _data(gql, CREATE, {"input": plan_input}, planner)
    for headers in (None, outsider):
        error = _error((await gql(ADD_PROCESS, process_input, headers)).json())
        assert (error["extensions"]["code"], error["path"]) == (
            "FORBIDDEN",
            ["addInternalControlProcess"],
        )
    process = (await _data(gql, ADD_PROCESS, process_input, planner))["addInternalControlProcess"]
    # A second plan for the year: the service's 409.
    error = _error(
        (await gql(CREATE, {"input": {**plan_input, "id": "gw-ikperm-b"}}, planner)).json()
    )
    assert (error["extensions"]["code"], error["extensions"]["status"]) == ("BAD_USER_INPUT", 409)

    async def field_of(query: str, variables: dict[str, Any]) -> tuple[str, list[str]]:
        error = _error((await gql(query, variables, planner)).json())
        fields = [e["field"] for e in error["extensions"].get("fieldErrors", [])]
        return error["extensions"]["code"], fields

    bad = {"processId": process["id"], "title": "Fel avgift", "probability": 5, "consequence": 2}
    assert await field_of(ADD_RISK, {"plan": "gw-ikperm-2025", "input": bad}) == (
        "BAD_USER_INPUT",
        ["input.probability"],
    )
    bad = {**bad, "probability": 2, "processId": "abc"}
    assert await field_of(ADD_RISK, {"plan": "gw-ikperm-2025", "input": bad}) == (
        "BAD_USER_INPUT",
        ["input.processId"],
    )
    assert await field_of(ASSESS, {"risk": "r-1", "input": {"consequence": 2}}) == (
        "BAD_USER_INPUT",
        ["riskId"],
    )
    risk_input = {**bad, "processId": process["id"]}
    risk = (await _data(gql, ADD_RISK, {"plan": "gw-ikperm-2025", "input": risk_input}, planner))[
        "addInternalControlRisk"
    ]
    assert await field_of(ASSESS, {"risk": risk["id"], "input": {"consequence": 0}}) == (
        "BAD_USER_INPUT",
        ["input.consequence"],
    )
    control = (await _data(gql, ADD_CONTROL, {"risk": risk["id"], "input": CONTROL}, planner))[
        "addInternalControl"
    ]
    no_remark_with_actions = {"outcome": "NO_REMARK", "actions": "Inga"}
    assert await field_of(RESULT, {"control": control["id"], "input": no_remark_with_actions}) == (
        "BAD_USER_INPUT",
        ["input.actions"],
    )
    assert await field_of(
        UPDATE_PLAN, {"plan": "gw-ikperm-2025", "input": {"riskThreshold": 17}}
    ) == ("BAD_USER_INPUT", ["input.riskThreshold"])
    unknown_unit = {**plan_input, "id": "gw-ikperm-x", "orgUnitId": "no-such-unit"}
    assert await field_of(CREATE, {"input": unknown_unit}) == (
        "BAD_USER_INPUT",
        ["input.orgUnitId"],
    )
    code, _ = await field_of(ADD_CONTROL, {"risk": "999999", "input": CONTROL})
    assert code == "NOT_FOUND"


_years = itertools.count(1990)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(risks=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), max_size=12))
async def test_the_reports_distribution_of_risk_values_counts_the_risks(
    gql: GraphQL, seed_plan: Any, tokens: TokenFactory, risks: list[tuple[int, int]]
) -> None:
    """Whatever risks are assessed through the graph, the report's distribution of risk values
    is the count of the risks by probability × consequence, each value 1–16 once."""
    if (await gql('{ orgUnit(id: "gw-ikprop") { id } }')).json()["data"]["orgUnit"] is None:
        await seed_plan("gw-ikprop", 0)
    planner = tokens.headers("planner", org_units=["gw-ikprop"])
    year = next(_years)  # one plan a year: each example a year of its own
    plan_id = f"gw-ikprop-{year}"
    plan_input = {"id": plan_id, "orgUnitId": "gw-ikprop", "year": year, "name": "IK"}
    await _data(gql, CREATE, {"input": plan_input}, planner)
    process = (await _data(gql, ADD_PROCESS, {"plan": plan_id, "input": {"name": "P"}}, planner))[
        "addInternalControlProcess"
    ]
    for index, (probability, consequence) in enumerate(risks):
        risk_input = {"processId": process["id"], "title": f"R{index}",
                      "probability": probability, "consequence": consequence}  # fmt: skip
        await _data(gql, ADD_RISK, {"plan": plan_id, "input": risk_input}, planner)
    query = """query($unit: ID!, $year: Int!) { orgUnit(id: $unit) {
        internalControlPlans(year: $year) { report { risks distribution { riskValue count } } }
    } }"""
    data = await _data(gql, query, {"unit": "gw-ikprop", "year": year}, None)
    (plan,) = data["orgUnit"]["internalControlPlans"]
    distribution = plan["report"]["distribution"]
    expected = Counter(p * c for p, c in risks)
    possible = sorted({p * c for p in range(1, 5) for c in range(1, 5)}, reverse=True)
    assert [row["riskValue"] for row in distribution] == possible
    assert {row["riskValue"]: row["count"] for row in distribution} == {
        value: expected.get(value, 0) for value in possible
    }
    assert plan["report"]["risks"] == len(risks)


# --- reads are batched -----------------------------------------------------------------------

TREE = """query($root: ID!, $year: Int!) { orgUnit(id: $root) { children(first: 10) { nodes { id
    internalControlPlans(year: $year) { id processes { name risks { title controls { method } } }
        report { risks distribution { riskValue count } } }
} } } }"""


async def _committees(goals: Any, admin: dict[str, str], root: str, count: int) -> None:
    """A municipality ``root`` with ``count`` committees, each with a 2025 plan of two
    processes, a risk each and a control."""
    async with httpx.AsyncClient(base_url=goals.url, headers=admin, timeout=30) as client:
        units = [{"id": root, "code": root.upper(), "name": root, "level": "municipality"}]
        units += [
            {"id": f"{root}-{i}", "code": f"N{i}", "name": f"Nämnd {i}", "level": "committee",
             "parent_id": root}
            for i in range(count)
        ]  # fmt: skip
        for unit in units:
            _created(await client.post("/api/v1/org-units", json=unit))
        for i in range(count):
            plan_id = f"{root}-{i}-ik"
            plan = {"id": plan_id, "org_unit_id": f"{root}-{i}", "year": 2025, "name": "IK"}
            _created(await client.post("/api/v1/internal-control-plans", json=plan))
            for name in ("A", "B"):
                process = _created(
                    await client.post(
                        f"/api/v1/internal-control-plans/{plan_id}/processes", json={"name": name}
                    )
                )
                risk = _created(
                    await client.post(
                        f"/api/v1/internal-control-plans/{plan_id}/risks",
                        json={"process_id": process["id"], "title": f"{name}{i}",
                              "probability": 3, "consequence": 1 + i % 4},
                    )
                )  # fmt: skip
                _created(
                    await client.post(
                        f"/api/v1/internal-control-risks/{risk['id']}/controls", json=CONTROL
                    )
                )


async def test_plans_of_many_units_cost_one_call_per_level(
    post: GraphQL, gateway: str, goals: Any, admin: dict[str, str]
) -> None:
    await _committees(goals, admin, "ik-small", 2)
    await _committees(goals, admin, "ik-big", 7)

    async def calls(root: str) -> tuple[list[Any], list[tuple[str, str, str]]]:
        goals.recorder.requests.clear()
        response = await post(gateway, TREE, {"root": root, "year": 2025}, admin)
        body = response.json()
        assert "errors" not in body, body
        made = sorted(
            (
                method,
                path,
                "&".join(
                    sorted(q for q in query.split("&") if q.split("=")[0] in {"year", "limit"})
                ),
            )
            for method, path, query in goals.recorder.api_calls()
            if "internal-control" in path
        )
        return body["data"]["orgUnit"]["children"]["nodes"], made

    _, small_calls = await calls("ik-small")
    big, big_calls = await calls("ik-big")
    expected = [
        ("GET", "/api/v1/internal-control-plans", "limit=500&year=2025"),
        ("GET", "/api/v1/internal-control-processes", "limit=500"),
        ("GET", "/api/v1/internal-control-reports", "limit=500"),
    ]
    assert small_calls == expected
    assert big_calls == expected
    assert len(big) == 7
    for index, unit in enumerate(big):
        (plan,) = unit["internalControlPlans"]
        assert plan["id"] == f"ik-big-{index}-ik"
        assert [p["name"] for p in plan["processes"]] == ["A", "B"]
        assert [p["risks"][0]["title"] for p in plan["processes"]] == [f"A{index}", f"B{index}"]
        counts = {r["riskValue"]: r["count"] for r in plan["report"]["distribution"] if r["count"]}
        assert counts == {3 * (1 + index % 4): 2}
