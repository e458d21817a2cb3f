"""The budget service's schema: its models and migrations."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import SQLModel

from styr_budget import models  # noqa: F401  (registers every table on the metadata)
from styr_budget.budgets import periodisation  # noqa: F401  (its outcome commit hook)
from styr_shared import migrations

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_budget"
metadata = SQLModel.metadata


async def migrate(database_url: str) -> None:
    await migrations.upgrade(MIGRATIONS_DIR, database_url, VERSION_TABLE)
