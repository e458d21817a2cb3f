"""Migration 0006 on a database with data: each stored unit gets the root of its tree, codes
become unique per municipality, and the way back restores the deployment-wide codes (or
refuses, naming the codes, while two municipalities share one)."""

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

# The revision before, and one further back: then 0006 runs after another step in the same
# upgrade (on SQLite with that step's transaction still open).
BEFORE = ["0005", "0004"]
LEVELS = [("municipality", "Kommun", 0), ("committee", "Nämnd", 1), ("unit", "Enhet", 4)]
# (id, code, level, parent): two trees, four levels deep in Oxelösund, codes unique overall
# (as they had to be before 0006).
UNITS = [
    ("oxelosund", "OXD", "municipality", None),
    ("oxelosund-von", "VON", "committee", "oxelosund"),
    ("oxelosund-vof", "VOF", "committee", "oxelosund-von"),
    ("oxelosund-ao", "ÄO", "unit", "oxelosund-vof"),
    ("oxelosund-sabo", "SÄBO", "unit", "oxelosund-ao"),
    ("trosa", "TRS", "municipality", None),
    ("trosa-ks", "TKS", "committee", "trosa"),
]
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def url(db_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    database = await create_test_database(db_backend, tmp_path, label="migration0006")
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


async def _unit(url: str, unit_id: str, code: str, parent: str, municipality: str | None) -> None:
    """Insert a unit as of before 0006 (``municipality`` None) or after it."""
    if municipality is None:
        sql = (
            "INSERT INTO org_unit (id, code, name, level, parent_id, created_at, updated_at) "
            "VALUES (:id, :code, :id, 'unit', :parent, :at, :at)"
        )
    else:
        sql = (
            "INSERT INTO org_unit (id, code, name, level, parent_id, created_at, updated_at, "
            "municipality_id) VALUES (:id, :code, :id, 'unit', :parent, :at, :at, :m)"
        )
    await _run(url, sql, id=unit_id, code=code, parent=parent, at=STAMP, m=municipality)


async def _seed(url: str) -> None:
    for key, label, rank in LEVELS:
        await _run(
            url,
            "INSERT INTO org_level (key, label, rank) VALUES (:key, :label, :rank)",
            key=key,
            label=label,
            rank=rank,
        )
    for unit_id, code, level, parent in UNITS:
        await _run(
            url,
            "INSERT INTO org_unit (id, code, name, level, parent_id, created_at, updated_at) "
            "VALUES (:id, :code, :id, :level, :parent, :at, :at)",
            id=unit_id,
            code=code,
            level=level,
            parent=parent,
            at=STAMP,
        )
    # Rows that reference org_unit: SQLite rebuilds the table under them.
    await _run(
        url,
        "INSERT INTO plan (id, org_unit_id, name, start_year, end_year, created_at, updated_at) "
        "VALUES ('p', 'oxelosund-von', 'Plan', 2025, 2027, :at, :at)",
        at=STAMP,
    )
    await _run(
        url,
        "INSERT INTO steering_config (municipality_id, document, updated_at, updated_by) "
        "VALUES ('oxelosund', '{}', :at, 'x')",
        at=STAMP,
    )
    await _import_run(url)


async def _import_run(url: str) -> None:
    await _run(
        url,
        "INSERT INTO import_run (requested_by, format, compressed, dry_run, atomic, status, "
        "started_at, bytes_received, inserted, updated, unchanged, rejected) "
        "VALUES ('nightly', 'csv', false, false, false, 'completed', :at, 0, 0, 0, 0, 0)",
        at=STAMP,
    )


@pytest.mark.parametrize("before", BEFORE)
async def test_0006_fills_municipalities_and_goes_back(url: str, before: str) -> None:
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, before)
    await _seed(url)

    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0006")
    rows = await _run(url, "SELECT id, municipality_id FROM org_unit ORDER BY id")
    assert dict(rows) == {
        "oxelosund": "oxelosund",
        "oxelosund-ao": "oxelosund",
        "oxelosund-sabo": "oxelosund",
        "oxelosund-vof": "oxelosund",
        "oxelosund-von": "oxelosund",
        "trosa": "trosa",
        "trosa-ks": "trosa",
    }
    assert await _run(url, "SELECT org_unit_id FROM plan") == [("oxelosund-von",)]
    assert await _run(url, "SELECT count(*) FROM setting_change") == [(0,)]
    # Which of the two municipalities an earlier run wrote to is not known.
    assert await _run(url, "SELECT municipality_id FROM import_run") == [(None,)]
    # A code may now repeat in another municipality, not within one; the municipality must
    # be a unit.
    await _unit(url, "trosa-von", "VON", "trosa", "trosa")
    with pytest.raises(IntegrityError):
        await _unit(url, "trosa-von2", "VON", "trosa", "trosa")
    with pytest.raises(IntegrityError):
        await _unit(url, "ghost", "GHOST", "trosa", "nowhere")

    # Down again: refused, naming the code, while two municipalities share it.
    with pytest.raises(RuntimeError, match=r"VON: oxelosund, trosa"):
        await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, before)
    assert await _run(url, "SELECT count(*) FROM org_unit WHERE municipality_id = 'trosa'") == [
        (3,)
    ]
    await _run(url, "DELETE FROM org_unit WHERE id = 'trosa-von'")
    await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, before)
    rows = await _run(url, "SELECT id, code, parent_id FROM org_unit ORDER BY id")
    assert rows == sorted((unit_id, code, parent) for unit_id, code, _, parent in UNITS)
    assert await _run(url, "SELECT org_unit_id FROM plan") == [("oxelosund-von",)]
    # Codes are unique in the whole deployment again, and municipality_id is gone.
    with pytest.raises(IntegrityError):
        await _unit(url, "trosa-von", "VON", "trosa", None)
    await _unit(url, "trosa-von", "TVON", "trosa", None)
    # And up once more, with the unit added in between.
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0006")
    assert await _run(url, "SELECT municipality_id FROM org_unit WHERE id = 'trosa-von'") == [
        ("trosa",)
    ]


async def test_0006_gives_earlier_runs_the_only_municipality(url: str) -> None:
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0005")
    await _run(url, "INSERT INTO org_level (key, label, rank) VALUES ('municipality', 'K', 0)")
    await _run(
        url,
        "INSERT INTO org_unit (id, code, name, level, created_at, updated_at) "
        "VALUES ('oxelosund', 'OXD', 'Oxelösund', 'municipality', :at, :at)",
        at=STAMP,
    )
    await _import_run(url)
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0006")
    assert await _run(url, "SELECT municipality_id FROM import_run") == [("oxelosund",)]
