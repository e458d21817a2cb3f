"""Test databases: a temporary SQLite file, or a fresh PostgreSQL database created and dropped
by the test run itself."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url

from styr_shared.db import Database

TEST_BACKENDS = [
    backend.strip()
    for backend in os.environ.get("STYR_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if backend.strip()
]
"""Which backends the suites run on (``STYR_TEST_BACKENDS=sqlite`` or ``postgresql``)."""

POSTGRES_ADMIN_URL = os.environ.get(
    "STYR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class PostgresUnavailableError(RuntimeError):
    pass


async def create_test_database(backend: str, directory: Path, label: str = "styr") -> str:
    """Create an empty database for one test session and return its async URL."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / (label + '.db')}"
    if backend != "postgresql":
        raise ValueError(f"unknown test backend {backend!r}")
    name = f"test_{label}_{uuid.uuid4().hex[:12]}"
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise PostgresUnavailableError(f"PostgreSQL at {POSTGRES_ADMIN_URL}: {exc}") from exc
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


async def drop_test_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await connection.close()


async def truncate_all(database: Database, metadata: MetaData, keep: tuple[str, ...] = ()) -> None:
    """Empty every table between tests (much faster than recreating the schema)."""
    tables = [table for table in metadata.sorted_tables if table.name not in keep]
    if not tables:
        return
    async with database.engine.begin() as connection:
        if database.is_sqlite:
            for table in reversed(tables):
                await connection.execute(table.delete())
        else:
            names = ", ".join(f'"{table.name}"' for table in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
