"""The query cost limit: figures for representative documents, the refusal (before any service
call, with the cost and the limit), the setting, and the declarations it rests on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    get_introspection_query,
    get_named_type,
    parse,
    validate,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from styr_gateway.cost import DEFAULT_LIST_SIZE, is_list_field, query_cost
from styr_gateway.dashboard import DASHBOARD_QUERY
from styr_gateway.graphql_http import GRAPHQL_RESPONSE_JSON, JSON
from styr_gateway.schema import FIELD_COSTS, build_schema
from styr_gateway.settings import GatewaySettings

GraphQL = Callable[..., Awaitable[httpx.Response]]
SCHEMA: GraphQLSchema = build_schema()._schema
DASHBOARD_VARIABLES = {"unit": "oxelosund-von", "year": 2025, "period": "helar"}


def cost(query: str, variables: dict[str, Any] | None = None, operation: str | None = None) -> Any:
    return query_cost(SCHEMA, parse(query), variables, operation, FIELD_COSTS)


def alias_attack(unit: str) -> str:
    """Every measure of a committee's plans, its values under 30 aliases of different years."""
    aliases = " ".join(f"y{year}: values(year: {year}) {{ period value }}" for year in YEARS)
    return (
        f'{{ orgUnit(id: "{unit}") {{ plans(year: 2025) {{ goals(year: 2025) {{ '
        f"measures {{ code {aliases} }} }} }} }} }}"
    )


YEARS = range(1996, 2026)
# orgUnit + plans + 3 plans × (goals + 50 goals × (measures + 5 measures × 30 values)).
ATTACK_COST = 1 + 1 + 3 * (1 + 50 * (1 + 5 * 30))


def test_the_dashboard_costs_1062_within_the_default_limit() -> None:
    # orgUnit, plans; per plan (3): followUp, goals; per goal (50): periodStatus, measures;
    # per measure (5): latest; budget: total, byActivity, deficits; deviationStatistics.
    expected = 1 + 1 + 3 * (1 + 1 + 50 * (1 + 1 + 5 * 1)) + 3 + 1
    assert cost(DASHBOARD_QUERY, DASHBOARD_VARIABLES) == expected == 1062
    assert expected <= GatewaySettings().max_query_cost == 5000


def test_the_alias_attack_costs_more_than_the_default_limit() -> None:
    assert cost(alias_attack("x")) == ATTACK_COST == 22655
    assert GatewaySettings().max_query_cost < ATTACK_COST


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        # Fields answered from the parent's data cost nothing; introspection nothing.
        ('{ orgUnit(id: "a") { id name code } }', None, 1),
        ("{ __typename }", None, 0),
        ("{ __schema { types { name fields { name } } } }", None, 0),
        ('{ __type(name: "Goal") { name } }', None, 0),
        # A connection: its lists count `first` times (the default when not given).
        ('{ orgUnit(id: "a") { children(first: 20) { edges { node { id history { kind } } } '
         "pageInfo { hasNextPage } } } }", None, 1 + 1 + 1),
        ('{ orgUnit(id: "a") { children(first: 20) { edges { node { plans { id } } } } } }',
         None, 1 + 1 + 20 * 1),
        ('{ orgUnit(id: "a") { children { nodes { plans { id } } } } }', None, 1 + 1 + 100),
        # The organisation is read once per request: its fields cost once per place, however
        # many units; what hangs below them still multiplies.
        ('{ orgUnit(id: "a") { children { nodes { level { label } children { nodes { '
         "history { kind } parent { id } ancestors { id } plans { id } } } } } } }",
         None, 1 + 1 + 1 + 1 + 1 + 1 + 1 + 100 * 100 * 1),
        ('query Q($n: Int!) { orgUnit(id: "a") { cases(first: $n) { nodes { history { at } } } } }',
         {"n": 7}, 1 + 1 + 7),
        ('query Q($n: Int = 4) { orgUnit(id: "a") { cases(first: $n) { nodes { history { at } } } '
         "} }", None, 1 + 1 + 4),
        # A `first` over the connections' maximum is counted at the maximum (the field refuses it).
        ('{ orgUnits(first: 100000) { nodes { plans { id } } } }', None, 1 + 500),
        # Aliases with different arguments add up; the same field twice costs once.
        ('{ orgUnit(id: "a") { a: plans(year: 2024) { goals(year: 2024) { id } } '
         "b: plans(year: 2025) { goals(year: 2025) { id } } } }", None, 1 + 2 * (1 + 3 * 1)),
        ('{ orgUnit(id: "a") { plans { id } plans { name } } }', None, 1 + 1),
        # Fragments and inline fragments are counted, and merged like the fields they hold.
        ('{ orgUnit(id: "a") { ...F ... on OrgUnit { plans { id } level { key } } } } '
         "fragment F on OrgUnit { plans { name } history { kind } }", None, 1 + 1 + 1 + 1),
        ('{ plan(id: "p") { ...G } } fragment G on Plan { goals(year: 2025) { ...M } } '
         "fragment M on Goal { measures { latest(period: \"helar\") { value } } }",
         None, 1 + 1 + 50 * (1 + 5 * 1)),
        # @skip / @include with literals and variables.
        ('query Q($s: Boolean!) { orgUnit(id: "a") { plans @skip(if: $s) { id } '
         "history @include(if: false) { kind } level @include(if: true) { key } } }",
         {"s": True}, 1 + 1),
        ('query Q($s: Boolean!) { orgUnit(id: "a") { plans @skip(if: $s) { id } } }',
         {"s": False}, 1 + 1),
        # Lists multiply: a goal tree two levels down.
        ('{ plan(id: "p") { goalTree(year: 2025) { measures { code } children { '
         "measures { code } } } } }", None, 1 + 1 + 10 * (1 + 10 * 1)),
        # Mutations: one call each, aliases add up.
        ('mutation { a: assessGoal(goalId: "g", input: {year: 2025, period: "helar", '
         'kind: "final", answer: "Ja"}) { id } b: updateActivity(activityId: "1", input: {}) '
         "{ id } }", None, 2),
    ],
)  # fmt: skip
def test_costs_of_representative_documents(
    query: str, variables: dict[str, Any] | None, expected: int
) -> None:
    assert cost(query, variables) == expected


