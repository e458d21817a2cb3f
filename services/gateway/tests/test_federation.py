"""The graph as a Federation v2 subgraph: ``_service { sdl }`` and ``_entities``.

References resolve through the request's loaders: 50 references of a kind cost a few service
calls (counted in ``extensions.upstream``), not 50; what they answer is what the rest of the
graph answers; and the services judge the forwarded token as for any other field (a case
outside the caller's scope is not resolved).
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
import strawberry
from graphql import build_schema as build_graphql_schema
from graphql import find_breaking_changes, find_dangerous_changes, parse, print_type
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from styr_gateway.cost import query_cost
from styr_gateway.export_schema import SUBGRAPH_FILE
from styr_gateway.federation import without_federation_markup
from styr_gateway.schema import FIELD_COSTS, Mutation, Query, build_schema, sdl, subgraph_sdl
from styr_gateway.types.orgunits import MUNICIPAL_TIME
from styr_shared.testing import TokenFactory

from .conftest import CLOSED_PORT_URL, CONFIG, Goals, RealServices, SeedPlan, gateway_server

GraphQL = Callable[..., Awaitable[httpx.Response]]
ENTITY_TYPES = ["Case", "Goal", "Measure", "OrgUnit", "Plan"]
ROOT = "fed-kommun"
UNITS = [f"fed-{i:02d}" for i in range(50)]
PLANS = [f"fed-plan-{i:02d}" for i in range(50)]
COMMITTEE = "fed-von"

ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on OrgUnit { id code name parent { id } }
    ... on Plan { id name orgUnitId startYear }
    ... on Goal { id code title year }
    ... on Measure { id code name targets(allYears: true) { year target { value } } }
    ... on Case { id referenceNumber orgUnitId actions { description } }
  }
}
"""


def refs(typename: str, ids: list[str]) -> list[dict[str, str]]:
    return [{"__typename": typename, "id": entity_id} for entity_id in ids]


def plan_year(start: int, end: int) -> int:
    """The year a reference shows a goal of a plan in: this year, within the plan's."""
    return max(start, min(datetime.now(MUNICIPAL_TIME).year, end))


# --- the schema -------------------------------------------------------------------------------


def test_subgraph_sdl_links_federation_and_keys_the_entities() -> None:
    text = subgraph_sdl()
    assert text.startswith(
        'schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])'
    )
    keyed = sorted(line.split()[1] for line in text.splitlines() if '@key(fields: "id"' in line)
    assert keyed == ENTITY_TYPES
    assert "union _Entity = Case | Goal | Measure | OrgUnit | Plan" in text
    assert SUBGRAPH_FILE.read_text(encoding="utf-8") == text, (
        "subgraph.graphql is out of date: run `.tools/bin/uv run --frozen styr-gateway "
        "export-schema`"
    )


def test_used_alone_the_graph_only_gains_the_federation_fields() -> None:
    # The graph as before federation (a plain schema of the same root types) against the
    # snapshot: nothing changed or lost, only `_entities`, `_service` and their types added.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the plain schema warns about the @key directives
        plain = strawberry.Schema(query=Query, mutation=Mutation)._schema
    client = build_graphql_schema(sdl())
    assert find_breaking_changes(plain, client) == []
    assert find_dangerous_changes(plain, client) == []
    federation = {"_Any", "_Entity", "_Service", "_FieldSet", "link__Import", "link__Purpose"}
    assert set(client.type_map) - set(plain.type_map) <= federation
    assert set(plain.type_map) - federation == set(client.type_map) - federation
    for name, graphql_type in plain.type_map.items():
        if name not in federation and name != "Query":
            assert print_type(graphql_type) == print_type(client.type_map[name]), name
    assert client.query_type is not None
    assert plain.query_type is not None
    added = set(client.query_type.fields) - set(plain.query_type.fields)
    assert added == {"_entities", "_service"}
    # Defined (introspection lists them), never applied where a client looks.
    assert {"key", "link"} <= {directive.name for directive in client.directives}
    assert "@key(fields" not in sdl()
    assert "schema @link" not in sdl()


