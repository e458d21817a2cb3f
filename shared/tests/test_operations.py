"""Health, readiness and metrics, as every service has them."""

from __future__ import annotations

import asyncio
import os
import shutil
from asyncio.subprocess import PIPE, STDOUT
from collections.abc import Callable

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient

from styr_shared.metrics import IMPORT_ROWS, IMPORT_RUNS
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


PROMTOOL = shutil.which("promtool")


async def test_metrics_include_the_domain_metrics(probe: AsyncClient) -> None:
    IMPORT_RUNS.labels("probe", "values", "completed").inc()
    text = (await probe.get("/metrics")).text
    assert 'styr_import_runs_total{kind="values",outcome="completed",service="probe"}' in text
    for name in (
        "styr_import_rows_total",
        "styr_import_duration_seconds",
        "styr_cases_registered_total",
        "styr_citizen_submissions_total",
        "styr_org_replica_lag_seconds",
        "styr_org_replica_syncs_total",
        "styr_gateway_upstream_requests_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


async def test_promtool_finds_nothing_to_fix_in_the_metrics(probe: AsyncClient) -> None:
    """``promtool check metrics`` (Debian's ``prometheus`` package; ``.ci/run`` installs it)
    lints names, help texts, units and label conventions."""
    if PROMTOOL is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing; .ci/run installs Debian's prometheus")
        pytest.skip("promtool is missing (apt-get install --no-install-recommends prometheus)")
    await probe.get("/api/v1/boom")
    IMPORT_ROWS.labels("probe", "values", "accepted").inc(3)
    text = (await probe.get("/metrics")).text
    promtool = await asyncio.create_subprocess_exec(
        PROMTOOL, "check", "metrics", stdin=PIPE, stdout=PIPE, stderr=STDOUT
    )
    output, _ = await promtool.communicate(text.encode())
    assert promtool.returncode == 0, output.decode()
    assert output.decode() == ""
