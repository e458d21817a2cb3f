"""The deviations service's schema: its models and migrations."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import SQLModel

from styr_deviations import models  # noqa: F401  (registers every table on the metadata)
from styr_shared import migrations

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_deviations"
metadata = SQLModel.metadata


async def migrate(database_url: str) -> None:
    await migrations.upgrade(MIGRATIONS_DIR, database_url, VERSION_TABLE)
