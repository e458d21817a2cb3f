"""Styr's graph as an Apollo Federation v2 subgraph, beside its use as a graph of its own.

A municipality's router (Apollo Router, Hive Gateway, Cosmo, ``@apollo/gateway``) composes
Styr with its other systems' subgraphs. For that the schema answers ``_service { sdl }`` (the
SDL with ``@link`` and ``@key``, :func:`subgraph_sdl`) and ``_entities(representations:)``,
and the entities other systems refer to carry ``@key(fields: "id")``: ``OrgUnit``, ``Plan``,
``Goal``, ``Measure`` and ``Case``.

References resolve through the request's loaders like every other field, so the number of
service calls follows the kinds of entity asked for, not their number:

- ``OrgUnit``: the unit loader (one reference: ``/org-units/{id}``; several: the whole
  organisation once);
- ``Plan``: ``/plans?id=`` (one plan: ``/plans/{id}``);
- ``Goal``: ``/goals?id=`` for their plans, the plans, then each plan's tree of the year
  (one call per plan and year, shared with ``Plan.goals``);
- ``Measure``: ``/measures?id=``, then their goals and plans as for a goal;
- ``Case``: ``/cases?id=``, which lists only what the caller may see: a case outside the
  caller's scope is ``NOT_FOUND`` here, as absent as in ``OrgUnit.cases``.

Each call carries the caller's ``Authorization`` header as every call does (a router forwards
it: see the README), so the services judge the caller as for any other field. A goal or
measure is shown as of a year (like ``Plan.goals(year:)``); a reference names only the id, so
it is the current year, kept within the plan's years and the goal's.

The key directives are added to the domain types here (:func:`register_entities`) rather than
in ``types/``, so that federation stays in one module.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLSchema,
    print_directive,
    print_type,
)
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types.base import get_object_definition

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.errors import ErrorCode, GatewayError, UpstreamError, bad_user_input
from styr_gateway.records import GoalNodeRecord, GoalRecord, PlanRecord
from styr_gateway.types.deviations import Case
from styr_gateway.types.goals import Goal, Measure, Plan
from styr_gateway.types.orgunits import MUNICIPAL_TIME, OrgUnit
from styr_gateway.upstream import Service

FEDERATION_VERSION = "2.5"
"""The Federation spec the SDL links (only ``@key`` is used: every v2 router reads it)."""

KEY = "id"
ENTITY_WEIGHT = 3
"""Batched reads per kind of entity at most: a goal needs the goals, their plans and the plans'
trees of the year; a measure the measures, their goals and their plans."""

COSTS = {
    # Each kind of entity is a few batched reads however many references come; the list is
    # as long as the representations sent (see cost.py).
    "Query._entities": FieldCost(weight=ENTITY_WEIGHT * 5, size_from="representations"),
}


def _year_within(plan: PlanRecord, first: int, last: int | None) -> int:
    """This year, kept within the plan's years and ``first``..``last`` (a goal's)."""
    low = max(plan.start_year, first)
    high = min(plan.end_year, last if last is not None else plan.end_year)
    this_year = datetime.now(MUNICIPAL_TIME).year
    return max(low, min(this_year, high)) if low <= high else plan.start_year


def _goal_year(goal: GoalRecord, plan: PlanRecord) -> int:
    if not goal.versions:
        return _year_within(plan, plan.start_year, plan.end_year)
    first = min(version.valid_from_year for version in goal.versions)
    ends = [version.valid_to_year for version in goal.versions]
    last = None if any(end is None for end in ends) else max(end for end in ends if end)
    return _year_within(plan, first, last)


def _find(nodes: list[GoalNodeRecord], goal_id: str) -> GoalNodeRecord | None:
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if node.id == goal_id:
            return node
        pending.extend(node.children)
    return None


def _not_in_year(goal_id: str, year: int) -> UpstreamError:
    return UpstreamError(
        f"Goal {goal_id!r} is not in its plan's tree of {year}.",
        ErrorCode.NOT_FOUND,
        service=Service.GOALS,
        status=404,
    )


async def _goal_in_plan(info: Info, goal_id: str) -> tuple[GoalNodeRecord, PlanRecord, int]:
    goals = info.context.loaders.goals
    goal = await goals.goal.load(goal_id)
    plan = await goals.plan.load(goal.plan_id)
    year = _goal_year(goal, plan)
    node = _find(await goals.tree.load((plan.id, year)), goal_id)
    if node is None:
        raise _not_in_year(goal_id, year)
    return node, plan, year


async def resolve_org_unit(info: Info, id: strawberry.ID) -> OrgUnit:
    return OrgUnit.from_record(await info.context.loaders.org.unit.load(str(id)))


async def resolve_plan(info: Info, id: strawberry.ID) -> Plan:
    return Plan.of(await info.context.loaders.goals.plan.load(str(id)))


async def resolve_goal(info: Info, id: strawberry.ID) -> Goal:
    node, plan, year = await _goal_in_plan(info, str(id))
    return Goal.of(node, plan, year)


async def resolve_measure(info: Info, id: strawberry.ID) -> Measure:
    goals = info.context.loaders.goals
    measure = await goals.measure.load(str(id))
    if not measure.goal_ids:
        raise UpstreamError(
            f"Measure {str(id)!r} follows no goal, so it belongs to no plan.",
            ErrorCode.NOT_FOUND,
            service=Service.GOALS,
            status=404,
        )
    # Its first goal's plan and year (a measure follows goals of one plan).
    first = await goals.goal.load(sorted(measure.goal_ids)[0])
    plan = await goals.plan.load(first.plan_id)
    return Measure.of(measure, plan, _goal_year(first, plan))


CASE_ID = re.compile(r"^[1-9][0-9]{0,17}$")


async def resolve_case(info: Info, id: strawberry.ID) -> Case:
    if not CASE_ID.match(str(id)):
        # Not an id the service could have: no call.
        raise UpstreamError(
            f"Case {str(id)!r} does not exist.",
            ErrorCode.NOT_FOUND,
            service=Service.DEVIATIONS,
            status=404,
        )
    return Case.of(await info.context.loaders.deviations.case.load(int(str(id))))


Resolver = Callable[[Info, strawberry.ID], Awaitable[Any]]

ENTITIES: dict[type, Resolver] = {
    OrgUnit: resolve_org_unit,
    Plan: resolve_plan,
    Goal: resolve_goal,
    Measure: resolve_measure,
    Case: resolve_case,
}
"""The entity types and how a reference (``{__typename, id}``) becomes one."""


ENTITY_NAMES = {get_object_definition(cls, strict=True).name for cls in ENTITIES}


def check_representation(representation: object, index: int) -> dict[str, Any] | GatewayError:
    """A copy of a representation ``{__typename, id}`` of an entity type, or the error that
    answers it (a bad one fails its own place in ``_entities``, not the request, and is the
    caller's mistake, not the gateway's)."""
    where = f"representations[{index}]"
    if not isinstance(representation, dict):
        return bad_user_input(f"{where} is not an object", "representations")
    typename = representation.get("__typename")
    if typename not in ENTITY_NAMES:
        return bad_user_input(
            f"{where}: __typename must be one of {', '.join(sorted(ENTITY_NAMES))}",
            "representations",
        )
    entity_id = representation.get("id")
    if not isinstance(entity_id, str | int) or isinstance(entity_id, bool):
        return bad_user_input(f"{where}: {typename} needs its `id`", "representations")
    extra = sorted(set(representation) - {"__typename", "id"})
    if extra:
        return bad_user_input(
            f"{where}: {typename} is keyed by `id` alone, not {', '.join(extra)}",
            "representations",
        )
    return {"__typename": typename, "id": str(entity_id)}


def _reference_resolver(resolve: Resolver) -> Callable[..., Awaitable[Any]]:
    # strawberry passes the representation's fields as keyword arguments (checked before:
    # ``id`` alone, see the schema's ``entities_resolver``), and ``info`` as the function
    # names it.
    async def resolve_reference(info: Info, id: strawberry.ID) -> Any:
        return await resolve(info, id)

    return resolve_reference


def register_entities() -> None:
    """Put ``@key(fields: "id")`` and a reference resolver on each entity type (once)."""
    for cls, resolve in ENTITIES.items():
        definition = get_object_definition(cls, strict=True)
        directives = list(definition.directives or ())
        if not any(isinstance(directive, Key) for directive in directives):
            definition.directives = [*directives, Key(fields=FieldSet(KEY))]
        setattr(cls, "resolve_reference", staticmethod(_reference_resolver(resolve)))  # noqa: B010


_FEDERATION_MARKUP = re.compile(r' @key\(fields: "[^"]*"(?:, resolvable: \w+)?\)')
_LINK = re.compile(r"\A(?:extend )?schema @link\([^)]*\)\s*(?:\{[^}]*\}\s*)?", re.S)


def without_federation_markup(subgraph: str) -> str:
    """The subgraph SDL without ``@link`` and the ``@key`` applications."""
    return _FEDERATION_MARKUP.sub("", _LINK.sub("", subgraph))


FEDERATION_DIRECTIVES = ("key", "link")
FEDERATION_SUPPORT_TYPES = ("_FieldSet", "link__Import", "link__Purpose")


def client_sdl(schema: GraphQLSchema, subgraph: str) -> str:
    """What a client of the graph sees by introspection, as SDL graphql-core reads: the
    subgraph SDL without its applied federation directives, with the definitions of those
    directives and their argument types (which introspection lists) at the end."""
    definitions = [
        print_directive(directive)
        for directive in schema.directives
        if directive.name in FEDERATION_DIRECTIVES
    ]
    definitions += [print_type(schema.type_map[name]) for name in FEDERATION_SUPPORT_TYPES]
    return without_federation_markup(subgraph) + "\n" + "\n\n".join(definitions) + "\n"


def describe_federation_fields(schema: GraphQLSchema) -> None:
    """Describe what strawberry adds for Federation (``_service``, ``_entities`` and their
    types), as every other part of the schema is described."""
    query = schema.query_type
    assert query is not None
    query.fields[
        "_service"
    ].description = "Federation: this subgraph's SDL, for a router composing a supergraph."
    entities = query.fields["_entities"]
    entities.description = (
        "Federation: the entities a router refers to, in the order of the representations; "
        "null (with an error) for one that does not exist or is not visible to the caller."
    )
    entities.args[
        "representations"
    ].description = (
        '`{__typename, id}` of each entity, e.g. `{__typename: "OrgUnit", id: "oxelosund"}`.'
    )
    service = schema.type_map["_Service"]
    assert isinstance(service, GraphQLObjectType)
    service.description = "Federation: what the router reads of this subgraph."
    service.fields["sdl"].description = "The subgraph's SDL with its `@link` and `@key`s."
    schema.type_map["_Any"].description = "Federation: an entity representation."
    schema.type_map["_Entity"].description = "Federation: every type with a `@key`."
    schema.type_map["_FieldSet"].description = "Federation: fields of a type, e.g. `id`."
    schema.type_map["link__Import"].description = "Federation: a name `@link` imports."
    purpose = schema.type_map["link__Purpose"]
    assert isinstance(purpose, GraphQLEnumType)
    purpose.description = "Federation: what a linked spec is for."
    purpose.values["SECURITY"].description = "It secures access to the schema."
    purpose.values["EXECUTION"].description = "It changes how the schema is executed."
    for directive in schema.directives:
        if directive.name == "key":
            directive.description = (
                "Federation: the fields that identify an entity across subgraphs."
            )
            directive.args["fields"].description = "The identifying fields."
            directive.args["resolvable"].description = "Whether `_entities` resolves it here."
        elif directive.name == "link":
            directive.description = "Federation: the spec (and version) the schema follows."
            directive.args["url"].description = "The spec's URL."
            directive.args["as"].description = "The name the spec goes by here."
            directive.args["for"].description = "What the spec is for."
            directive.args["import"].description = "The spec's names used here."