def test_the_markup_is_removed_exactly() -> None:
    subgraph = (
        'schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"]) {\n'
        "  query: Query\n}\n\n"
        'type A @key(fields: "id", resolvable: true) {\n  id: ID!\n}\n\n'
        'type B @key(fields: "id") {\n  key: String\n}\n\ntype Query {\n  a: A\n}\n'
    )
    assert without_federation_markup(subgraph) == (
        "type A {\n  id: ID!\n}\n\ntype B {\n  key: String\n}\n\ntype Query {\n  a: A\n}\n"
    )


def test_entities_cost_grows_with_the_representations_and_their_selections() -> None:
    schema = build_schema()._schema
    document = parse(
        "query Q($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on OrgUnit { plans { id } } ... on Plan { id } } }"
    )

    def cost(count: int) -> int | None:
        variables = {"r": refs("OrgUnit", [f"u{i}" for i in range(count)])}
        return query_cost(schema, document, variables, None, FIELD_COSTS)

    one, fifty = cost(1), cost(50)
    assert one is not None
    assert fifty is not None
    # The federation weight once, then OrgUnit.plans (the costlier type) per representation.
    assert fifty - one == 49 * FIELD_COSTS["OrgUnit.plans"].weight
    only_plans = parse(
        "query Q($r: [_Any!]!) { _entities(representations: $r) { ... on Plan { id } } }"
    )
    assert query_cost(schema, only_plans, {"r": refs("Plan", ["p"] * 50)}, None, FIELD_COSTS) == (
        FIELD_COSTS["Query._entities"].weight
    )


# --- entity references over the real goals service -------------------------------------------


@pytest.fixture(scope="session")
async def federation_data(goals: Goals, admin: dict[str, str], seed_plan: SeedPlan) -> Any:
    """50 units under a municipality of their own, a plan on each, and a committee with a plan
    of 50 goals, each with a measure."""
    async with httpx.AsyncClient(base_url=goals.url, headers=admin, timeout=30) as client:
        root = {"id": ROOT, "code": "FED", "name": "Federationskommun", "level": "municipality"}
        assert (await client.post("/api/v1/org-units", json=root)).status_code == 201
        config = await client.put(f"/api/v1/municipalities/{ROOT}/steering-config", json=CONFIG)
        assert config.status_code == 200, config.text
        for i, unit_id in enumerate(UNITS):
            unit = {"id": unit_id, "code": f"F{i:02d}", "name": f"Enhet {i}",
                    "level": "committee", "parent_id": ROOT}  # fmt: skip
            response = await client.post("/api/v1/org-units", json=unit)
            assert response.status_code == 201, response.text
        for unit_id, plan_id in zip(UNITS, PLANS, strict=True):
            plan = {"id": plan_id, "org_unit_id": unit_id, "name": f"Plan {plan_id}",
                    "start_year": 2025, "end_year": 2027}  # fmt: skip
            response = await client.post("/api/v1/plans", json=plan)
            assert response.status_code == 201, response.text
    return await seed_plan(COMMITTEE, 50)


@pytest.fixture(scope="session")
def counting_gateway(goals: Goals) -> Iterator[str]:
    """A gateway over the goals service reporting its service calls."""
    with gateway_server(
        goals_url=goals.url,
        budget_url=CLOSED_PORT_URL,
        deviations_url=CLOSED_PORT_URL,
        upstream_stats=True,
    ) as url:
        yield url


async def _entities(
    post: GraphQL, url: str, representations: list[dict[str, str]], headers: dict[str, str]
) -> tuple[dict[str, Any], list[str]]:
    response = await post(url, ENTITIES, {"representations": representations}, headers)
    assert response.status_code == 200, response.text
    body = response.json()
    paths = [call["path"].split("?")[0] for call in body["extensions"]["upstream"]["trace"]]
    return body, paths


async def test_service_sdl_is_the_subgraph(gateway: str, post: GraphQL) -> None:
    # No token needed: the router reads it before any caller comes.
    response = await post(gateway, "{ _service { sdl } }")
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"_service": {"sdl": subgraph_sdl().rstrip("\n")}}}


