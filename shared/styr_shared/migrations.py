"""Alembic wiring shared by the services.

Each service owns its migrations (``styr_<service>/migrations``) and its own version table
(``alembic_version_<service>``), so two services could even share one database without
stepping on each other. Migrations always run through an async engine: :func:`upgrade`
opens a connection and hands it to Alembic, and ``env.py`` calls :func:`run_migrations`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from styr_shared.db import create_engine, is_sqlite


def alembic_config(migrations_dir: Path, database_url: str, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("version_table", version_table)
    return config


async def upgrade(
    migrations_dir: Path, database_url: str, version_table: str, revision: str = "head"
) -> None:
    """Migrate the database at ``database_url`` to ``revision``."""
    await _command(command.upgrade, migrations_dir, database_url, version_table, revision)


async def downgrade(
    migrations_dir: Path, database_url: str, version_table: str, revision: str = "base"
) -> None:
    """Migrate the database at ``database_url`` back down to ``revision``."""
    await _command(command.downgrade, migrations_dir, database_url, version_table, revision)


async def _command(
    run: Callable[[Config, str], None],
    migrations_dir: Path,
    database_url: str,
    version_table: str,
    revision: str,
) -> None:
    config = alembic_config(migrations_dir, database_url, version_table)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:

            def _run(sync_connection: Connection) -> None:
                config.attributes["connection"] = sync_connection
                run(config, revision)

            await connection.run_sync(_run)
    finally:
        await engine.dispose()


async def schema_drift(database_url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would change to bring the database in line with the models: empty
    when the migrations and the models agree."""

    def ours(name: str | None, type_: str, _parent: Any) -> bool:
        return not (type_ == "table" and (name or "").startswith("alembic_version"))

    def compare(sync_connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            sync_connection, opts={"compare_type": True, "include_name": ours}
        )
        return list(compare_metadata(context, metadata))

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


def run_migrations(target_metadata: MetaData) -> None:
    """Body of every service's ``env.py``."""
    config = context.config
    version_table = config.get_main_option("version_table") or "alembic_version"
    connection = config.attributes.get("connection")
    url = config.get_main_option("sqlalchemy.url") or ""

    def configure_and_run(sync_connection: Connection) -> None:
        context.configure(
            connection=sync_connection,
            target_metadata=target_metadata,
            version_table=version_table,
            render_as_batch=is_sqlite(url),  # SQLite needs batch mode for ALTER TABLE
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    if isinstance(connection, Connection):
        configure_and_run(connection)
        return

    # Called by the `alembic` command line (e.g. autogenerate): open our own connection.
    async def _run_online() -> None:
        engine = create_engine(url)
        async with engine.connect() as async_connection:
            await async_connection.run_sync(configure_and_run)
        await engine.dispose()

    asyncio.run(_run_online())
