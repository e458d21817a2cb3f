"""Async database engine and sessions (SQLModel on SQLAlchemy 2.1).

SQLite (aiosqlite) is the embedded default; PostgreSQL (asyncpg) is the production database.
Services get a session per request through :func:`get_session`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers work during an import.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An engine whose errors and logs never show statement parameters: they are personal
    data (names, personal identity numbers, case texts) and do not belong in logs."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, hide_parameters=True, connect_args={"timeout": 30}
        )
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
    )
    event.listen(engine.sync_engine, "checkin", _note_checkin)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


IDLE_PING_SECONDS = 10.0
"""A pooled connection idle longer than this is pinged before use."""


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that sat in the pool for a while, and let the pool replace it if the
    server is gone (a restart, a failover, an idle timeout on the way).

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: with asyncpg that is BEGIN, a
    statement and ROLLBACK, three round trips before each request's own query, measured at
    about a seventh of a small read's CPU. A connection back from a request a moment ago was
    alive a moment ago; if the server went away since, the request fails once and SQLAlchemy
    invalidates the pool, as it would for a connection lost mid-request.
    """
    checked_in = record.info.get("checked_in_at")
    if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:  # whatever the driver raises for a dead connection
        # The documented way to have the pool discard this connection and check out another.
        raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


async def begin_write(connection: AsyncConnection) -> None:
    """Open a transaction that will write, on a connection with none open.

    SQLite: take the write lock at once (``BEGIN IMMEDIATE``, waiting up to the busy
    timeout). A deferred transaction that reads first and writes later fails outright, with
    no wait, when another connection wrote in between. PostgreSQL needs nothing of the sort.
    """
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine and its session factory; one per service process."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size, echo=echo)
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: a session per request, rolled back if the handler did not commit."""
    async with get_database(request).session() as session:
        yield session
