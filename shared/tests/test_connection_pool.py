"""The connection pool pings only connections that sat idle, and replaces one the server has
closed meanwhile (a restart, a failover, an idle timeout): the request does not fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from styr_shared import db
from styr_shared.db import Database
from styr_shared.testing.database import POSTGRES_ADMIN_URL


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pings of the real driver adapter (which still runs)."""
    calls: list[int] = []
    ping: Callable[[Any], None] = AsyncAdapt_asyncpg_connection.ping

    def counted(self: Any) -> None:
        calls.append(1)
        ping(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    return calls


@pytest.fixture
def database(database_url: str, db_backend: str) -> Database:
    if db_backend != "postgresql":
        pytest.skip("SQLite has no server to lose")
    return Database(database_url, pool_size=1)


async def _backend_pid(database: Database) -> int:
    async with database.engine.connect() as connection:
        pid: int = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        return pid


async def test_a_connection_back_from_a_request_is_used_without_a_ping(
    database: Database, pings: list[int]
) -> None:
    try:
        first = await _backend_pid(database)
        for _ in range(5):
            assert await _backend_pid(database) == first
        assert pings == []
    finally:
        await database.dispose()


async def test_a_connection_the_server_closed_while_idle_is_replaced(
    database: Database, pings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        first = await _backend_pid(database)
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # as if it had sat idle for long
        second = await _backend_pid(database)
        assert second != first
        assert pings == [1]
    finally:
        await database.dispose()
