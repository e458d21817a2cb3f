"""Gateway settings (``STYR_GATEWAY_*``)."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from styr_shared.settings import Environment, ServiceSettings

ORIGIN = re.compile(r"https?://[^/\s:]+(:\d{1,5})?")


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STYR_GATEWAY_", extra="ignore")
    service_name: ClassVar[str] = "gateway"
    default_port: ClassVar[int] = 8000

    goals_url: str = Field("http://127.0.0.1:8001", description="Base URL of the goals service.")
    goals_public_url: str | None = Field(
        None,
        description="Base URL of the goals service as front ends reach it, for the document "
        "links the graph hands out (`FollowUpReport.documentUrl`). Default: `goals_url`.",
    )
    budget_url: str = Field("http://127.0.0.1:8002", description="Base URL of the budget service.")
    deviations_url: str = Field(
        "http://127.0.0.1:8003", description="Base URL of the deviations service."
    )
    upstream_timeout_seconds: float = Field(
        5.0, gt=0, le=120, description="Per-call timeout for requests to the services."
    )
    upstream_max_connections: int = Field(
        100, ge=1, le=1000, description="Connections the gateway keeps open to the services."
    )
    introspection: bool | None = Field(
        None,
        description="Answer introspection queries (`__schema`, `__type`). "
        "Default: on in development, off in production (`STYR_AUTH_ENVIRONMENT`).",
    )
    graphiql: bool | None = Field(
        None,
        description="Serve GraphiQL on `GET /graphql` to browsers. "
        "Default: on in development, off in production.",
    )
    max_query_depth: int = Field(
        20,
        ge=2,
        le=100,
        description="Deepest field nesting accepted (each connection level costs 3: "
        "`children { edges { node`).",
    )
    max_aliases: int = Field(30, ge=0, le=1000, description="Most aliases in one document.")
    max_tokens: int = Field(
        5000, ge=100, le=100_000, description="Most lexical tokens in one document."
    )
    max_query_cost: int = Field(
        5000,
        ge=1,
        le=10_000_000,
        description="Highest cost of one operation, computed before any service call: each "
        "field that calls a service costs 1 (or its declared weight), times the sizes of the "
        "lists around it (`first`, or the size declared for the field). The committee "
        "dashboard costs 1062.",
    )
    max_query_length: int = Field(
        50_000, ge=100, le=1_000_000, description="Longest document accepted, in characters."
    )
    document_cache_size: int = Field(
        256,
        ge=0,
        le=10_000,
        description="How many parsed and validated documents (of at most 8,192 characters "
        "each) the gateway keeps, so that a document a front end sends again is not parsed "
        "and validated again. 0 turns the cache off.",
    )

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins (`https://host[:port]`, comma separated) whose pages may "
        "call `/graphql` with a bearer token (CORS). Empty: none; front ends served from the "
        "gateway's own origin, and servers, need none.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [origin.strip() for origin in value.split(",") if origin.strip()]
        if isinstance(value, list):
            for origin in value:
                if not isinstance(origin, str) or not ORIGIN.fullmatch(origin):
                    raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
        return value

    upstream_stats: bool = Field(
        False,
        description="Add `extensions.upstream` to every response: the computed query cost, "
        "the number and total time of the service calls, and a trace of each (service, path, "
        "start, duration); for benchmarks and debugging. It shows the services' paths: keep "
        "it off in production.",
    )

    @property
    def development(self) -> bool:
        return self.auth.environment is Environment.DEVELOPMENT

    @property
    def introspection_enabled(self) -> bool:
        return self.development if self.introspection is None else self.introspection

    @property
    def graphiql_enabled(self) -> bool:
        return self.development if self.graphiql is None else self.graphiql