async def test_fifty_org_units_cost_one_read_of_the_organisation(
    post: GraphQL, counting_gateway: str, reader: dict[str, str], federation_data: Any
) -> None:
    body, paths = await _entities(post, counting_gateway, refs("OrgUnit", UNITS), reader)
    assert "errors" not in body, body["errors"]
    entities = body["data"]["_entities"]
    assert [entity["id"] for entity in entities] == UNITS
    assert entities[7] == {
        "__typename": "OrgUnit", "id": "fed-07", "code": "F07", "name": "Enhet 7",
        "parent": {"id": ROOT},
    }  # fmt: skip
    # The whole organisation once (its pages of 500), whatever the number of references.
    assert set(paths) == {"/api/v1/org-units"}
    assert len(paths) <= 2


async def test_fifty_plans_cost_one_call(
    post: GraphQL, counting_gateway: str, reader: dict[str, str], federation_data: Any
) -> None:
    body, paths = await _entities(post, counting_gateway, refs("Plan", PLANS[::-1]), reader)
    assert "errors" not in body, body["errors"]
    entities = body["data"]["_entities"]
    assert [entity["id"] for entity in entities] == PLANS[::-1]
    assert entities[-1] == {
        "__typename": "Plan", "id": "fed-plan-00", "name": "Plan fed-plan-00",
        "orgUnitId": "fed-00", "startYear": 2025,
    }  # fmt: skip
    assert paths == ["/api/v1/plans"]


async def test_fifty_goals_and_fifty_measures_cost_a_few_calls(
    post: GraphQL, counting_gateway: str, reader: dict[str, str], federation_data: Any
) -> None:
    goal_ids = [f"{COMMITTEE}-g{i:02d}" for i in range(50)]
    measure_ids = [f"{COMMITTEE}-m{i:02d}" for i in range(50)]
    body, paths = await _entities(
        post, counting_gateway, refs("Goal", goal_ids) + refs("Measure", measure_ids), reader
    )
    assert "errors" not in body, body["errors"]
    entities = body["data"]["_entities"]
    year = plan_year(2025, 2027)
    assert entities[3] == {
        "__typename": "Goal", "id": f"{COMMITTEE}-g03", "code": "NM-03", "title": "Mål 3",
        "year": year,
    }  # fmt: skip
    assert entities[53] == {
        "__typename": "Measure", "id": f"{COMMITTEE}-m03", "code": "M-03", "name": "Mått 3",
        "targets": [{"year": 2025, "target": {"value": 50.0}}],
    }  # fmt: skip
    assert [entity["id"] for entity in entities] == goal_ids + measure_ids
    # The goals and the measures (one call each), the goals' plan (one plan: the targeted
    # call) and its tree of the year; the measures' goals are the goals already loaded.
    plan = f"/api/v1/plans/{COMMITTEE}-plan"
    assert sorted(paths) == ["/api/v1/goals", "/api/v1/measures", plan, f"{plan}/goals"]

    _, goal_paths = await _entities(post, counting_gateway, refs("Goal", goal_ids), reader)
    assert sorted(goal_paths) == ["/api/v1/goals", plan, f"{plan}/goals"]
    body, measure_paths = await _entities(
        post, counting_gateway, refs("Measure", measure_ids), reader
    )
    assert [entity["id"] for entity in body["data"]["_entities"]] == measure_ids
    assert sorted(measure_paths) == ["/api/v1/goals", "/api/v1/measures", plan]


async def test_a_goal_entity_is_the_goal_the_plan_shows(
    post: GraphQL, counting_gateway: str, reader: dict[str, str], federation_data: Any
) -> None:
    year = plan_year(2025, 2027)
    response = await post(
        counting_gateway,
        "query($id: ID!, $year: Int!) { plan(id: $id) { goals(year: $year) "
        "{ id code title year } } }",
        {"id": f"{COMMITTEE}-plan", "year": year},
        reader,
    )
    shown = {goal["id"]: goal for goal in response.json()["data"]["plan"]["goals"]}
    body, _ = await _entities(
        post, counting_gateway, refs("Goal", [f"{COMMITTEE}-g10", f"{COMMITTEE}-area"]), reader
    )
    for entity in body["data"]["_entities"]:
        assert {k: v for k, v in entity.items() if k != "__typename"} == shown[entity["id"]]


