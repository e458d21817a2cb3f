"""The migrations build exactly the tables the models describe, and undo cleanly."""

from __future__ import annotations

from pathlib import Path

from styr_deviations.database import MIGRATIONS_DIR, VERSION_TABLE, metadata
from styr_shared.testing import assert_migrations_in_step


async def test_migrations_match_the_models_and_roundtrip(db_backend: str, tmp_path: Path) -> None:
    await assert_migrations_in_step(db_backend, tmp_path, MIGRATIONS_DIR, VERSION_TABLE, metadata)
