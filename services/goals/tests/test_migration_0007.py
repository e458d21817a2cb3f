"""Migration 0007 on a database with data: units and levels survive, a municipality may then
have levels of its own (and units on them), and the way back drops those levels, restoring
the key from units to the default levels (or refuses, naming the units, while a unit uses a
level that is not a default)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from styr_goals.database import MIGRATIONS_DIR, VERSION_TABLE
from styr_shared import migrations
from styr_shared.db import create_engine
from styr_shared.testing import create_test_database, drop_test_database

LEVELS = [("municipality", "Kommun", 0), ("committee", "Nämnd", 1), ("unit", "Enhet", 4)]
UNITS = [
    ("oxelosund", "OXD", "municipality", None, "oxelosund"),
    ("oxelosund-von", "VON", "committee", "oxelosund", "oxelosund"),
    ("oxelosund-sabo", "SÄBO", "unit", "oxelosund-von", "oxelosund"),
    ("trosa", "TRS", "municipality", None, "trosa"),
    ("trosa-von", "VON", "committee", "trosa", "trosa"),
]
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def url(db_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    database = await create_test_database(db_backend, tmp_path, label="migration0007")
    yield database
    await drop_test_database(database)


async def _run(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _unit(url: str, unit_id: str, code: str, level: str, parent: str | None, m: str) -> None:
    await _run(
        url,
        "INSERT INTO org_unit (id, code, name, level, parent_id, municipality_id, created_at, "
        "updated_at) VALUES (:id, :code, :id, :level, :parent, :m, :at, :at)",
        id=unit_id,
        code=code,
        level=level,
        parent=parent,
        m=m,
        at=STAMP,
    )


async def _seed(url: str) -> None:
    for key, label, rank in LEVELS:
        await _run(
            url,
            "INSERT INTO org_level (key, label, rank) VALUES (:key, :label, :rank)",
            key=key,
            label=label,
            rank=rank,
        )
    for unit_id, code, level, parent, municipality in UNITS:
        await _unit(url, unit_id, code, level, parent, municipality)
    await _run(
        url,
        "INSERT INTO plan (id, org_unit_id, name, start_year, end_year, created_at, updated_at) "
        "VALUES ('p', 'trosa-von', 'Plan', 2025, 2027, :at, :at)",
        at=STAMP,
    )


async def test_0007_adds_own_levels_and_goes_back(url: str) -> None:
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0006")
    await _seed(url)
    # Before 0007 a unit's level must be a default level.
    with pytest.raises(IntegrityError):
        await _unit(url, "trosa-omr", "OMR", "area", "trosa", "trosa")

    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0007")
    rows = await _run(url, "SELECT id, level, municipality_id FROM org_unit ORDER BY id")
    assert rows == sorted((u, lvl, m) for u, _, lvl, _, m in UNITS)
    assert await _run(url, "SELECT count(*) FROM org_level") == [(3,)]
    assert await _run(url, "SELECT org_unit_id FROM plan") == [("trosa-von",)]
    # Trosa's own level, and a unit on it.
    await _run(
        url,
        "INSERT INTO municipality_org_level (municipality_id, key, label, rank) "
        "VALUES ('trosa', 'area', 'Område', 2)",
    )
    await _unit(url, "trosa-omr", "OMR", "area", "trosa", "trosa")
    # Own levels belong to a municipality that exists, once per key.
    with pytest.raises(IntegrityError):
        await _run(
            url,
            "INSERT INTO municipality_org_level (municipality_id, key, label, rank) "
            "VALUES ('trosa', 'area', 'Again', 3)",
        )
    with pytest.raises(IntegrityError):
        await _run(
            url,
            "INSERT INTO municipality_org_level (municipality_id, key, label, rank) "
            "VALUES ('nowhere', 'area', 'Område', 2)",
        )

    # Down: refused, naming the unit, while it uses Trosa's own level; nothing changed.
    with pytest.raises(RuntimeError, match=r"area: trosa-omr"):
        await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0006")
    assert await _run(url, "SELECT key FROM municipality_org_level") == [("area",)]
    await _run(url, "DELETE FROM org_unit WHERE id = 'trosa-omr'")
    await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0006")
    rows = await _run(url, "SELECT id, level, municipality_id FROM org_unit ORDER BY id")
    assert rows == sorted((u, lvl, m) for u, _, lvl, _, m in UNITS)
    assert await _run(url, "SELECT org_unit_id FROM plan") == [("trosa-von",)]
    # The own levels are gone and a unit's level is a default again.
    with pytest.raises(Exception, match="municipality_org_level"):
        await _run(url, "SELECT count(*) FROM municipality_org_level")
    with pytest.raises(IntegrityError):
        await _unit(url, "trosa-omr", "OMR", "area", "trosa", "trosa")
    await _unit(url, "trosa-ht", "HT", "unit", "trosa-von", "trosa")

    # And up once more, with the unit added in between.
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
    assert await _run(url, "SELECT level FROM org_unit WHERE id = 'trosa-ht'") == [("unit",)]
    assert await _run(url, "SELECT count(*) FROM municipality_org_level") == [(0,)]