async def test_unknown_references_fail_alone(
    post: GraphQL, counting_gateway: str, reader: dict[str, str], federation_data: Any
) -> None:
    representations = [
        {"__typename": "OrgUnit", "id": "fed-01"},
        {"__typename": "OrgUnit", "id": "no-such-unit"},
        {"__typename": "Plan", "id": "fed-plan-01"},
        {"__typename": "Plan", "id": "no-such-plan"},
        {"__typename": "Plan", "id": "fed-plan-02"},
        {"__typename": "Goal", "id": "no-such-goal"},
        {"__typename": "Measure", "id": "no-such-measure"},
        {"__typename": "Case", "id": "not-a-number"},
    ]
    body, _ = await _entities(post, counting_gateway, representations, reader)
    entities = body["data"]["_entities"]
    assert [entity and entity["id"] for entity in entities] == [
        "fed-01", None, "fed-plan-01", None, "fed-plan-02", None, None, None,
    ]  # fmt: skip
    errors = {tuple(error["path"]): error["extensions"]["code"] for error in body["errors"]}
    assert errors == {("_entities", index): "NOT_FOUND" for index in (1, 3, 5, 6, 7)}


async def test_without_a_token_nothing_resolves(
    post: GraphQL, counting_gateway: str, federation_data: Any
) -> None:
    body, _ = await _entities(post, counting_gateway, refs("OrgUnit", UNITS[:3]), {})
    assert body["data"]["_entities"] == [None, None, None]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"UNAUTHENTICATED"}


# --- cases over the real deviations service: the caller's scope --------------------------------


@pytest.fixture(scope="session")
async def case_gateway(goals: Goals, real_services: RealServices) -> AsyncIterator[str]:
    with gateway_server(
        goals_url=goals.url,
        budget_url=real_services.budget,
        deviations_url=real_services.deviations,
        upstream_stats=True,
    ) as url:
        yield url


async def _cases(url: str, headers: dict[str, str], limit: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        response = await client.get("/api/v1/cases", params={"limit": limit})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_fifty_cases_cost_one_call_and_keep_their_actions(
    post: GraphQL, case_gateway: str, real_services: RealServices, tokens: TokenFactory
) -> None:
    handler = tokens.headers("case_handler", org_units=["oxelosund"])
    # 49 of the demo's cases (closed long ago, without actions) and a new one with an action.
    listed = await _cases(real_services.deviations, handler, 49)
    assert len(listed) == 49
    async with httpx.AsyncClient(base_url=real_services.deviations, headers=handler) as client:
        case = {"kind": "deviation", "law_area": "HSL", "category": "fall",
                "org_unit_id": "oxelosund-sabo", "description": "Fall i badrum.",
                "housing_type": "sarskilt_boende"}  # fmt: skip
        created = await client.post("/api/v1/cases", json=case)
        assert created.status_code == 201, created.text
        action = {"description": "Federationsåtgärd", "owner": "Enhetschef"}
        added = await client.post(f"/api/v1/cases/{created.json()['id']}/actions", json=action)
        assert added.status_code == 201, added.text
        listed.append((await client.get(f"/api/v1/cases/{created.json()['id']}")).json())
    ids = [str(case["id"]) for case in listed]
    body, paths = await _entities(post, case_gateway, refs("Case", ids), handler)
    assert "errors" not in body, body["errors"]
    entities = body["data"]["_entities"]
    assert [entity["referenceNumber"] for entity in entities] == [
        case["reference_number"] for case in listed
    ]
    assert paths == ["/api/v1/cases"]
    # Each with its actions, as the case itself answers them.
    async with httpx.AsyncClient(base_url=real_services.deviations, headers=handler) as client:
        for entity in entities:
            one = (await client.get(f"/api/v1/cases/{entity['id']}")).json()
            assert entity["actions"] == [
                {"description": action["description"]} for action in one["actions"]
            ]
    assert entities[49]["actions"] == [{"description": "Federationsåtgärd"}]


async def test_cases_outside_the_callers_scope_do_not_resolve(
    post: GraphQL, case_gateway: str, real_services: RealServices, tokens: TokenFactory
) -> None:
    everything = await _cases(
        real_services.deviations, tokens.headers("case_handler", org_units=["oxelosund"]), 500
    )
    scope = "oxelosund-sabo"  # the demo cases are at SÄBO, Hemtjänst and ÄO
    async with httpx.AsyncClient(
        base_url=real_services.deviations,
        headers=tokens.headers("case_handler", org_units=[scope]),
    ) as client:
        visible = {
            case["id"]
            for case in (await client.get("/api/v1/cases", params={"limit": 500})).json()["items"]
        }
    inside = [case for case in everything if case["id"] in visible][:3]
    outside = [case for case in everything if case["id"] not in visible][:3]
    assert len(inside) == 3
    assert len(outside) == 3
    ids = [str(case["id"]) for case in inside + outside]
    scoped = tokens.headers("case_handler", org_units=[scope])
    body, paths = await _entities(post, case_gateway, refs("Case", ids), scoped)
    entities = body["data"]["_entities"]
    assert [entity and entity["id"] for entity in entities] == ids[:3] + [None] * 3
    assert [error["path"] for error in body["errors"]] == [["_entities", i] for i in (3, 4, 5)]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"NOT_FOUND"}
    assert paths == ["/api/v1/cases"]

    # A reader sees no case details anywhere: the service's 403, for every reference.
    reader = tokens.headers("reader", org_units=["oxelosund"])
    body, _ = await _entities(post, case_gateway, refs("Case", ids[:2]), reader)
    assert body["data"]["_entities"] == [None, None]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"FORBIDDEN"}


