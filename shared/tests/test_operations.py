"""Health, readiness and metrics, as every service has them."""

from __future__ import annotations

from collections.abc import Callable

from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient

from styr_shared.testing import api_client


async def test_healthz_and_readyz(probe: AsyncClient) -> None:
    health = await probe.get("/healthz")
    ready = await probe.get("/readyz")
    assert health.json() == {"status": "ok", "service": "probe"}
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_readyz_is_503_when_the_database_is_unreachable(
    probe_factory: Callable[[str], FastAPI],
) -> None:
    app = probe_factory("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    async with LifespanManager(app), api_client(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


async def test_metrics_count_requests_by_route(probe: AsyncClient) -> None:
    await probe.get("/api/v1/boom")
    text = (await probe.get("/metrics")).text
    assert "styr_probe_http_requests_total" in text or "http_requests_total" in text
    assert 'handler="/api/v1/boom"' in text