def test_only_the_operation_that_runs_is_costed() -> None:
    document = (
        'query Cheap { orgUnit(id: "a") { id } } '
        'query Dear { orgUnit(id: "a") { children(first: 500) { nodes { plans { id } } } } }'
    )
    assert cost(document, operation="Cheap") == 1
    assert cost(document, operation="Dear") == 1 + 1 + 500
    assert cost(document) is None  # no operation chosen: the request fails without a call


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STYR_GATEWAY_MAX_QUERY_COST", "300")
    assert GatewaySettings().max_query_cost == 300
    with pytest.raises(ValueError, match="max_query_cost"):
        GatewaySettings(max_query_cost=0)


# --- the declarations --------------------------------------------------------------------


def _object_fields() -> Iterator[tuple[GraphQLObjectType, str, Any]]:
    for type_ in SCHEMA.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for name, field in type_.fields.items():
                yield type_, name, field


def test_declared_costs_name_fields_of_the_schema() -> None:
    names = {f"{type_.name}.{name}" for type_, name, _ in _object_fields()}
    assert set(FIELD_COSTS) <= names, set(FIELD_COSTS) - names


def test_every_field_that_calls_a_service_has_a_weight() -> None:
    # A resolver that awaits is one that loads from a service (or calls one).
    calling = {
        f"{type_.name}.{name}"
        for type_, name, field in _object_fields()
        if (definition := field.extensions.get("strawberry-definition")) is not None
        and definition.base_resolver is not None
        and definition.base_resolver.is_async
    }
    assert calling, "no async resolvers found: the check would be empty"
    undeclared = {name for name in calling if FIELD_COSTS.get(name, None) is None}
    assert not undeclared
    assert all(FIELD_COSTS[name].weight >= 1 for name in calling)


def test_every_list_that_can_reach_a_service_has_a_size() -> None:
    def weight(type_: GraphQLObjectType, name: str) -> int:
        declared = FIELD_COSTS.get(f"{type_.name}.{name}")
        return declared.weight if declared else 0

    # Types below which some field has a weight (a fixed point over the object graph).
    reaching: set[str] = set()
    changed = True
    while changed:
        changed = False
        for type_, name, field in _object_fields():
            if type_.name not in reaching and (
                weight(type_, name) or get_named_type(field.type).name in reaching
            ):
                reaching.add(type_.name)
                changed = True
    assert {"Query", "OrgUnit", "Plan", "Goal", "Measure", "Case", "BudgetOverview"} <= reaching
    assert "Assessment" not in reaching
    unsized = set()
    for type_, name, field in _object_fields():
        if not is_list_field(field) or get_named_type(field.type).name not in reaching:
            continue
        if type_.name.endswith("Connection"):
            continue  # sized by the connection's `first`
        declared = FIELD_COSTS.get(f"{type_.name}.{name}")
        if declared is None or declared.size is None:
            unsized.add(f"{type_.name}.{name}")
    assert not unsized, f"declare a size (else {DEFAULT_LIST_SIZE} is assumed): {unsized}"


