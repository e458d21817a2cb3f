"""Calls to the services: one shared ``httpx.AsyncClient`` per app, one session per request.

The gateway holds no data and makes no access decisions: every call carries the caller's own
``Authorization`` header (and the request id, so one GraphQL request can be followed through the
services' logs), and whatever the service answers is what the caller gets. Failures become
:class:`~styr_gateway.errors.UpstreamError` with an ``extensions.code``; a resolver raising one
fails only its own field.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
from asgi_correlation_id import correlation_id
from fastapi import FastAPI

from styr_gateway.errors import from_problem, unavailable
from styr_gateway.settings import GatewaySettings
from styr_shared.metrics import UPSTREAM_DURATION, UPSTREAM_REQUESTS, outcome_of_status

logger = logging.getLogger("styr.gateway.upstream")

Params = Mapping[str, str | int | Sequence[str | int] | None]
"""Query parameters; a sequence repeats the parameter (``year=2024&year=2025``)."""

PAGE_LIMIT = 500
"""Page size for reading whole lists (the services' maximum)."""
MAX_PAGES = 100
"""Stop reading a list after this many pages rather than loop on a misbehaving service."""


class Service(StrEnum):
    GOALS = "goals"
    BUDGET = "budget"
    DEVIATIONS = "deviations"


@dataclass(frozen=True)
class UpstreamCall:
    """One HTTP call made for a GraphQL request (for logs and benchmarks).

    ``query`` is the query string as sent (without ``?``); ``started`` is when the call began,
    in seconds since the request's session was created (:attr:`UpstreamSession.started`).
    """

    service: Service
    method: str
    path: str
    status: int | None
    seconds: float
    query: str = ""
    started: float = 0.0

    @property
    def target(self) -> str:
        """The path with its query string, as the service saw it."""
        return f"{self.path}?{self.query}" if self.query else self.path


class Upstream:
    """App-wide: the shared client and where each service lives."""

    def __init__(self, client: httpx.AsyncClient, settings: GatewaySettings) -> None:
        self.client = client
        self.base_urls = {
            Service.GOALS: settings.goals_url.rstrip("/"),
            Service.BUDGET: settings.budget_url.rstrip("/"),
            Service.DEVIATIONS: settings.deviations_url.rstrip("/"),
        }
        self.timeout = settings.upstream_timeout_seconds
        # Where callers (not the gateway) fetch the goals service's documents.
        self.goals_public_url = (settings.goals_public_url or settings.goals_url).rstrip("/")

    def session(self, authorization: str | None) -> UpstreamSession:
        return UpstreamSession(self, authorization)


@dataclass
class UpstreamSession:
    """The calls of one GraphQL request, made with the caller's token."""

    upstream: Upstream
    authorization: str | None
    calls: list[UpstreamCall] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    """``time.perf_counter()`` when the session (the GraphQL request's context) was created."""

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.authorization:
            headers["Authorization"] = self.authorization
        request_id = correlation_id.get()
        if request_id:
            headers["X-Request-ID"] = request_id
        return headers

    async def request(
        self,
        method: str,
        service: Service,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        field_names: Mapping[str, str] | None = None,
    ) -> Any:
        """Call ``service`` and return its decoded JSON; raise ``UpstreamError`` otherwise.

        ``field_names`` maps the service's field paths to GraphQL argument names for
        ``BAD_USER_INPUT`` errors.
        """
        url = self.upstream.base_urls[service] + path
        query = {key: value for key, value in (params or {}).items() if value is not None}
        client = self.upstream.client
        request = client.build_request(
            method, url, params=query, json=json, headers=self._headers()
        )
        started = time.perf_counter()
        status: int | None = None
        try:
            # httpx's timeout bounds each phase (connect, each read); this bounds the whole call.
            async with asyncio.timeout(self.upstream.timeout):
                response = await client.send(request)
            status = response.status_code
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise unavailable(service, f"no answer within {self.upstream.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise unavailable(service, f"cannot be reached ({type(exc).__name__})") from exc
        finally:
            elapsed = time.perf_counter() - started
            UPSTREAM_REQUESTS.labels(service.value, outcome_of_status(status)).inc()
            UPSTREAM_DURATION.labels(service.value).observe(elapsed)
            self.calls.append(
                UpstreamCall(
                    service,
                    method,
                    path,
                    status,
                    elapsed,
                    query=request.url.query.decode("ascii"),
                    started=started - self.started,
                )
            )
            logger.debug(
                "upstream call",
                extra={"service": service, "path": path, "status": status, "seconds": elapsed},
            )
        if response.is_success:
            try:
                return response.json()
            except ValueError as exc:
                raise unavailable(service, "answered with a body that is not JSON") from exc
        try:
            problem = response.json()
        except ValueError:
            problem = None
        raise from_problem(
            service,
            response.status_code,
            problem if isinstance(problem, dict) else None,
            field_names,
        )

    async def get(
        self,
        service: Service,
        path: str,
        params: Params | None = None,
        *,
        field_names: Mapping[str, str] | None = None,
    ) -> Any:
        return await self.request("GET", service, path, params=params, field_names=field_names)

    async def page(
        self,
        service: Service,
        path: str,
        params: Params | None = None,
        *,
        field_names: Mapping[str, str] | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a list endpoint answering ``{items, next_cursor}``."""
        page = await self.get(service, path, params, field_names=field_names)
        items = page.get("items") if isinstance(page, dict) else None
        cursor = page.get("next_cursor") if isinstance(page, dict) else None
        if not isinstance(items, list) or not (cursor is None or isinstance(cursor, str)):
            raise unavailable(service, f"{path} answered with something that is not a page")
        return items, cursor

    async def pages(
        self, service: Service, path: str, params: Params | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list endpoint, in the service's largest page size."""
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            items, cursor = await self.page(
                service, path, {**(params or {}), "limit": PAGE_LIMIT, "cursor": cursor}
            )
            yield items
            if not cursor:
                return
        raise unavailable(service, f"{path} has more than {MAX_PAGES} pages")

    async def all_items(
        self, service: Service, path: str, params: Params | None = None
    ) -> list[dict[str, Any]]:
        return [item async for page in self.pages(service, path, params) for item in page]


async def upstream_client(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan task: one connection pool for the app's lifetime (``app.state.upstream``)."""
    settings: GatewaySettings = app.state.settings
    limits = httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
    )
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(settings.upstream_timeout_seconds), limits=limits
    ) as client:
        app.state.upstream = Upstream(client, settings)
        yield
