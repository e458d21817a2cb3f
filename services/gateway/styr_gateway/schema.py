"""The GraphQL schema: the root types, the security extensions and error logging.

Each domain contributes a ``*Queries`` class (``types/orgunits.py``: :class:`OrgUnitQueries`);
``Query`` inherits them all. The SDL is kept in ``services/gateway/schema.graphql``
(``styr-gateway export-schema``); a test fails when the two disagree. The schema is also an
Apollo Federation v2 subgraph (:mod:`styr_gateway.federation`): ``_service`` and ``_entities``
are part of it, and ``subgraph.graphql`` keeps the SDL a router composes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from asgi_correlation_id import correlation_id
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext

from styr_gateway.context import GatewayContext
from styr_gateway.cost import FieldCost, QueryCostLimiter
from styr_gateway.documents import CachedParse, DocumentCache
from styr_gateway.errors import ErrorCode, GatewayError
from styr_gateway.federation import COSTS as FEDERATION_COSTS
from styr_gateway.federation import (
    FEDERATION_VERSION,
    check_representation,
    client_sdl,
    describe_federation_fields,
    register_entities,
)
from styr_gateway.settings import GatewaySettings
from styr_gateway.types import (
    budget,
    deviations,
    goals,
    internal_control,
    municipalities,
    orgunits,
)
from styr_gateway.types.budget import BudgetMutations
from styr_gateway.types.deviations import DeviationMutations
from styr_gateway.types.goals import GoalMutations, GoalQueries
from styr_gateway.types.internal_control import InternalControlMutations
from styr_gateway.types.municipalities import MunicipalityQueries
from styr_gateway.types.orgunits import OrgUnitQueries

logger = logging.getLogger("styr.gateway.graphql")


@strawberry.type(description="One graph over the goals, budget and deviations services.")
class Query(OrgUnitQueries, GoalQueries, MunicipalityQueries):
    pass


@strawberry.type(description="What front ends change: each a thin call to the owning service.")
class Mutation(GoalMutations, BudgetMutations, DeviationMutations, InternalControlMutations):
    pass


FIELD_COSTS: dict[str, FieldCost] = {
    **orgunits.COSTS,
    **goals.COSTS,
    **budget.COSTS,
    **deviations.COSTS,
    **municipalities.COSTS,
    **FEDERATION_COSTS,
    **internal_control.COSTS,
}
"""Weights and list sizes of the query cost (``Type.field``), declared by each domain."""


class GatewaySchema(strawberry.federation.Schema):
    documents: DocumentCache | None = None
    """The parsed and validated documents (:mod:`styr_gateway.documents`); None without
    settings (the SDL's schema executes nothing)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        describe_federation_fields(self._schema)

    def entities_resolver(
        self, info: strawberry.Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        # A representation that names no entity type or lacks its id is answered with a
        # BAD_USER_INPUT error in its place (strawberry's resolver would fail the whole field
        # with an internal error); the others resolve as strawberry resolves them.
        checked = [check_representation(r, index) for index, r in enumerate(representations)]
        valid = [FederationAny(r) for r in checked if not isinstance(r, GatewayError)]
        resolved = iter(super().entities_resolver(info, valid))
        return [
            FederationAny(r) if isinstance(r, GatewayError) else next(resolved) for r in checked
        ]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Bad documents and answers of the services are the caller's business, not ours: they
        # go to the log at INFO. Anything else is a bug in the gateway: ERROR with traceback.
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, (GatewayError, GraphQLError)):
                logger.info(
                    "graphql error",
                    extra={
                        "error": error.message,
                        "code": (error.extensions or {}).get("code"),
                        "path": error.path,
                    },
                )
            else:
                logger.error("graphql resolver failed", exc_info=original)


def _unexpected(error: GraphQLError) -> bool:
    # GraphQL errors (ours, graphql-core's) are meant for the caller; any other exception is a
    # bug whose message may reveal internals.
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replace the message of unexpected exceptions; the log has the traceback."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            "Internal error in the gateway; the request id identifies it in the logs.",
            nodes=error.nodes,
            path=error.path,
            extensions={
                "code": ErrorCode.INTERNAL_SERVER_ERROR.value,
                "requestId": correlation_id.get(),
            },
        )


class UpstreamStats(SchemaExtension):
    """``extensions.upstream``: the operation's computed ``cost``, how many service calls the
    request made and how long they took in total (for benchmarks and for seeing N+1 in
    development), and ``trace``: each call in
    the order it started, with its path and query string, its start (seconds since the request's
    context was created) and its duration. ``bench/gateway_dashboard.py`` replays the trace
    directly against the services."""

    def get_results(self) -> dict[str, object]:
        context = self.execution_context.context
        if not isinstance(context, GatewayContext):
            return {}
        calls = sorted(context.upstream.calls, key=lambda call: call.started)
        return {
            "upstream": {
                "cost": context.cost,
                "calls": len(calls),
                "seconds": round(sum(call.seconds for call in calls), 6),
                "trace": [
                    {
                        "service": call.service.value,
                        "method": call.method,
                        "path": call.target,
                        "status": call.status,
                        "start": round(call.started, 6),
                        "seconds": round(call.seconds, 6),
                    }
                    for call in calls
                ],
            }
        }


def build_schema(settings: GatewaySettings | None = None) -> GatewaySchema:
    """The schema with the limits of ``settings`` (none without settings: for the SDL)."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [MaskUnexpectedErrors]
    documents: DocumentCache | None = None
    if settings is not None:
        documents = DocumentCache(settings.document_cache_size)
        extensions += [
            partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
            partial(CachedParse, documents=documents),  # after the limiter sets max_tokens
            partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
            partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
            partial(
                QueryCostLimiter,
                max_cost=settings.max_query_cost,
                costs=FIELD_COSTS,
                documents=documents,
            ),
        ]
        if not settings.introspection_enabled:
            extensions.append(DisableIntrospection)
        if settings.upstream_stats:
            extensions.append(UpstreamStats)
    register_entities()
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        federation_version=FEDERATION_VERSION,
    )
    schema.documents = documents
    return schema


def subgraph_sdl() -> str:
    """The subgraph SDL (``_service { sdl }``: with ``@link`` and ``@key``), as stored in
    ``subgraph.graphql`` for composing a supergraph."""
    return build_schema().as_str() + "\n"


def sdl() -> str:
    """The schema in SDL as clients see it by introspection (the federation directives are
    defined, not applied), as stored in ``schema.graphql``."""
    schema = build_schema()
    return client_sdl(schema._schema, schema.as_str() + "\n")