# --- over HTTP -----------------------------------------------------------------------------


async def test_the_alias_attack_is_refused_before_any_service_call(
    gateway: str, post: GraphQL, goals: Any, reader: dict[str, str]
) -> None:
    goals.recorder.requests.clear()
    response = await post(gateway, alias_attack("attack-unit"), headers=reader)
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    body = response.json()
    assert "data" not in body
    assert body["errors"] == [
        {
            "message": "The query would cost 22655 (service calls, lists counted at their "
            "`first` or declared size); at most 5000 are accepted. Ask for fewer items or "
            "fields, or split the query.",
            "extensions": {"code": "QUERY_TOO_COSTLY", "cost": 22655, "maxCost": 5000},
        }
    ]
    assert goals.recorder.api_calls() == []

    legacy = await post(gateway, alias_attack("attack-unit"), headers=reader, accept=JSON)
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert goals.recorder.api_calls() == []


async def test_variables_count_before_any_service_call(
    gateway: str, post: GraphQL, goals: Any, reader: dict[str, str]
) -> None:
    query = (
        "query Q($n: Int!) { orgUnits(first: $n) { nodes { "
        "cases(first: $n) { nodes { history { at } } } } } }"
    )
    goals.recorder.requests.clear()
    refused = await post(gateway, query, {"n": 100}, headers=reader)
    # orgUnits + 100 × (cases + 100 × history)
    assert refused.json()["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COSTLY", "cost": 1 + 100 * (1 + 100), "maxCost": 5000,
    }  # fmt: skip
    assert goals.recorder.api_calls() == []


async def test_introspection_passes_the_default_limit(gateway: str, post: GraphQL) -> None:
    response = await post(gateway, get_introspection_query(descriptions=True))
    assert response.status_code == 200
    assert "errors" not in response.json()


@pytest.fixture(scope="module")
def generous_gateway(make_gateway: Callable[..., Any], goals: Any) -> Iterator[str]:
    with make_gateway(goals_url=goals.url, max_query_cost=ATTACK_COST, upstream_stats=True) as url:
        yield url


async def test_a_raised_limit_answers_the_alias_query_in_a_bounded_number_of_calls(
    generous_gateway: str,
    post: GraphQL,
    goals: Any,
    reader: dict[str, str],
    seed_plan: Any,
) -> None:
    await seed_plan("alias-unit", 8)
    goals.recorder.requests.clear()
    response = await post(generous_gateway, alias_attack("alias-unit"), headers=reader)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    (plan,) = body["data"]["orgUnit"]["plans"]
    measures = [measure for goal in plan["goals"] for measure in goal["measures"]]
    assert len(measures) == 8
    for i, measure in enumerate(measures):
        assert measure["y2024"] == [{"period": "2024", "value": 50.0}]
        assert measure["y2025"] == [{"period": "2025", "value": 40.0 + i}]
        assert all(measure[f"y{year}"] == [] for year in range(1996, 2024))
    # The unit, its plans, the goal tree, the measures and every value of 30 years: one call.
    calls = sorted((path, query) for _, path, query in goals.recorder.api_calls())
    years = "&".join(f"year={year}" for year in YEARS)
    assert calls == [
        ("/api/v1/measure-values", f"plan_id=alias-unit-plan&org_unit_id=alias-unit&{years}"
         "&limit=500"),
        ("/api/v1/measures", "plan_id=alias-unit-plan&limit=500"),
        ("/api/v1/org-units/alias-unit", ""),
        ("/api/v1/plans", "org_unit_id=alias-unit&year=2025&limit=500"),
        ("/api/v1/plans/alias-unit-plan/goals", "year=2025"),
    ]  # fmt: skip
    assert body["extensions"]["upstream"]["cost"] == ATTACK_COST
    assert body["extensions"]["upstream"]["calls"] == 5

    with_latest = alias_attack("alias-unit").replace(
        "code", 'code latest(period: "helar") { value }'
    )
    over = await post(generous_gateway, with_latest, headers=reader)
    assert over.json()["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COSTLY", "cost": ATTACK_COST + 3 * 50 * 5, "maxCost": ATTACK_COST,
    }  # fmt: skip


# --- properties over generated documents ----------------------------------------------------

