"""Start a service app for a test session and talk to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import MetaData

from styr_shared import migrations
from styr_shared.testing.database import create_test_database, drop_test_database, truncate_all


@asynccontextmanager
async def running_service(
    app: FastAPI, migrate: Callable[[str], Awaitable[None]], database_url: str
) -> AsyncIterator[FastAPI]:
    """Migrate the test database, then run the app's lifespan around the block."""
    await migrate(database_url)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        yield app


@asynccontextmanager
async def api_client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """An HTTP client calling ``app`` in process (the full ASGI stack, no socket)."""
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def service_fixtures(
    make_app: Callable[[str], FastAPI],
    migrate: Callable[[str], Awaitable[None]],
    metadata: MetaData,
) -> tuple[Any, Any]:
    """The ``app`` and ``client`` fixtures every database service's conftest needs.

    ``app`` is migrated and running for the test session (per backend); ``client`` calls it
    and empties every table after each test. In a conftest::

        app, client = service_fixtures(lambda url: create_app(Settings(database_url=url)),
                                       migrate, metadata)
    """

    @pytest.fixture(scope="session")
    async def app(database_url: str) -> AsyncIterator[FastAPI]:
        service = make_app(database_url)
        async with running_service(service, migrate, database_url):
            yield service

    @pytest.fixture
    async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
        async with api_client(app) as http:
            yield http
        await truncate_all(app.state.database, metadata)

    return app, client


async def assert_migrations_in_step(
    backend: str, workdir: Path, migrations_dir: Path, version_table: str, metadata: MetaData
) -> None:
    """On a fresh database: every migration up, the result equal to the models, every
    migration down to an empty database, and up again."""
    url = await create_test_database(backend, workdir, label="migrations")
    try:
        await migrations.upgrade(migrations_dir, url, version_table)
        assert await migrations.schema_drift(url, metadata) == []
        await migrations.downgrade(migrations_dir, url, version_table)
        await migrations.upgrade(migrations_dir, url, version_table)
        assert await migrations.schema_drift(url, metadata) == []
    finally:
        await drop_test_database(url)


async def metric_value(client: AsyncClient, name: str, **labels: str) -> float:
    """One sample of ``/metrics`` (0 when the series has none yet)."""
    text = (await client.get("/metrics")).text
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0