KNOWN = {
    **{
        ("OrgUnit", unit_id): {"id": unit_id, "code": f"F{i:02d}"}
        for i, unit_id in enumerate(UNITS)
    },
    **{
        ("Plan", plan_id): {"id": plan_id, "orgUnitId": unit}
        for plan_id, unit in zip(PLANS, UNITS, strict=True)
    },
}
REFERENCE = st.one_of(
    st.sampled_from(sorted(KNOWN)),
    st.tuples(st.sampled_from(["OrgUnit", "Plan"]), st.sampled_from(["nope", "fed-99", "x y"])),
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(references=st.lists(REFERENCE, min_size=1, max_size=60))
# an id of a shape the goals service's id filter refuses must not sink the others of its batch
@example(references=[("Plan", "fed-plan-00"), ("Plan", "x y")])
async def test_any_mix_of_references_answers_each_in_place_in_few_calls(
    post: GraphQL,
    counting_gateway: str,
    reader: dict[str, str],
    federation_data: Any,
    references: list[tuple[str, str]],
) -> None:
    # In any order, with repeats and unknown ids: item i answers reference i (null with
    # NOT_FOUND for an unknown one), and the calls stay within one per kind of entity (plus a
    # second page of the organisation at most).
    document = (
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on OrgUnit { id code } ... on Plan { id orgUnitId } } }"
    )
    representations = [{"__typename": kind, "id": entity_id} for kind, entity_id in references]
    response = await post(counting_gateway, document, {"r": representations}, reader)
    body = response.json()
    assert body["data"]["_entities"] == [KNOWN.get(reference) for reference in references]
    missing = [index for index, reference in enumerate(references) if reference not in KNOWN]
    assert sorted(error["path"][1] for error in body.get("errors", [])) == missing
    assert {error["extensions"]["code"] for error in body.get("errors", [])} <= {"NOT_FOUND"}
    calls = body["extensions"]["upstream"]["calls"]
    assert calls <= 3


async def test_bad_representations_are_bad_user_input_in_their_place(
    post: GraphQL, counting_gateway: str, reader: dict[str, str], federation_data: Any
) -> None:
    representations: list[Any] = [
        {"__typename": "Plan", "id": "fed-plan-03"},
        {"__typename": "Nope", "id": "1"},
        {"id": "fed-01"},
        {"__typename": "OrgUnit"},
        "fed-01",
        {"__typename": "OrgUnit", "id": "fed-01", "employeeCount": 3},
        {"__typename": "OrgUnit", "id": "fed-02"},
    ]
    response = await post(
        counting_gateway,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on OrgUnit { id } "
        "... on Plan { id } } }",
        {"r": representations},
        reader,
    )
    body = response.json()
    assert body["data"]["_entities"] == [{"id": "fed-plan-03"}, None, None, None, None, None,
                                         {"id": "fed-02"}]  # fmt: skip
    errors = {error["path"][1]: error for error in body["errors"]}
    assert sorted(errors) == [1, 2, 3, 4, 5]
    assert {error["extensions"]["code"] for error in errors.values()} == {"BAD_USER_INPUT"}
    assert errors[3]["message"] == "representations[3]: OrgUnit needs its `id`"