# Per type: (field as written, the type it returns or None for a leaf, a wrapper around its
# selection). Arguments vary, so aliases of one field can differ.
FIELDS: dict[str, list[tuple[str, str | None, str]]] = {
    "Query": [('orgUnit(id: "a")', "OrgUnit", ""), ('plan(id: "p")', "Plan", "")],
    "OrgUnit": [
        ("name", None, ""),
        ("level", "OrgLevel", ""),
        ("history", "OrgUnitChange", ""),
        ("plans(year: 2025)", "Plan", ""),
        ("children(first: 3)", "OrgUnit", "nodes"),
        ("cases(first: 2)", "Case", "nodes"),
        ("budget(year: 2025)", "BudgetOverview", ""),
        ("deviationStatistics(year: 2025)", "DeviationStatistics", ""),
    ],
    "Plan": [
        ("name", None, ""),
        ("goals(year: 2025)", "Goal", ""),
        ("goalTree(year: 2025)", "Goal", ""),
        ('followUp(year: 2025, period: "helar")', "FollowUpReport", ""),
    ],
    "Goal": [
        ("code", None, ""),
        ("children", "Goal", ""),
        ("measures", "Measure", ""),
        ("assessments", "Assessment", ""),
        ('periodStatus(period: "helar")', "GoalPeriodStatus", ""),
    ],
    "Measure": [
        ("code", None, ""),
        ("values(year: 2025)", "MeasureValue", ""),
        ('latest(period: "helar")', "SeriesStatus", ""),
    ],
    "Case": [("state", None, ""), ("history", "CaseHistoryEntry", "")],
    "BudgetOverview": [
        ("year", None, ""),
        ("total", "BudgetFigures", ""),
        ("deficits", "Deficit", ""),
    ],
}
LEAF = {"OrgLevel": "key", "OrgUnitChange": "seq", "FollowUpReport": "year",
        "Assessment": "id", "GoalPeriodStatus": "reported", "MeasureValue": "value",
        "SeriesStatus": "status", "CaseHistoryEntry": "event", "DeviationStatistics": "suppressed",
        "BudgetFigures": "budget", "Deficit": "month"}  # fmt: skip


@dataclass(frozen=True)
class Selected:
    field: str
    type_name: str | None
    wrapper: str
    below: tuple[Selected, ...]


def selections(type_name: str, depth: int) -> st.SearchStrategy[tuple[Selected, ...]]:
    def one(choice: tuple[str, str | None, str]) -> st.SearchStrategy[Selected]:
        field, child, wrapper = choice
        if child is None or (child not in FIELDS) or depth == 0:
            return st.just(Selected(field, child, wrapper, ()))
        return selections(child, depth - 1).map(
            lambda below: Selected(field, child, wrapper, below)
        )

    return st.lists(
        st.sampled_from(FIELDS[type_name]).flatmap(one), min_size=1, max_size=3,
        unique_by=lambda selected: selected.field.split("(")[0],
    ).map(tuple)  # fmt: skip


def render(selected: tuple[Selected, ...], fragments: dict[str, str] | None, on: str) -> str:
    """The selection set; with ``fragments``, every other field goes through a named fragment
    (collected there) and the rest through an inline fragment."""
    parts = []
    for index, item in enumerate(selected):
        text = item.field
        if item.type_name is not None:
            inner = (
                render(item.below, fragments, item.type_name)
                if item.below
                else LEAF.get(item.type_name, "__typename")
            )
            text += f" {{ {item.wrapper} {{ {inner} }} }}" if item.wrapper else f" {{ {inner} }}"
        if fragments is not None and on != "Query":
            if index % 2 == 0:
                name = f"F{len(fragments)}"
                fragments[name] = f"fragment {name} on {on} {{ {text} }}"
                text = f"...{name}"
            else:
                text = f"... on {on} {{ {text} }}"
        parts.append(text)
    return " ".join(parts)


@settings(max_examples=200, deadline=None)
@given(tree=selections("Query", 4))
def test_fragments_repetition_and_aliases_cost_as_execution_groups_them(
    tree: tuple[Selected, ...],
) -> None:
    plain = f"{{ {render(tree, None, 'Query')} }}"
    base = cost(plain)
    assert base is not None
    assert base >= len(tree)  # every root field calls a service
    assert validate(SCHEMA, parse(plain)) == []

    fragments: dict[str, str] = {}
    through_fragments = f"{{ {render(tree, fragments, 'Query')} }} " + " ".join(fragments.values())
    assert validate(SCHEMA, parse(through_fragments)) == []
    assert cost(through_fragments) == base

    # The same fields selected again (no alias): merged, nothing more.
    inner = render(tree, None, "Query")
    assert cost(f"{{ {inner} {inner} }}") == base

    # The whole selection again under aliases: exactly as much again.
    aliased = " ".join(f"again{index}: {part}" for index, part in enumerate(
        render((item,), None, "Query") for item in tree
    ))  # fmt: skip
    assert cost(f"{{ {inner} {aliased} }}") == 2 * base
