"""The gateway app: GraphQL at ``/graphql`` plus the common health and metrics endpoints."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from styr_gateway.graphql_http import GraphQLHTTPRouter
from styr_gateway.schema import build_schema
from styr_gateway.settings import GatewaySettings
from styr_gateway.upstream import Upstream, upstream_client
from styr_shared.app import create_service_app


def graphql_operation_id(route: APIRoute) -> str:
    """``executeGraphqlGet`` and ``executeGraphqlPost``: strawberry names its routes itself."""
    return "executeGraphql" + "".join(sorted(route.methods or ())).capitalize()


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    app = create_service_app(
        settings,
        title="Styr GraphQL gateway",
        description="One GraphQL graph over the goals, budget and deviations services.",
        background=[upstream_client],
    )
    router = GraphQLHTTPRouter(
        build_schema(settings),
        graphiql=settings.graphiql_enabled,
        max_query_length=settings.max_query_length,
    )
    app.include_router(
        router,
        prefix="/graphql",
        tags=["graphql"],
        generate_unique_id_function=graphql_operation_id,
    )
    if settings.cors_origins:
        # Outermost, so that a preflight is answered before any check; tokens travel in the
        # Authorization header, never in cookies, so no credentials mode.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
            max_age=600,
        )

    async def readiness_check() -> None:
        upstream: Upstream = app.state.upstream
        responses = await asyncio.gather(
            *(upstream.client.get(f"{url}/healthz") for url in upstream.base_urls.values()),
            return_exceptions=True,
        )
        down = [
            url
            for url, response in zip(upstream.base_urls.values(), responses, strict=True)
            if isinstance(response, BaseException) or response.status_code != 200
        ]
        if down:
            raise RuntimeError(f"upstream services not answering: {', '.join(down)}")

    app.state.readiness_check = readiness_check
    return app
